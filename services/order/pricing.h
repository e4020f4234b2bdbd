// Pricing of an order from its first step's Try answers (pure, no I/O): the
// stored items and total of each line in request order, the one-currency
// rule and the total limit; and the way back from a stored order to the
// request it was placed with (to re-drive a PENDING pay_now order).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/order/model.h"
#include "services/order/validation.h"
#include "turnstile/v1/inventory.pb.h"
#include "turnstile/v1/seat.pb.h"

namespace turnstile::order {

// Largest total one payment can carry (Payment.AuthorizePayment's limit).
inline constexpr int64_t kMaxTotal = 1'000'000'000'000;

// The lines priced from the Try responses, in request order.
struct PricedOrder {
  std::vector<OrderItem> items;
  int64_t total_minor = 0;
  std::string currency;
};

// FAILED_PRECONDITION MIXED_CURRENCY if the prices are in more than one
// currency, TOTAL_TOO_LARGE above kMaxTotal; INTERNAL BAD_PEER_RESPONSE if a
// response does not match what was asked.
absl::StatusOr<PricedOrder> PriceOrder(const PlaceOrderInput& input,
                                       const v1::ReserveStockResponse& stock,
                                       const v1::HoldSeatsResponse& seats);

// The request a stored order was placed with (to re-drive a PENDING order).
PlaceOrderInput InputFromRecord(const OrderRecord& order);

}  // namespace turnstile::order
