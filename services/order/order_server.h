// The whole of the order process after main(): flags, migrations, wiring of
// the flow, store, peers and Redis pre-check, and serving turnstile.v1.Order
// and turnstile.v1.Participant until SIGTERM. Shared by the production
// binary turnstile-order (main.cc) and the bench-only turnstile-order-bypass
// (bypass_main.cc), which differ only in the PayNowFactory they pass: no
// flag or environment variable chooses between them, the binary does.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "services/order/gate_precheck.h"
#include "services/order/grpc_peers.h"
#include "services/order/order_flow.h"
#include "services/order/pay_now_placer.h"
#include "services/order/store.h"

namespace turnstile::order {

// What a PayNowFactory may build on; all of it outlives the placer.
struct OrderParts {
  GrpcPeers& peers;
  OrderStore& store;
  const FlowOptions& options;
  GatePrecheck* precheck;  // null with --stock_precheck=false
};

// Builds the placer of pay_now orders (called once, after flags and logging
// are set up); null: OrderFlow places them, the coordinator drives them.
using PayNowFactory =
    std::function<std::unique_ptr<PayNowPlacer>(const OrderParts& parts)>;

// Runs the order process; `service` names it in logs and metrics; it always
// presents the order certificate. Second phases sent straight to a
// participant (only the bypass sends them) present `phases_identity` ("":
// order's, which the participants refuse). Returns the exit code.
int RunOrderServer(int argc, char** argv, const char* service,
                   const PayNowFactory& pay_now = nullptr,
                   const std::string& phases_identity = "");

}  // namespace turnstile::order
