// The order domain as plain values, shared by the flow, the store and the
// handlers: order states with their names in the database, stored orders and
// items, and how a participant Cancel maps to a final state and log reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "turnstile/v1/participant.pb.h"

namespace turnstile::order {

enum class OrderState {
  kPending,         // pay_now order whose transaction is being committed
  kPendingPayment,  // reserved, waiting for PayOrder until expires_at
  kPaid,
  kCancelled,
  kExpired,
  kFailed,
};

// "PENDING", "PENDING_PAYMENT", ... as stored in orders.state.
const char* StateName(OrderState state);
std::optional<OrderState> ParseState(const std::string& name);
// True for the two states a Confirm or Cancel may still move.
bool IsOpen(OrderState state);

// What a slot or leg item booked (booking.proto BookedItem without its
// price): a machine of a venue over slots [from_unit, to_unit) of a
// venue-day (with the window's instants), or a seat of a run from stop
// from_unit to stop to_unit for one passenger's document.
struct BookingItem {
  std::string venue_id;      // slot
  std::string machine_id;    // slot
  std::string venue_day;     // slot, "YYYY-MM-DD"
  int64_t starts_at_us = 0;  // slot, epoch micros
  int64_t ends_at_us = 0;    // slot, epoch micros
  std::string run_id;        // leg
  std::string seat_id;       // leg, the run's seat "<car>-<number>"
  std::string doc_id;        // leg, the passenger's document
  int32_t from_unit = 0;     // slot: first slot; leg: boarding stop
  int32_t to_unit = 0;       // slot: one past the last slot; leg: alighting

  bool operator==(const BookingItem&) const = default;
};

// One stored line: a SKU with a quantity, one seat, one booked machine
// (kind "slot") or one passenger's seat over a leg (kind "leg").
struct OrderItem {
  std::string kind;  // "sku", "seat", "slot" or "leg"
  std::string sku_id;
  std::string event_id;
  std::string seat_id;
  int64_t quantity = 0;
  int64_t unit_price_minor = 0;
  BookingItem booking;  // slot and leg items only

  bool operator==(const OrderItem&) const = default;
  bool is_booking() const { return kind == "slot" || kind == "leg"; }
};

// An order as stored; order_id is the gid of its global transaction.
struct OrderRecord {
  std::string order_id;
  std::string user_id;
  std::string request_id;
  OrderState state = OrderState::kPending;
  bool pay_now = false;
  int64_t total_minor = 0;
  std::string currency;
  int64_t expires_at_us = 0;  // epoch micros; 0 = none (pay_now)
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
  std::vector<OrderItem> items;
  // The booking line as asked (booked_items.h BookingLineJson: the
  // turnstile.v1.OrderLine with only slot or leg set, as proto JSON); ""
  // without one. Re-driving a PENDING order sends it again unchanged.
  std::string booking_line;
};

// What a participant Cancel does to an open order: DEADLINE -> EXPIRED,
// USER -> CANCELLED, anything else -> FAILED, with the log reason.
struct CancelTarget {
  OrderState state;
  std::string reason;
};
CancelTarget CancelTargetFor(v1::CancelReason reason);

// The canonical content of the order branch's Try
// (services/common/try_content.h): who, which request, how it is paid and
// every line in order, so that a repeat creating another order under the
// same gid is refused (TRY_MISMATCH).
std::string TryContentOf(const OrderRecord& order);

}  // namespace turnstile::order
