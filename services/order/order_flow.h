// The order flows of DESIGN.md §3.7 as a plain class over the Peers and
// OrderRepo ports (flow_ports.h): PlaceOrder (reserve-then-pay and pay_now),
// PayOrder and CancelOrder. It refuses a buyer of a sold-out SKU from the
// stock gate before anything else (gate_precheck.h), begins the global
// transaction, runs the Tries of each step in parallel with retry of
// transient failures (fanout.h), prices the order from the Tries' answers,
// aborts on any refusal and commits. Handlers (service.cc) only validate and
// translate around it.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/backoff.h"
#include "services/order/fanout.h"
#include "services/order/flow_ports.h"
#include "services/order/gate_precheck.h"
#include "services/order/model.h"
#include "services/order/payment_window.h"
#include "services/order/pricing.h"
#include "services/order/validation.h"

namespace turnstile::order {

struct FlowOptions {
  // Per outgoing call, separate from the transaction timeout.
  std::chrono::milliseconds rpc_timeout{2000};
  // Transaction timeout of a pay_now order.
  std::chrono::milliseconds pay_now_timeout{30000};
  // Payment windows per product when the request leaves it 0
  // (payment_window.h).
  ProductWindows windows;
  // Whether booking lines (slot, leg) are served: false when no booking
  // service is configured (--booking empty); they are then refused
  // INVALID_ARGUMENT before anything is written.
  bool serve_booking_lines = true;
  // Backoff between attempts of a call that failed transiently.
  BackoffPolicy backoff{std::chrono::milliseconds(50),
                        std::chrono::milliseconds(1000)};
};

// Sets `deadline` on a Try request whose message has a `deadline` Timestamp
// field (Seat.HoldSeats may carry the transaction deadline so that the seat
// gate's hold expires with the transaction); a no-op for other messages.
void SetTryDeadline(google::protobuf::Message& request, Deadline deadline);

// Prefixes `status` with where it came from, keeping code, reason, facts,
// retry delay and correlation id.
absl::Status FromBranch(const std::string& where, const absl::Status& status);

class OrderFlow {
 public:
  // `precheck` (optional, not owned) refuses sold-out orders before Begin.
  OrderFlow(Peers& peers, OrderRepo& repo, FlowOptions options,
            GatePrecheck* precheck = nullptr);

  // Idempotent on (user_id, request_id). Returns the order (PAID or PENDING
  // for pay_now, PENDING_PAYMENT otherwise) or the refusing Try's error.
  // `client_deadline` bounds retries (the caller would not see the answer).
  absl::StatusOr<OrderRecord> PlaceOrder(const PlaceOrderInput& input,
                                         Deadline client_deadline);
  absl::StatusOr<OrderRecord> PayOrder(const std::string& order_id,
                                       const std::string& user_id,
                                       Deadline client_deadline);
  absl::StatusOr<OrderRecord> CancelOrder(const std::string& order_id,
                                          const std::string& user_id,
                                          Deadline client_deadline);

 private:
  absl::StatusOr<OrderRecord> Load(const std::string& order_id);
  absl::StatusOr<OrderRecord> LoadOwned(const std::string& order_id,
                                        const std::string& user_id);
  // Begin answered with a transaction already decided (a repeat).
  absl::StatusOr<OrderRecord> Settle(const std::string& gid,
                                     v1::TxnState state);
  // Aborts after `branch` failed with `status` and returns that error.
  absl::Status AbortAfter(const std::string& gid, const std::string& branch,
                          const absl::Status& status);
  // Commit{wait}; ABORTED is explained through the coordinator.
  absl::StatusOr<OrderRecord> CommitAndLoad(const std::string& gid,
                                            Deadline txn_deadline,
                                            Deadline client_deadline);
  // Why a transaction no longer accepts payment: ALREADY_PAID or ABORTED
  // ORDER_EXPIRED / ORDER_CANCELLED / ORDER_FAILED; nullopt if still open.
  std::optional<absl::Status> ExplainClosed(const OrderRecord& order);
  // Coordinator calls are retried for at most 5 per-call timeouts: during
  // an outage the caller gets UNAVAILABLE quickly instead of holding a
  // handler thread (the transaction's deadline keeps everything safe).
  Deadline CoordinatorBudget() const {
    return Clock::now() + 5 * options_.rpc_timeout;
  }

  Peers& peers_;
  OrderRepo& repo_;
  const FlowOptions options_;
  const RetryPolicy policy_;
  GatePrecheck* const precheck_;
};

}  // namespace turnstile::order
