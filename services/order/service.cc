#include "services/order/service.h"

#include <spdlog/spdlog.h>

#include "prometheus/counter.h"
#include "services/common/caller.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/common/time_util.h"
#include "services/common/trace_grpc.h"
#include "services/common/validate.h"
#include "services/order/booked_items.h"

namespace turnstile::order {
namespace {

constexpr char kDomain[] = "order.turnstile";

// Outcomes of the order API by method and status code (with reason).
prometheus::Family<prometheus::Counter>& Outcomes() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_order_outcomes_total")
                            .Help("Order API results, by method and reason")
                            .Register(Metrics());
  return family;
}

grpc::Status Reply(const char* method, const absl::Status& status) {
  std::string reason = status.ok() ? "OK" : ReasonOf(status);
  if (reason.empty()) reason = absl::StatusCodeToString(status.code());
  Outcomes().Add({{"method", method}, {"reason", reason}}).Increment();
  return ToGrpc(status, kDomain);
}

v1::OrderState ToProtoState(OrderState state) {
  switch (state) {
    case OrderState::kPending:
      return v1::ORDER_STATE_PENDING;
    case OrderState::kPendingPayment:
      return v1::ORDER_STATE_PENDING_PAYMENT;
    case OrderState::kPaid:
      return v1::ORDER_STATE_PAID;
    case OrderState::kCancelled:
      return v1::ORDER_STATE_CANCELLED;
    case OrderState::kExpired:
      return v1::ORDER_STATE_EXPIRED;
    case OrderState::kFailed:
      return v1::ORDER_STATE_FAILED;
  }
  return v1::ORDER_STATE_UNSPECIFIED;
}

Deadline ClientDeadline(const grpc::ServerContext* context) {
  return context->deadline();  // time_point::max() when the client set none
}

}  // namespace

void ToProto(const OrderRecord& order, v1::OrderInfo* info) {
  info->set_order_id(order.order_id);
  info->set_user_id(order.user_id);
  info->set_request_id(order.request_id);
  info->set_state(ToProtoState(order.state));
  info->mutable_total()->set_currency(order.currency);
  info->mutable_total()->set_minor_units(order.total_minor);
  if (order.expires_at_us != 0) {
    SetMicros(info->mutable_expires_at(), order.expires_at_us);
  }
  SetMicros(info->mutable_created_at(), order.created_at_us);
  SetMicros(info->mutable_updated_at(), order.updated_at_us);
  info->set_pay_now(order.pay_now);
  for (const auto& item : order.items) {
    auto* out = info->add_items();
    out->set_kind(item.kind);
    out->set_sku_id(item.sku_id);
    out->set_event_id(item.event_id);
    out->set_seat_id(item.seat_id);
    out->set_quantity(item.quantity);
    out->mutable_unit_price()->set_currency(order.currency);
    out->mutable_unit_price()->set_minor_units(item.unit_price_minor);
    if (item.is_booking()) {
      ToBookedItem(item, order.currency, out->mutable_booking());
    }
  }
}

grpc::Status OrderService::PlaceOrder(grpc::ServerContext* context,
                                      const v1::PlaceOrderRequest* request,
                                      v1::PlaceOrderResponse* response) {
  const ServerTraceScope trace(*context);
  auto user = ActingUser(*context);
  if (!user.ok()) return Reply("PlaceOrder", user.status());
  auto input = ParsePlaceOrder(*request, *user);
  if (!input.ok()) return Reply("PlaceOrder", input.status());
  auto order = pay_now_ != nullptr && input->pay_now
                   ? pay_now_->PlaceOrder(*input, ClientDeadline(context))
                   : flow_.PlaceOrder(*input, ClientDeadline(context));
  if (!order.ok()) return Reply("PlaceOrder", order.status());
  ToProto(*order, response->mutable_order());
  return Reply("PlaceOrder", absl::OkStatus());
}

grpc::Status OrderService::PayOrder(grpc::ServerContext* context,
                                    const v1::PayOrderRequest* request,
                                    v1::OrderInfo* response) {
  const ServerTraceScope trace(*context);
  auto user = ActingUser(*context);
  if (!user.ok()) return Reply("PayOrder", user.status());
  if (auto s = ValidateOrderRef(*request, request->order_id()); !s.ok()) {
    return Reply("PayOrder", s);
  }
  auto order =
      flow_.PayOrder(request->order_id(), *user, ClientDeadline(context));
  if (!order.ok()) return Reply("PayOrder", order.status());
  ToProto(*order, response);
  return Reply("PayOrder", absl::OkStatus());
}

