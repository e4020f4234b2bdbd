// A buyer's order as turnstile-bench places it through the order service:
// pay_now (PAID or refused), or reserve then PayOrder, cancelling the order
// if its payment is refused so that nothing waits for its payment window.
// An OK answer in any state but PAID counts as an error (UNKNOWN), never as
// a success.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "tools/bench_load.h"
#include "turnstile/v1/order.grpc.pb.h"

namespace turnstile::bench {

// UNKNOWN: "order answered OK in state <state>".
grpc::Status NotPaid(const v1::OrderInfo& order);

// One unit of `sku` for `user`, idempotency key `request_id`.
void PlaceOne(v1::Order::Stub& stub, const std::string& user,
              const std::string& request_id, const std::string& sku,
              bool pay_now, OpDone done);

// `req` as prepared by the caller, acting for `user`; req.pay_now() picks
// the flow.
void PlaceRequest(v1::Order::Stub& stub, const std::string& user,
                  v1::PlaceOrderRequest req, OpDone done);

}  // namespace turnstile::bench
