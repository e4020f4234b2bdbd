#include "tools/bench_orders.h"

#include <utility>

#include "tools/bench_rpc.h"

namespace turnstile::bench {

grpc::Status NotPaid(const v1::OrderInfo& order) {
  return grpc::Status(
      grpc::StatusCode::UNKNOWN,
      "order answered OK in state " + v1::OrderState_Name(order.state()));
}

void PlaceOne(v1::Order::Stub& stub, const std::string& user,
              const std::string& request_id, const std::string& sku,
              bool pay_now, OpDone done) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  req.set_pay_now(pay_now);
  auto* line = req.add_lines();
  line->set_sku_id(sku);
  line->set_quantity(1);
  PlaceRequest(stub, user, std::move(req), std::move(done));
}

void PlaceRequest(v1::Order::Stub& stub, const std::string& user,
                  v1::PlaceOrderRequest req, OpDone done) {
  const bool pay_now = req.pay_now();
  Send<v1::PlaceOrderRequest, v1::PlaceOrderResponse>(
      [&stub](auto... a) { stub.async()->PlaceOrder(a...); }, std::move(req),
      [&stub, user, pay_now, done](const grpc::Status& s,
                                   const v1::PlaceOrderResponse& resp) {
        if (!s.ok()) return done(s);
        if (pay_now) {
          return done(resp.order().state() == v1::ORDER_STATE_PAID
                          ? grpc::Status::OK
                          : NotPaid(resp.order()));
        }
        v1::PayOrderRequest pay;
        pay.set_order_id(resp.order().order_id());
        Send<v1::PayOrderRequest, v1::OrderInfo>(
            [&stub](auto... a) { stub.async()->PayOrder(a...); }, pay,
            [&stub, pay, user, done](const grpc::Status& s2,
                                     const v1::OrderInfo& order) {
              if (s2.ok()) {
                return done(order.state() == v1::ORDER_STATE_PAID
                                ? grpc::Status::OK
                                : NotPaid(order));
              }
              v1::CancelOrderRequest cancel;
              cancel.set_order_id(pay.order_id());
              Send<v1::CancelOrderRequest, v1::OrderInfo>(
                  [&stub](auto... a) { stub.async()->CancelOrder(a...); },
                  cancel, [](const grpc::Status&, const v1::OrderInfo&) {},
                  user);
              done(s2);
            },
            user);
      },
      user);
}

}  // namespace turnstile::bench
