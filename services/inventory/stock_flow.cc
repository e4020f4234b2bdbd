#include "services/inventory/stock_flow.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "services/common/gate_metrics.h"
#include "services/common/process.h"
#include "services/common/status.h"

namespace turnstile::inventory {
namespace {

// Gate calls after PostgreSQL that did not go as expected (drift or Redis
// down): PostgreSQL is right, the reconciler repairs the gate.
prometheus::Family<prometheus::Counter>& SyncFailures() {
  static auto& family =
      prometheus::BuildCounter()
          .Name("turnstile_inventory_gate_sync_failures_total")
          .Help(
              "Gate updates after a PostgreSQL phase that failed or found "
              "the gate out of line, by operation and answer")
          .Register(Metrics());
  return family;
}

// Tries whose gate reservations were given back because PostgreSQL refused
// or failed after the gate passed them.
prometheus::Counter& GateRollbacks() {
  static auto& counter =
      prometheus::BuildCounter()
          .Name("turnstile_inventory_gate_rollbacks_total")
          .Help(
              "Gate reservations released because PostgreSQL refused or "
              "failed the Try after the gate passed it")
          .Register(Metrics())
          .Add({});
  return counter;
}

std::string Lower(const std::string& s) { return absl::AsciiStrToLower(s); }

}  // namespace

StockFlow::StockFlow(InventoryStore* store, Strategy strategy, StockGate* gate,
                     Reconciler* reconciler)
    : store_(store),
      strategy_(strategy),
      gate_(gate),
      reconciler_(reconciler) {}

absl::StatusOr<SkuRecord> StockFlow::CreateSku(const NewSku& sku) {
  auto created = store_->CreateSku(sku);
  if (!created.ok() || !gated()) return created;
  StockInitSpec spec;
  spec.mode = GateInitMode::kInit;
  spec.remaining = created->available;
  spec.per_user_limit = created->per_user_limit;
  auto init = gate_->Init(sku.sku_id, spec);
  absl::Status status = init.status();
  if (init.ok() && init->status == GateStatus::kExists) {
    // A gate left over from an earlier life of this id: repair it.
    status = reconciler_->ReconcileSku(sku.sku_id).status();
  } else if (init.ok() && init->status != GateStatus::kOk) {
    status =
        Error(absl::StatusCode::kInternal, "GATE_INIT_FAILED",
              absl::StrCat("stock_init answered ", GateStatusName(init->status),
                           " ", init->message));
  }
  if (!status.ok()) {
    SyncFailures()
        .Add({{"op", "init"}, {"result", ReasonOf(status)}})
        .Increment();
    spdlog::warn("event=gate_init_failed sku={} error=\"{}\"", sku.sku_id,
                 std::string(status.message()));
  }
  return created;
}

absl::StatusOr<StockGateResult> StockFlow::GateReserve(
    const std::string& sku_id, const GateOwner& owner,
    const std::string& user_id, int64_t quantity) {
  auto answer = gate_->Reserve(sku_id, owner, user_id, quantity);
  if (!answer.ok() || answer->status != GateStatus::kNotInitialized) {
    return answer;
  }
  // Redis lost the gate (restart, FLUSHALL) or it was never built: rebuild
  // it from PostgreSQL (NOT_FOUND for an unknown SKU) and ask once more.
  spdlog::info("event=gate_missing sku={} action=reconcile", sku_id);
  if (auto s = reconciler_->EnsureGate(sku_id); !s.ok()) return s;
  return gate_->Reserve(sku_id, owner, user_id, quantity);
}

void StockFlow::GateRelease(const std::vector<std::string>& skus,
                            const GateOwner& owner, const char* why) {
  for (const std::string& sku_id : skus) {
    auto released = gate_->Release(sku_id, owner);
    GateRollbacks().Increment();
    if (!released.ok() || (released->status != GateStatus::kOk &&
                           released->status != GateStatus::kDuplicate)) {
      const std::string answer =
          released.ok() ? std::string(GateStatusName(released->status))
                        : ReasonOf(released.status());
      SyncFailures().Add({{"op", "rollback"}, {"result", answer}}).Increment();
      spdlog::warn(
          "event=gate_rollback_failed sku={} owner={}:{} why={} answer={} "
          "error=\"{}\"",
          sku_id, std::string(owner.gid), std::string(owner.branch_id), why,
          answer,
          released.ok() ? "" : std::string(released.status().message()));
    }
  }
}

absl::StatusOr<Reservation> StockFlow::Reserve(const ReserveCommand& command) {
  if (!gated()) return store_->Reserve(command);
  // Owners use the canonical (lower-case) gid, as PostgreSQL prints it, so
  // the reconciler matches gate and database records.
  const std::string gid = Lower(command.gid);
  const GateOwner owner{gid, command.branch_id};
  std::vector<std::string> taken;  // SKUs this call reserved in the gate
  for (const StockLine& line : command.items) {
    auto answer =
        GateReserve(line.sku_id, owner, command.user_id, line.quantity);
    if (!answer.ok()) {
      GateRelease(taken, owner, "gate_error");
      std::string reason = ReasonOf(answer.status());
      if (reason.empty()) {
        reason = absl::StatusCodeToString(answer.status().code());
      }
      if (reason != "SKU_NOT_FOUND") {
        GateRefusals().Add({{"reason", reason}}).Increment();
      }
      return answer.status();
    }
    switch (answer->status) {
      case GateStatus::kOk:
        taken.push_back(line.sku_id);
        break;
      case GateStatus::kDuplicate:  // a repeated Try: the barrier answers
      case GateStatus::kCancelled:  // the barrier decides (see the header)
        break;
      default: {
        // SOLD_OUT, USER_LIMIT, NOT_INITIALIZED (after a rebuild), ...
        GateRelease(taken, owner, "gate_refused");
        // The facts go with the refusal (ErrorInfo metadata) for clients.
        const absl::Status refusal = WithMetadata(
            TryStatus(answer->status,
                      answer->status == GateStatus::kSoldOut
                          ? absl::StrCat("fewer than ", line.quantity,
                                         " units of ", line.sku_id, " are left")
                      : answer->status == GateStatus::kUserLimit
                          ? absl::StrCat("user ", command.user_id,
                                         " would pass the per-user limit of ",
                                         line.sku_id)
                          : answer->message),
            {{"skuId", line.sku_id},
             {"quantity", absl::StrCat(line.quantity)}});
        GateRefusals()
            .Add({{"reason", std::string(GateStatusName(answer->status))}})
            .Increment();
        return refusal;
      }
    }
  }

  auto reservation = store_->Reserve(command);
  if (!reservation.ok()) {
    GateRelease(taken, owner, "pg_refused");
    return reservation;
  }
  if (reservation->duplicate && !taken.empty()) {
    // A repeat naming SKUs the original Try did not: PostgreSQL answers
    // with the original lines, so this call's extra gate units go back.
    std::vector<std::string> extra;
    for (const std::string& sku_id : taken) {
      const bool stored = std::any_of(
          reservation->items.begin(), reservation->items.end(),
          [&](const ReservedLine& l) { return l.sku_id == sku_id; });
      if (!stored) extra.push_back(sku_id);
    }
    GateRelease(extra, owner, "duplicate_extra");
  }
  return reservation;
}

absl::StatusOr<bool> StockFlow::Confirm(const std::string& gid,
                                        const std::string& branch_id) {
  auto result = store_->Confirm(gid, branch_id);
  if (!result.ok()) return result.status();
  if (gated()) {
    const std::string lower = Lower(gid);
    const GateOwner owner{lower, branch_id};
    for (const BranchLine& line : result->lines) {
      auto committed = gate_->Commit(line.sku_id, owner);
      if (!committed.ok() || (committed->status != GateStatus::kOk &&
                              committed->status != GateStatus::kDuplicate)) {
        const std::string answer =
            committed.ok() ? std::string(GateStatusName(committed->status))
                           : ReasonOf(committed.status());
        SyncFailures().Add({{"op", "commit"}, {"result", answer}}).Increment();
        spdlog::warn(
            "event=gate_commit_failed sku={} gid={} branch={} answer={} "
            "error=\"{}\"",
            line.sku_id, gid, branch_id, answer,
            committed.ok() ? "" : std::string(committed.status().message()));
      }
    }
  }
  return result->applied;
}

absl::StatusOr<bool> StockFlow::Cancel(const std::string& gid,
                                       const std::string& branch_id) {
  auto result = store_->Cancel(gid, branch_id);
  if (!result.ok()) return result.status();
  if (gated()) {
    const std::string lower = Lower(gid);
    const GateOwner owner{lower, branch_id};
    for (const BranchLine& line : result->lines) {
      auto released = gate_->Release(line.sku_id, owner);
      if (!released.ok() || (released->status != GateStatus::kOk &&
                             released->status != GateStatus::kDuplicate)) {
        const std::string answer =
            released.ok() ? std::string(GateStatusName(released->status))
                          : ReasonOf(released.status());
        SyncFailures().Add({{"op", "release"}, {"result", answer}}).Increment();
        spdlog::warn(
            "event=gate_release_failed sku={} gid={} branch={} answer={} "
            "error=\"{}\"",
            line.sku_id, gid, branch_id, answer,
            released.ok() ? "" : std::string(released.status().message()));
      }
    }
  }
  return result->applied;
}

}  // namespace turnstile::inventory
