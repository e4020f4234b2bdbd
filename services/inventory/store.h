// The inventory database: SKUs, stock counters (one row per bucket),
// reservations and per-user purchase counters. Every method is one local
// read-committed transaction (the reconciler's read is one repeatable-read
// snapshot); the TCC phases run inside the barrier
// (services/common/barrier.h) so the barrier row and the stock change commit
// or roll back together. SQL lives here and nowhere else; results are plain
// structs from model.h.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/backoff.h"
#include "services/common/orphan_decision.h"
#include "services/common/pg_pool.h"
#include "services/inventory/model.h"

namespace turnstile::inventory {

struct StoreOptions {
  // How a Try takes units from a stock row. kGate uses the conditional
  // UPDATE ... WHERE available >= n (the Redis part lives in StockFlow).
  Strategy strategy = Strategy::kGate;
  // kOptimistic: local transactions tried per Try before UNAVAILABLE
  // (reason CONTENDED), and the backoff between them.
  int optimistic_attempts = 10;
  BackoffPolicy optimistic_backoff{std::chrono::milliseconds(2),
                                   std::chrono::milliseconds(100)};
};

class InventoryStore {
 public:
  InventoryStore(std::string conninfo, int pool_size,
                 StoreOptions options = {});

  // Creates the SKU and its buckets (sku.buckets validated, 0 taken as 1).
  // ALREADY_EXISTS if the id is taken.
  absl::StatusOr<SkuRecord> CreateSku(const NewSku& sku);
  // Counters summed over the buckets. NOT_FOUND if unknown.
  absl::StatusOr<SkuRecord> GetSku(const std::string& sku_id);
  // SKUs with id > after, in id order.
  absl::StatusOr<SkuPage> ListSkus(int page_size, const std::string& after);
  // Up to `limit` SKU ids > after, in id order (the reconciler's walk).
  absl::StatusOr<std::vector<std::string>> ListSkuIds(const std::string& after,
                                                      int limit);

  // Try. `command` must be validated and sorted by sku_id (the lock order).
  // Each line takes its units from one bucket: PickBucket(gid) first, then
  // the others in FallbackOrder; a line larger than every bucket's
  // available units is SOLD_OUT even if their sum would do.
  // All or nothing: NOT_FOUND (unknown SKU), FAILED_PRECONDITION (SOLD_OUT,
  // USER_LIMIT), INVALID_ARGUMENT (MIXED_CURRENCY, AMOUNT_TOO_LARGE), ABORTED
  // (BRANCH_CANCELLED), UNAVAILABLE (CONTENDED: optimistic strategy out of
  // attempts) leave nothing behind. A repeat returns the stored reservation.
  absl::StatusOr<Reservation> Reserve(const ReserveCommand& command);

  // LOCKED -> SOLD. FAILED_PRECONDITION (BRANCH_NOT_TRIED) if the branch has
  // nothing to confirm: that is a coordinator fault and must stay visible.
  absl::StatusOr<PhaseResult> Confirm(const std::string& gid,
                                      const std::string& branch_id);

  // LOCKED -> RELEASED. applied is false for a repeat or an empty rollback
  // (which makes any later Try fail).
  absl::StatusOr<PhaseResult> Cancel(const std::string& gid,
                                     const std::string& branch_id);

  // The orphan sweep (services/common/orphan_sweeper.h): up to `limit`
  // branches with a LOCKED line whose stored deadline is more than `margin`
  // ago, oldest first (the partial index of sql/inventory/0008). Lines
  // without a deadline (from before it was stored) are never listed.
  absl::StatusOr<std::vector<OverdueHold>> ListOverdue(
      std::chrono::seconds margin, int limit);

  // PostgreSQL's side of the gate of `sku_id` in one repeatable-read
  // snapshot, with the facts about each of `owners` ("<gid>:<branch_id>";
  // owners whose gid is not a UUID are reported as unknown to PostgreSQL).
  // NOT_FOUND if the SKU does not exist.
  absl::StatusOr<StockTruth> ReadStockTruth(
      const std::string& sku_id, const std::vector<std::string>& owners);

 private:
  PgPool pool_;
  const StoreOptions options_;
};

}  // namespace turnstile::inventory
