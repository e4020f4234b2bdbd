// What every part of turnstile-demo shares (demo_main.cc, demo_bookings.cc):
// the stubs of the running mesh (addresses from --inventory, --seat,
// --booking, --payment, --order), the operator's call context, SKUs, wallet
// funding, placing an order as a buyer, and reading one back. A failed setup
// step ends the demo (exit 2) with the reason.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "turnstile/v1/booking.grpc.pb.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/order.grpc.pb.h"
#include "turnstile/v1/payment.grpc.pb.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile::demo {

struct Stubs {
  Stubs();
  std::unique_ptr<v1::Inventory::Stub> inventory;
  std::unique_ptr<v1::Seat::Stub> seat;
  std::unique_ptr<v1::Booking::Stub> booking;
  std::unique_ptr<v1::Payment::Stub> payment;
  std::unique_ptr<v1::Order::Stub> order;
};

// The demo's operator: an admin acting through the loadgen identity, as an
// admin token through the gateway would.
std::unique_ptr<grpc::ClientContext> AdminContext(
    std::chrono::milliseconds timeout);

// Exits 2 with `what` and the error unless `s` is OK.
void Must(const grpc::Status& s, const std::string& what);

// Creates a SKU priced in EUR cents (per_user_limit `limit`, 0 = none).
void CreateSku(Stubs& stubs, const std::string& id, const std::string& name,
               int64_t stock, int limit, int64_t price);

// Deposits `amount` EUR cents into the wallets <prefix>0 .. <prefix>(n-1).
void Fund(Stubs& stubs, const std::string& prefix, int n, int64_t amount);

// PlaceOrder as buyer `user`.
grpc::Status Place(Stubs& stubs, const std::string& user,
                   const v1::PlaceOrderRequest& req,
                   v1::PlaceOrderResponse* resp);

// GetOrder as the operator.
v1::OrderInfo GetOrder(Stubs& stubs, const std::string& id);

}  // namespace turnstile::demo
