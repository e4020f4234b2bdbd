// SQL of the order database (sql/order): orders (with the booking line as
// asked), order_item (stock, seat, slot and leg items) and
// order_status_log, plus the order branch's three TCC phases through the
// barrier. Every state change writes its status-log row in the same local
// transaction. Returns plain structs; never builds gRPC messages.
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/pg_pool.h"
#include "services/order/flow_ports.h"
#include "services/order/model.h"
#include "services/order/validation.h"

namespace turnstile::order {

// Result of a second phase on the order branch.
struct PhaseResult {
  bool applied = false;            // this call changed the order
  std::optional<OrderState> from;  // state before, when applied
  std::string note;                // why nothing changed ("" when applied)
};

class OrderStore final : public OrderRepo {
 public:
  explicit OrderStore(PgPool& pool) : pool_(pool) {}

  // Prepares this store's statements (and the barrier's) on a connection.
  static void Prepare(pqxx::connection& conn);

  absl::StatusOr<std::optional<OrderRecord>> FindByRequest(
      const std::string& user_id, const std::string& request_id) override;
  absl::StatusOr<std::optional<OrderRecord>> Get(
      const std::string& order_id) override;
  absl::Status TryCreate(const OrderRecord& order,
                         const std::string& reason) override;
  // Confirm / Cancel of the "order" branch (the coordinator-bypass mode).
  absl::Status ConfirmBranch(const std::string& gid) override;
  absl::Status CancelBranch(const std::string& gid,
                            v1::CancelReason reason) override;

  // Confirm: PENDING / PENDING_PAYMENT -> PAID, logged "confirmed".
  absl::StatusOr<PhaseResult> Confirm(const std::string& gid,
                                      const std::string& branch_id);
  // Cancel: PENDING / PENDING_PAYMENT -> target.state, logged with
  // target.reason; an empty rollback when the order was never tried.
  absl::StatusOr<PhaseResult> Cancel(const std::string& gid,
                                     const std::string& branch_id,
                                     const CancelTarget& target);

  // A user's orders, newest first (created_at, order_id descending), after
  // `after` if given; at most `limit`.
  absl::StatusOr<std::vector<OrderRecord>> List(
      const std::string& user_id, int limit,
      const std::optional<PageCursor>& after);

 private:
  PgPool& pool_;
};

}  // namespace turnstile::order
