// The inventory database: SKUs, stock counters, reservations and per-user
// purchase counters. Every method is one local read-committed transaction;
// the TCC phases run inside the barrier (services/common/barrier.h) so the
// barrier row and the stock change commit or roll back together. SQL lives
// here and nowhere else; results are plain structs from model.h.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/pg_pool.h"
#include "services/inventory/model.h"

namespace turnstile::inventory {

class InventoryStore {
 public:
  InventoryStore(std::string conninfo, int pool_size);

  // ALREADY_EXISTS if the id is taken.
  absl::StatusOr<SkuRecord> CreateSku(const NewSku& sku);
  // NOT_FOUND if unknown.
  absl::StatusOr<SkuRecord> GetSku(const std::string& sku_id);
  // SKUs with id > after, in id order.
  absl::StatusOr<SkuPage> ListSkus(int page_size, const std::string& after);

  // Try. `command` must be validated and sorted by sku_id (the lock order).
  // All or nothing: NOT_FOUND (unknown SKU), FAILED_PRECONDITION (SOLD_OUT,
  // USER_LIMIT), INVALID_ARGUMENT (MIXED_CURRENCY, AMOUNT_TOO_LARGE), ABORTED
  // (BRANCH_CANCELLED) leave nothing behind. A repeat returns the stored
  // reservation.
  absl::StatusOr<Reservation> Reserve(const ReserveCommand& command);

  // LOCKED -> SOLD. Returns true if this call did the work, false for a
  // repeat. FAILED_PRECONDITION (BRANCH_NOT_TRIED) if the branch has nothing
  // to confirm: that is a coordinator fault and must stay visible.
  absl::StatusOr<bool> Confirm(const std::string& gid,
                               const std::string& branch_id);

  // LOCKED -> RELEASED. Returns true if this call released something, false
  // for a repeat or an empty rollback (which makes any later Try fail).
  absl::StatusOr<bool> Cancel(const std::string& gid,
                              const std::string& branch_id);

 private:
  PgPool pool_;
};

}  // namespace turnstile::inventory
