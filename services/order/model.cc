#include "services/order/model.h"

#include "absl/strings/str_cat.h"
#include "services/common/try_content.h"

namespace turnstile::order {

const char* StateName(OrderState state) {
  switch (state) {
    case OrderState::kPending:
      return "PENDING";
    case OrderState::kPendingPayment:
      return "PENDING_PAYMENT";
    case OrderState::kPaid:
      return "PAID";
    case OrderState::kCancelled:
      return "CANCELLED";
    case OrderState::kExpired:
      return "EXPIRED";
    case OrderState::kFailed:
      return "FAILED";
  }
  return "UNKNOWN";
}

std::optional<OrderState> ParseState(const std::string& name) {
  for (OrderState s :
       {OrderState::kPending, OrderState::kPendingPayment, OrderState::kPaid,
        OrderState::kCancelled, OrderState::kExpired, OrderState::kFailed}) {
    if (name == StateName(s)) return s;
  }
  return std::nullopt;
}

bool IsOpen(OrderState state) {
  return state == OrderState::kPending || state == OrderState::kPendingPayment;
}

CancelTarget CancelTargetFor(v1::CancelReason reason) {
  switch (reason) {
    case v1::CANCEL_REASON_DEADLINE:
      return {OrderState::kExpired, "cancelled: DEADLINE"};
    case v1::CANCEL_REASON_USER:
      return {OrderState::kCancelled, "cancelled: USER"};
    case v1::CANCEL_REASON_TRY_FAILED:
      return {OrderState::kFailed, "cancelled: TRY_FAILED"};
    default:
      return {OrderState::kFailed,
              absl::StrCat("cancelled: reason ", static_cast<int>(reason))};
  }
}

std::string TryContentOf(const OrderRecord& order) {
  TryContent content;
  content.Add("user", order.user_id)
      .Add("request", order.request_id)
      .Add("pay_now", order.pay_now ? "1" : "0")
      .Add("total", order.total_minor)
      .Add("currency", order.currency)
      .Add("items", static_cast<int64_t>(order.items.size()));
  for (const OrderItem& item : order.items) {
    content.Add("kind", item.kind)
        .Add("sku", item.sku_id)
        .Add("event", item.event_id)
        .Add("seat", item.seat_id)
        .Add("quantity", item.quantity)
        .Add("price", item.unit_price_minor);
    // Only booking items add fields: the content of every other order
    // stays what it was before booking lines existed.
    if (!item.is_booking()) continue;
    const BookingItem& b = item.booking;
    content.Add("venue", b.venue_id)
        .Add("machine", b.machine_id)
        .Add("day", b.venue_day)
        .Add("starts", b.starts_at_us)
        .Add("ends", b.ends_at_us)
        .Add("run", b.run_id)
        .Add("run_seat", b.seat_id)
        .Add("doc", b.doc_id)
        .Add("from", int64_t{b.from_unit})
        .Add("to", int64_t{b.to_unit});
  }
  if (!order.booking_line.empty()) {
    content.Add("booking_line", order.booking_line);
  }
  return content.str();
}

}  // namespace turnstile::order
