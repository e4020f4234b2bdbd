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

// One stored line: a SKU with a quantity, or one seat.
struct OrderItem {
  std::string kind;  // "sku" or "seat"
  std::string sku_id;
  std::string event_id;
  std::string seat_id;
  int64_t quantity = 0;
  int64_t unit_price_minor = 0;

  bool operator==(const OrderItem&) const = default;
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
