// The inventory TCC phases with the Redis gate in front of PostgreSQL
// (issue 3 item 2), for the gate strategy; the other strategies go straight
// to the store. Try: stock_reserve per line first; a gate refusal (SOLD_OUT,
// USER_LIMIT) is returned without touching PostgreSQL; a pass is followed by
// the PostgreSQL barrier and conditional update, which stay authoritative
// (the per-user limit is checked again there); if PostgreSQL refuses or
// fails, what this call reserved in the gate is released. Confirm/Cancel:
// PostgreSQL first, then stock_commit/stock_release; a gate failure there
// is logged and counted, never returned (the reconciler repairs it).
//
// Redis unavailable at Try time: UNAVAILABLE (REDIS_UNAVAILABLE), retryable,
// nothing changed in PostgreSQL. A gate that is missing for a SKU is rebuilt
// from PostgreSQL on the spot (Reconciler::EnsureGate) and tried once more.
// A Try the gate answers CANCELLED (its owner was released there: by a
// Cancel, or by an earlier attempt of this Try that PostgreSQL failed) is
// decided by the PostgreSQL barrier: ABORTED if the branch was cancelled, the
// stored reservation if it committed, otherwise it runs without the gate's
// count (over-admitting, never overselling, until the next reconcile).
// An empty-rollback Cancel cannot write gate tombstones: it does not know
// which SKUs the missing Try would have named; the barrier refuses that Try
// in PostgreSQL and its gate units are released then.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/gate_scripts.h"
#include "services/inventory/model.h"
#include "services/inventory/reconciler.h"
#include "services/inventory/store.h"

namespace turnstile::inventory {

class StockFlow {
 public:
  // `gate` and `reconciler` are used (and must be set) only for the gate
  // strategy.
  StockFlow(InventoryStore* store, Strategy strategy, StockGate* gate,
            Reconciler* reconciler);

  // Creates the SKU in PostgreSQL, then its gate (a gate failure is logged;
  // the first Try or the reconciler builds it).
  absl::StatusOr<SkuRecord> CreateSku(const NewSku& sku);
  // Try; `command` validated and sorted by sku_id.
  absl::StatusOr<Reservation> Reserve(const ReserveCommand& command);
  // Returns whether this call did the work (false for a repeat).
  absl::StatusOr<bool> Confirm(const std::string& gid,
                               const std::string& branch_id);
  // Returns whether this call released something.
  absl::StatusOr<bool> Cancel(const std::string& gid,
                              const std::string& branch_id);

  Strategy strategy() const { return strategy_; }
  bool gated() const { return strategy_ == Strategy::kGate; }

 private:
  // stock_reserve, rebuilding a missing gate once.
  absl::StatusOr<StockGateResult> GateReserve(const std::string& sku_id,
                                              const GateOwner& owner,
                                              const std::string& user_id,
                                              int64_t quantity);
  // Releases this call's gate reservations of `skus` (best effort).
  void GateRelease(const std::vector<std::string>& skus, const GateOwner& owner,
                   const char* why);

  InventoryStore* const store_;
  const Strategy strategy_;
  StockGate* const gate_;
  Reconciler* const reconciler_;
};

}  // namespace turnstile::inventory
