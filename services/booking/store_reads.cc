// The booking store's snapshot reads (store.h) for the reconciler, the
// day-limit gate and turnstilectl check.
#include "absl/strings/str_cat.h"
#include "services/booking/store.h"
#include "services/booking/store_rows.h"
#include "services/common/status.h"

namespace turnstile::booking {

using store_rows::FinishedOwners;
using store_rows::ParseDay;
using store_rows::ReadRow;
using store_rows::TextArray;

absl::StatusOr<DaySnapshot> BookingStore::DayRows(
    absl::CivilDay day,
    const std::vector<std::pair<std::string, std::string>>& owners) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<DaySnapshot> {
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    DaySnapshot out;
    for (const auto& row :
         tx.exec_prepared("bk_day_rows", absl::FormatCivilTime(day))) {
      DayBookingRow r;
      r.booking = ReadRow(row);
      r.gid = row[5].as<std::string>();
      r.branch_id = row[6].as<std::string>();
      r.user_id = row[7].as<std::string>();
      r.gate_key = row[8].as<std::string>();
      r.deadline_ms = row[9].as<int64_t>();
      out.rows.push_back(std::move(r));
    }
    for (auto& owner_at : FinishedOwners(tx, owners)) {
      out.decided_owners.push_back(std::move(owner_at.first));
    }
    return out;
  });
}

absl::StatusOr<std::vector<absl::CivilDay>> BookingStore::DaysSince(
    absl::CivilDay since) {
  return pool_.Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<absl::CivilDay>> {
        std::vector<absl::CivilDay> out;
        for (const auto& row :
             tx.exec_prepared("bk_days_since", absl::FormatCivilTime(since))) {
          out.push_back(ParseDay(row[0].as<std::string>()));
        }
        return out;
      });
}

absl::StatusOr<std::vector<std::string>> BookingStore::GateKeys() {
  return FirstColumn(pool_, "bk_gate_keys");
}

absl::StatusOr<GateSnapshot> BookingStore::GateRows(
    const std::string& gate_key,
    const std::vector<std::pair<std::string, std::string>>& owners) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<GateSnapshot> {
    // One snapshot for bookings and barrier rows: a branch decided between
    // two read-committed statements would look both held and finished.
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    GateSnapshot snap;
    snap.now_ms = tx.exec_prepared1("bk_now_ms")[0].as<int64_t>();
    for (const auto& row : tx.exec_prepared("bk_gate_rows", gate_key)) {
      GateRow gate_row;
      gate_row.booking = ReadRow(row);
      gate_row.owner =
          absl::StrCat(row[5].as<std::string>(), ":", row[6].as<std::string>());
      gate_row.deadline_ms = row[7].as<int64_t>() / 1000;
      gate_row.user_id = row[8].as<std::string>();
      snap.rows.push_back(std::move(gate_row));
    }
    for (auto& [owner, at_ms] : FinishedOwners(tx, owners)) {
      snap.decided_at_ms[owner] = at_ms;
      snap.finished_owners.push_back(std::move(owner));
    }
    return snap;
  });
}

absl::StatusOr<std::vector<BookingRow>> BookingStore::Occupancy(
    const std::string& gate_key, const std::vector<std::string>& resource_ids,
    UnitRange window) {
  return pool_.Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<BookingRow>> {
        std::vector<BookingRow> rows;
        for (const auto& row :
             tx.exec_prepared("bk_occupancy", gate_key, TextArray(resource_ids),
                              window.from, window.to)) {
          rows.push_back(ReadRow(row));
        }
        return rows;
      });
}

}  // namespace turnstile::booking