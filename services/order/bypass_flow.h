// UNSAFE, FOR MEASUREMENT ONLY (the bench-only binary turnstile-order-bypass,
// never turnstile-order): pay_now orders without the coordinator, to measure
// what the coordinator's durability costs (issue 3: full-TCC throughput as a
// ratio of this). A locally generated gid; the Tries are called directly
// (inventory/seat/booking in parallel, then the order row and the payment in
// parallel), then every Confirm directly (the order branch locally); a refusal
// cancels every branch directly. Nothing is logged anywhere: if this process
// dies between the Tries and the last Confirm, stock stays locked, seats held,
// money frozen and the order PENDING for good — no coordinator knows the
// transaction, no deadline will cancel it, no recovery will finish it. Never
// enable it outside a benchmark.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/order/fanout.h"
#include "services/order/flow_ports.h"
#include "services/order/gate_precheck.h"
#include "services/order/model.h"
#include "services/order/order_flow.h"
#include "services/order/pay_now_placer.h"
#include "services/order/validation.h"

namespace turnstile::order {

class BypassFlow final : public PayNowPlacer {
 public:
  // `precheck` (optional, not owned): the same sold-out pre-check as the
  // safe flow, so that both modes refuse losers alike.
  BypassFlow(Peers& peers, Phases& phases, OrderRepo& repo, FlowOptions options,
             GatePrecheck* precheck = nullptr);

  // pay_now only (INVALID_ARGUMENT otherwise). A repeated request returns
  // the stored order as it is (no re-drive).
  absl::StatusOr<OrderRecord> PlaceOrder(const PlaceOrderInput& input,
                                         Deadline client_deadline) override;

 private:
  // Confirm (or Cancel with `reason`) of every branch in parallel, transient
  // failures retried until `until`.
  absl::Status Finish(const std::string& gid,
                      const std::vector<std::string>& branches, bool confirm,
                      v1::CancelReason reason, Deadline until);
  // Cancels every branch (best effort) and returns `status` from `branch`.
  absl::Status CancelAfter(const std::string& gid,
                           const std::vector<std::string>& branches,
                           const std::string& branch,
                           const absl::Status& status);

  Peers& peers_;
  Phases& phases_;
  OrderRepo& repo_;
  const FlowOptions options_;
  const RetryPolicy policy_;
  GatePrecheck* const precheck_;
};

}  // namespace turnstile::order
