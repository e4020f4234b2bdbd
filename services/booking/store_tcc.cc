// The booking store's TCC phases (store.h): Hold (Try) with its deadlock
// retries, Confirm, Cancel with the quota give-back, and the overdue list.
#include <spdlog/spdlog.h>

#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "services/booking/booking_errors.h"
#include "services/booking/quota.h"
#include "services/booking/store.h"
#include "services/booking/store_rows.h"
#include "services/booking/validation.h"
#include "services/common/barrier.h"
#include "services/common/overdue_holds.h"
#include "services/common/status.h"
#include "services/common/time_util.h"

namespace turnstile::booking {
namespace {
using store_rows::AddRows;
using store_rows::IntArray;
using store_rows::KindOfGate;
using store_rows::ParseDay;
using store_rows::ReadRow;
using store_rows::TextArray;

// A deadlock is retried this many times in all (store.h, lock order).
constexpr int kHoldAttempts = 3;
// A Confirm that deadlocks with a concurrent Try (store.h) is retried this
// many times in all; it rolled back entirely, so a retry is safe.
constexpr int kConfirmAttempts = 5;

// The business change of a Try. `deadlocked` is set when PostgreSQL chose
// this transaction as a deadlock's victim (store.h: the caller retries).
absl::Status HoldAll(pqxx::work& tx, const HoldCommand& command,
                     HoldResult* out, bool* deadlocked) {
  const ResourceKind kind = KindOfGate(command.gate_key);
  std::vector<std::string> resources, docs;
  std::vector<int> lows, highs;
  for (const HoldItem& item : command.items) {
    resources.push_back(item.resource_id);
    lows.push_back(item.range.from);
    highs.push_back(item.range.to);
    docs.push_back(item.doc_id);
  }
  try {
    tx.exec_prepared(
        "bk_hold", command.gate_key, absl::FormatCivilTime(command.day),
        command.gid, command.branch_id, command.user_id, command.deadline_ms,
        TextArray(resources), IntArray(lows), IntArray(highs), TextArray(docs));
    for (const QuotaUse& use : QuotaTakes(command)) {
      if (!tx.exec_prepared1("bk_quota_take", use.key, use.units, use.limit)[0]
               .as<bool>()) {
        return WithMetadata(
            Refused("USER_LIMIT",
                    absl::StrCat("the ", use.kind, " limit of ", use.limit,
                                 " bookings would be passed")),
            {{"quota", use.kind}, {"limit", absl::StrCat(use.limit)}});
      }
    }
  } catch (const pqxx::deadlock_detected& e) {
    *deadlocked = true;
    return BookingStatusFromException(e, kind);
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "40P01") *deadlocked = true;
    return BookingStatusFromException(e, kind);
  }
  for (const HoldItem& item : command.items) {
    out->rows.push_back(
        {item.resource_id, item.range, BookingState::kHeld, item.doc_id});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<HoldResult> BookingStore::Hold(const HoldCommand& unsorted) {
  const HoldCommand command = SortedItems(unsorted);
  const std::string content = TryContentOf(command);
  for (int attempt = 1;; ++attempt) {
    bool deadlocked = false;
    auto result =
        pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<HoldResult> {
          HoldResult hold;
          auto outcome = BarrierTry(
              tx, command.gid, command.branch_id, content, [&](pqxx::work&) {
                return HoldAll(tx, command, &hold, &deadlocked);
              });
          if (!outcome.ok()) return outcome.status();
          if (*outcome == BarrierOutcome::kDuplicate) {
            HoldResult stored;
            stored.duplicate = true;
            for (const auto& row : tx.exec_prepared(
                     "bk_branch_rows", command.gid, command.branch_id)) {
              stored.rows.push_back(ReadRow(row));
            }
            return stored;
          }
          return hold;
        });
    if (result.ok() || !deadlocked || attempt == kHoldAttempts) return result;
    spdlog::warn("event=booking_hold_retry gid={} attempt={}", command.gid,
                 attempt);
  }
}

absl::StatusOr<BranchBookings> BookingStore::Confirm(
    const std::string& gid, const std::string& branch_id) {
  for (int attempt = 1;; ++attempt) {
    auto result = ConfirmOnce(gid, branch_id);
    if (result.ok() || ReasonOf(result.status()) != "DB_CONFLICT" ||
        attempt == kConfirmAttempts) {
      return result;
    }
    spdlog::warn("event=booking_confirm_retry gid={} attempt={}", gid, attempt);
  }
}

absl::StatusOr<BranchBookings> BookingStore::ConfirmOnce(
    const std::string& gid, const std::string& branch_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<BranchBookings> {
    BranchBookings out;
    auto outcome = BarrierConfirm(tx, gid, branch_id, [&](pqxx::work&) {
      AddRows(tx.exec_prepared("bk_sell", gid, branch_id), &out);
      if (!out.rows.empty()) {
        out.applied = true;
        return absl::OkStatus();
      }
      // A Try that succeeded always leaves HELD rows; confirming nothing (no
      // Try, or Cancel first) would hide a coordinator fault.
      return Error(absl::StatusCode::kFailedPrecondition, "BRANCH_NOT_TRIED",
                   absl::StrCat("no held bookings to confirm for ", gid, "/",
                                branch_id));
    });
    if (!outcome.ok()) return outcome.status();
    // A repeat still lists the rows so that the caller can make sure the
    // gate has them sold.
    if (!out.applied) {
      AddRows(tx.exec_prepared("bk_branch_rows", gid, branch_id), &out);
    }
    return out;
  });
}

absl::StatusOr<BranchBookings> BookingStore::Cancel(
    const std::string& gid, const std::string& branch_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<BranchBookings> {
    BranchBookings out;
    auto outcome = BarrierCancel(tx, gid, branch_id, [&](pqxx::work&) {
      const pqxx::result deleted =
          tx.exec_prepared("bk_release", gid, branch_id);
      AddRows(deleted, &out);
      out.applied = !out.rows.empty();
      if (!out.applied) {
        spdlog::warn("event=cancel_nothing_held gid={} branch={}", gid,
                     branch_id);
        return absl::OkStatus();
      }
      // Every row of a branch has the same user, gate and day (one Try);
      // grouping keeps the count exact all the same.
      std::map<std::tuple<std::string, std::string, std::string>,
               std::vector<BookingRow>>
          groups;
      for (const auto& row : deleted) {
        groups[{row[6].as<std::string>(), row[5].as<std::string>(),
                row[7].as<std::string>()}]
            .push_back(ReadRow(row));
      }
      for (const auto& [key, rows] : groups) {
        const auto& [user, gate, day] = key;
        for (const QuotaUse& use :
             QuotaGives(user, gate, ParseDay(day), rows)) {
          tx.exec_prepared("bk_quota_give", use.key, use.units);
        }
      }
      return absl::OkStatus();
    });
    if (!outcome.ok()) return outcome.status();
    return out;
  });
}

absl::StatusOr<std::vector<OverdueHold>> BookingStore::ListOverdue(
    std::chrono::seconds margin, int limit) {
  return ListOverdueHolds(pool_, "bk_overdue", margin, limit);
}
}  // namespace turnstile::booking
