// Edge validation of the Order API (DESIGN.md §6): turns each request into a
// checked plain value or INVALID_ARGUMENT naming the field, before anything
// is called or written. Also the opaque ListOrders page token.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "turnstile/v1/booking.pb.h"
#include "turnstile/v1/order.pb.h"
#include "turnstile/v1/participant.pb.h"

namespace turnstile::order {

inline constexpr int kMaxLines = 20;
inline constexpr int kMaxSeats = 20;
inline constexpr int64_t kMaxQuantity = 1'000'000;
inline constexpr int kMaxWindowSeconds = 86400;
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 1000;
// The order's own branch in its global transaction.
inline constexpr char kOrderBranch[] = "order";

// What a line orders: stock of a SKU, seats of an event, or a booking over
// a range (booking.proto): machines of a net-cafe venue for a slot, or
// train seats for a leg.
enum class LineKind { kSku, kSeat, kSlot, kLeg };

// One checked line: a stock line (sku_id, quantity), the seat line
// (event_id, seat_ids) or the booking line (slot or leg as asked, sent on
// to the booking service unchanged; quantity = the items it books).
struct LineInput {
  std::string sku_id;
  int64_t quantity = 0;
  std::string event_id;
  std::vector<std::string> seat_ids;
  std::optional<v1::SlotHold> slot;
  std::optional<v1::LegHold> leg;

  LineKind kind() const {
    if (slot) return LineKind::kSlot;
    if (leg) return LineKind::kLeg;
    return event_id.empty() ? LineKind::kSku : LineKind::kSeat;
  }
  bool is_seat() const { return kind() == LineKind::kSeat; }
  bool is_booking() const { return slot.has_value() || leg.has_value(); }
};

struct PlaceOrderInput {
  std::string user_id;
  std::string request_id;
  std::vector<LineInput> lines;  // request order
  bool pay_now = false;
  int payment_window_s = 0;  // 0 = service default
};

// For the acting `user_id` (caller.h, already checked); no unknown fields
// (an old client's user_id field fails loudly); request_id 1..128
// printable; 1..20 lines, each exactly one of sku_id / event_id / slot /
// leg; quantity 1..10^6 on stock lines (0 or the item count on the others);
// distinct SKUs; at most one seat line with 1..20 distinct seat ids; at
// most one booking line (slot or leg: one booking branch per transaction)
// of the shape booking_lines.h checks; payment_window_seconds 0..86400.
absl::StatusOr<PlaceOrderInput> ParsePlaceOrder(
    const v1::PlaceOrderRequest& request, const std::string& user_id);

// No unknown fields, order_id a UUID (PayOrder and CancelOrder).
absl::Status ValidateOrderRef(const google::protobuf::Message& request,
                              const std::string& order_id);

// Keyset position of ListOrders: the last order of the previous page.
struct PageCursor {
  int64_t created_at_us = 0;
  std::string order_id;
};

struct ListInput {
  std::string user_id;
  int page_size = kDefaultPageSize;
  std::optional<PageCursor> after;
};

// For the acting `user_id`; no unknown fields; page_size and page_token.
absl::StatusOr<ListInput> ParseListOrders(const v1::ListOrdersRequest& request,
                                          const std::string& user_id);
std::string EncodePageToken(const PageCursor& cursor);

// Participant requests to the order branch: gid a UUID, branch "order".
absl::Status ValidateOrderBranch(const v1::TxnRef& txn);

}  // namespace turnstile::order
