// The payment window of a reserve-then-pay order (pure): how long its
// reservation lasts before it EXPIRES. Known before Begin, since it is the
// transaction's timeout (expires_at = the transaction deadline), so it comes
// from the request and the kinds of its lines, never from a Try's answer.
#pragma once

#include "services/order/validation.h"

namespace turnstile::order {

// Each product's window, in seconds (flags --default_payment_window_s,
// --slot_payment_window_s, --leg_payment_window_s of turnstile-order).
struct ProductWindows {
  int stock_and_seat_s = 900;  // SKUs and event seats
  int slot_s = 300;            // net-cafe slots (issue 10: 5 minutes)
  int leg_s = 900;             // train legs (seed 002: 15 minutes)
};

// The product window of one line.
int LineWindowSeconds(const LineInput& line, const ProductWindows& windows);

// The request's payment_window_seconds if set, else the shortest window of
// its lines' products (a slot line makes the whole order a 5-minute one).
int PaymentWindowSeconds(const PlaceOrderInput& in,
                         const ProductWindows& windows);

}  // namespace turnstile::order
