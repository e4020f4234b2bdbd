#include "services/order/payment_window.h"

#include <algorithm>
#include <climits>

namespace turnstile::order {

int LineWindowSeconds(const LineInput& line, const ProductWindows& windows) {
  switch (line.kind()) {
    case LineKind::kSlot:
      return windows.slot_s;
    case LineKind::kLeg:
      return windows.leg_s;
    case LineKind::kSku:
    case LineKind::kSeat:
      break;
  }
  return windows.stock_and_seat_s;
}

int PaymentWindowSeconds(const PlaceOrderInput& in,
                         const ProductWindows& windows) {
  if (in.payment_window_s > 0) return in.payment_window_s;
  int window = INT_MAX;
  for (const LineInput& line : in.lines) {
    window = std::min(window, LineWindowSeconds(line, windows));
  }
  return window == INT_MAX ? windows.stock_and_seat_s : window;
}

}  // namespace turnstile::order
