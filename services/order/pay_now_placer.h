// The seam through which a pay_now PlaceOrder can be handled other than by
// OrderFlow. The production binary, turnstile-order, never installs one; only
// the bench-only turnstile-order-bypass (bypass_main.cc) does, with the
// UNSAFE coordinator-bypass flow (bypass_flow.h). OrderService depends on
// this interface rather than on BypassFlow so that the bypass code is not
// even linked into turnstile-order.
#pragma once

#include "absl/status/statusor.h"
#include "services/order/flow_ports.h"
#include "services/order/model.h"
#include "services/order/validation.h"

namespace turnstile::order {

class PayNowPlacer {
 public:
  virtual ~PayNowPlacer() = default;

  // Places a pay_now order (PlaceOrderInput::pay_now is true).
  virtual absl::StatusOr<OrderRecord> PlaceOrder(const PlaceOrderInput& input,
                                                 Deadline client_deadline) = 0;
};

}  // namespace turnstile::order