grpc::Status OrderService::CancelOrder(grpc::ServerContext* context,
                                       const v1::CancelOrderRequest* request,
                                       v1::OrderInfo* response) {
  const ServerTraceScope trace(*context);
  auto user = ActingUser(*context);
  if (!user.ok()) return Reply("CancelOrder", user.status());
  if (auto s = ValidateOrderRef(*request, request->order_id()); !s.ok()) {
    return Reply("CancelOrder", s);
  }
  auto order =
      flow_.CancelOrder(request->order_id(), *user, ClientDeadline(context));
  if (!order.ok()) return Reply("CancelOrder", order.status());
  ToProto(*order, response);
  return Reply("CancelOrder", absl::OkStatus());
}

grpc::Status OrderService::GetOrder(grpc::ServerContext* context,
                                    const v1::GetOrderRequest* request,
                                    v1::OrderInfo* response) {
  const ServerTraceScope trace(*context);
  const Caller caller = CallerOf(*context);
  if (auto s = ValidateOrderRef(*request, request->order_id()); !s.ok()) {
    return Reply("GetOrder", s);
  }
  auto order = store_.Get(request->order_id());
  if (!order.ok()) return Reply("GetOrder", order.status());
  // A buyer sees only their own orders; another's is NOT_FOUND, never
  // "exists but forbidden". Operators (without a user, or admin) see all.
  const bool owner_only = !caller.user.empty() && !caller.is_operator;
  if (!order->has_value() || (owner_only && (**order).user_id != caller.user)) {
    return Reply("GetOrder",
                 NotFound("order " + request->order_id() + " not found"));
  }
  ToProto(**order, response);
  return Reply("GetOrder", absl::OkStatus());
}

grpc::Status OrderService::ListOrders(grpc::ServerContext* context,
                                      const v1::ListOrdersRequest* request,
                                      v1::ListOrdersResponse* response) {
  const ServerTraceScope trace(*context);
  auto user = ActingUser(*context);
  if (!user.ok()) return Reply("ListOrders", user.status());
  auto input = ParseListOrders(*request, *user);
  if (!input.ok()) return Reply("ListOrders", input.status());
  // One more than asked tells whether another page exists.
  auto orders = store_.List(input->user_id, input->page_size + 1, input->after);
  if (!orders.ok()) return Reply("ListOrders", orders.status());
  const bool more = static_cast<int>(orders->size()) > input->page_size;
  if (more) orders->resize(input->page_size);
  for (const auto& order : *orders) ToProto(order, response->add_orders());
  if (more) {
    const auto& last = orders->back();
    response->set_next_page_token(
        EncodePageToken({last.created_at_us, last.order_id}));
  }
  return Reply("ListOrders", absl::OkStatus());
}

grpc::Status OrderParticipant::Confirm(grpc::ServerContext* context,
                                       const v1::ConfirmRequest* request,
                                       v1::ConfirmResponse* response) {
  const ServerTraceScope trace(*context);
  const GidScope gid(request->txn().gid());
  if (auto s = ValidateOrderBranch(request->txn()); !s.ok()) {
    return ToGrpc(s, kDomain);
  }
  const auto& txn = request->txn();
  auto result = store_.Confirm(txn.gid(), txn.branch_id());
  if (!result.ok()) {
    spdlog::error("event=order_confirm_failed gid={} error=\"{}\"", txn.gid(),
                  result.status().ToString());
    return ToGrpc(result.status(), kDomain);
  }
  if (result->applied) {
    spdlog::info("event=order_paid gid={} from={}", txn.gid(),
                 StateName(*result->from));
  }
  response->set_applied(result->applied);
  return grpc::Status::OK;
}

grpc::Status OrderParticipant::Cancel(grpc::ServerContext* context,
                                      const v1::CancelRequest* request,
                                      v1::CancelResponse* response) {
  const ServerTraceScope trace(*context);
  const GidScope gid(request->txn().gid());
  if (auto s = ValidateOrderBranch(request->txn()); !s.ok()) {
    return ToGrpc(s, kDomain);
  }
  const auto& txn = request->txn();
  const CancelTarget target = CancelTargetFor(request->reason());
  auto result = store_.Cancel(txn.gid(), txn.branch_id(), target);
  if (!result.ok()) {
    spdlog::error("event=order_cancel_failed gid={} error=\"{}\"", txn.gid(),
                  result.status().ToString());
    return ToGrpc(result.status(), kDomain);
  }
  spdlog::info("event=order_cancelled gid={} to={} applied={} note=\"{}\"",
               txn.gid(), StateName(target.state), result->applied,
               result->note);
  response->set_applied(result->applied);
  return grpc::Status::OK;
}

}  // namespace turnstile::order
