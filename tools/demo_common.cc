#include "tools/demo_common.h"

#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "services/common/clients.h"
#include "tools/load.h"

ABSL_FLAG(std::string, inventory, "127.0.0.1:50051", "inventory address");
ABSL_FLAG(std::string, seat, "127.0.0.1:50052", "seat address");
ABSL_FLAG(std::string, booking, "127.0.0.1:50056", "booking address");
ABSL_FLAG(std::string, payment, "127.0.0.1:50053", "payment address");
ABSL_FLAG(std::string, order, "127.0.0.1:50054", "order address");

namespace turnstile::demo {

using std::chrono::milliseconds;

Stubs::Stubs()
    : inventory(v1::Inventory::NewStub(
          MakeChannel(absl::GetFlag(FLAGS_inventory), "inventory"))),
      seat(v1::Seat::NewStub(MakeChannel(absl::GetFlag(FLAGS_seat), "seat"))),
      booking(v1::Booking::NewStub(
          MakeChannel(absl::GetFlag(FLAGS_booking), "booking"))),
      payment(v1::Payment::NewStub(
          MakeChannel(absl::GetFlag(FLAGS_payment), "payment"))),
      order(v1::Order::NewStub(
          MakeChannel(absl::GetFlag(FLAGS_order), "order"))) {}

// The demo's operator: an admin acting through the loadgen identity, as an
// admin token through the gateway would.
namespace {
constexpr char kOperator[] = "demo-operator";
}  // namespace

std::unique_ptr<grpc::ClientContext> AdminContext(milliseconds timeout) {
  return CallContextFor(timeout, kOperator, "admin");
}

void Must(const grpc::Status& s, const std::string& what) {
  if (!s.ok()) {
    std::cerr << "demo: " << what << " failed: " << s.error_message() << "\n";
    std::exit(2);
  }
}

void CreateSku(Stubs& stubs, const std::string& id, const std::string& name,
               int64_t stock, int limit, int64_t price) {
  v1::CreateSkuRequest req;
  req.set_sku_id(id);
  req.set_name(name);
  req.mutable_price()->set_currency("EUR");
  req.mutable_price()->set_minor_units(price);
  req.set_stock(stock);
  req.set_per_user_limit(limit);
  v1::Sku sku;
  auto ctx = AdminContext(milliseconds(10000));
  Must(stubs.inventory->CreateSku(ctx.get(), req, &sku), "CreateSku " + id);
}

void Fund(Stubs& stubs, const std::string& prefix, int n, int64_t amount) {
  auto tally = tools::RunLoad(n, 16, [&](int i) {
    v1::DepositRequest req;
    req.set_user_id(absl::StrCat(prefix, i));
    req.mutable_amount()->set_currency("EUR");
    req.mutable_amount()->set_minor_units(amount);
    req.set_request_id(absl::StrCat("fund-", prefix, i));
    v1::Wallet wallet;
    auto ctx = AdminContext(milliseconds(10000));
    return stubs.payment->Deposit(ctx.get(), req, &wallet);
  });
  if (tally.ok != n) {
    std::cerr << tally.Summary("deposits");
    std::exit(2);
  }
}

grpc::Status Place(Stubs& stubs, const std::string& user,
                   const v1::PlaceOrderRequest& req,
                   v1::PlaceOrderResponse* resp) {
  auto ctx = CallContextFor(milliseconds(30000), user);
  return stubs.order->PlaceOrder(ctx.get(), req, resp);
}

v1::OrderInfo GetOrder(Stubs& stubs, const std::string& id) {
  v1::GetOrderRequest req;
  req.set_order_id(id);
  v1::OrderInfo order;
  auto ctx = AdminContext(milliseconds(5000));
  Must(stubs.order->GetOrder(ctx.get(), req, &order), "GetOrder");
  return order;
}

}  // namespace turnstile::demo
