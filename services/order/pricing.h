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
#include "turnstile/v1/booking.pb.h"
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

// One item per SKU line, per seat, and per BookedItem of the booking Try's
// answer (kind "slot" or "leg", quantity 1, its price; in the answer's
// order). FAILED_PRECONDITION MIXED_CURRENCY if the prices are in more than
// one currency (e.g. a EUR stock line beside a CNY train leg), TOTAL_TOO_LARGE
// above kMaxTotal; INTERNAL BAD_PEER_RESPONSE if a response does not match what
// was asked.
absl::StatusOr<PricedOrder> PriceOrder(
    const PlaceOrderInput& input, const v1::ReserveStockResponse& stock,
    const v1::HoldSeatsResponse& seats,
    const v1::HoldBookingsResponse& bookings);

// The request a stored order was placed with (to re-drive a PENDING order);
// the booking line comes back from orders.booking_line. INTERNAL
// BAD_STORED_LINE if that is unreadable.
absl::StatusOr<PlaceOrderInput> InputFromRecord(const OrderRecord& order);

}  // namespace turnstile::order
