// gRPC handlers of the order process: turnstile.v1.Order (the client API;
// validation and translation around OrderFlow and the store) and
// turnstile.v1.Participant for the "order" branch of each order's
// transaction, on the same port. No SQL here.
#pragma once

#include "services/order/order_flow.h"
#include "services/order/pay_now_placer.h"
#include "services/order/store.h"
#include "turnstile/v1/order.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile::order {

// Copies a stored order into its API message.
void ToProto(const OrderRecord& order, v1::OrderInfo* info);

class OrderService final : public v1::Order::Service {
 public:
  // `pay_now` (optional, not owned): places pay_now orders instead of
  // `flow`; only the bench-only turnstile-order-bypass passes one.
  OrderService(OrderFlow& flow, OrderStore& store,
               PayNowPlacer* pay_now = nullptr)
      : flow_(flow), store_(store), pay_now_(pay_now) {}

  grpc::Status PlaceOrder(grpc::ServerContext* context,
                          const v1::PlaceOrderRequest* request,
                          v1::PlaceOrderResponse* response) override;
  grpc::Status PayOrder(grpc::ServerContext* context,
                        const v1::PayOrderRequest* request,
                        v1::OrderInfo* response) override;
  grpc::Status CancelOrder(grpc::ServerContext* context,
                           const v1::CancelOrderRequest* request,
                           v1::OrderInfo* response) override;
  grpc::Status GetOrder(grpc::ServerContext* context,
                        const v1::GetOrderRequest* request,
                        v1::OrderInfo* response) override;
  grpc::Status ListOrders(grpc::ServerContext* context,
                          const v1::ListOrdersRequest* request,
                          v1::ListOrdersResponse* response) override;

 private:
  OrderFlow& flow_;
  OrderStore& store_;
  PayNowPlacer* const pay_now_;
};

class OrderParticipant final : public v1::Participant::Service {
 public:
  explicit OrderParticipant(OrderStore& store) : store_(store) {}

  grpc::Status Confirm(grpc::ServerContext* context,
                       const v1::ConfirmRequest* request,
                       v1::ConfirmResponse* response) override;
  grpc::Status Cancel(grpc::ServerContext* context,
                      const v1::CancelRequest* request,
                      v1::CancelResponse* response) override;

 private:
  OrderStore& store_;
};

}  // namespace turnstile::order
