#include "tests/support/shop.h"

#include <gtest/gtest.h>

#include <thread>

#include "services/common/caller.h"

namespace turnstile::testing {

std::unique_ptr<grpc::ClientContext> Ctx(int ms) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(ms));
  return ctx;
}

std::unique_ptr<grpc::ClientContext> BuyerCtx(const std::string& user, int ms) {
  auto ctx = Ctx(ms);
  ActAs(*ctx, user);
  return ctx;
}

Shop::Shop(Mesh& mesh)
    : mesh_(mesh),
      inventory_(v1::Inventory::NewStub(mesh.Channel("inventory"))),
      seat_(v1::Seat::NewStub(mesh.Channel("seat"))),
      payment_(v1::Payment::NewStub(mesh.Channel("payment"))),
      payment_buyer_(v1::Payment::NewStub(mesh.Channel("payment", "loadgen"))),
      order_(v1::Order::NewStub(mesh.Channel("order", "loadgen"))),
      order_admin_(v1::Order::NewStub(mesh.Channel("order"))),
      coordinator_(v1::Coordinator::NewStub(mesh.Channel("coordinator"))) {}

tools::Databases Shop::databases() const {
  tools::Databases dbs;
  for (const auto& s : Mesh::Services()) dbs[s] = mesh_.Conninfo(s);
  return dbs;
}

void Shop::CreateSku(const std::string& id, int64_t stock, int limit,
                     int64_t price) {
  v1::CreateSkuRequest req;
  req.set_sku_id(id);
  req.set_name("Test item " + id);
  req.mutable_price()->set_currency("EUR");
  req.mutable_price()->set_minor_units(price);
  req.set_stock(stock);
  req.set_per_user_limit(limit);
  v1::Sku sku;
  auto s = inventory_->CreateSku(Ctx().get(), req, &sku);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

void Shop::CreateEvent(const std::string& id, int rows, int seats_per_row,
                       int64_t price) {
  v1::CreateEventRequest req;
  req.set_event_id(id);
  req.set_name("Test event " + id);
  req.mutable_starts_at()->set_seconds(std::time(nullptr) + 86400);
  req.set_currency("EUR");
  auto* section = req.add_sections();
  section->set_name("A");
  section->set_rows(rows);
  section->set_seats_per_row(seats_per_row);
  section->set_price_minor_units(price);
  v1::Event event;
  auto s = seat_->CreateEvent(Ctx().get(), req, &event);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

void Shop::Deposit(const std::string& user, int64_t amount) {
  v1::DepositRequest req;
  req.set_user_id(user);
  req.mutable_amount()->set_currency("EUR");
  req.mutable_amount()->set_minor_units(amount);
  req.set_request_id("deposit-" + user + "-" + std::to_string(amount));
  v1::Wallet wallet;
  auto s = payment_->Deposit(Ctx().get(), req, &wallet);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

grpc::Status Shop::Place(const std::string& user,
                         const v1::PlaceOrderRequest& req, v1::OrderInfo* out) {
  v1::PlaceOrderResponse resp;
  auto s = order_->PlaceOrder(BuyerCtx(user, 30000).get(), req, &resp);
  if (out) *out = resp.order();
  return s;
}

grpc::Status Shop::PlaceStock(const std::string& user,
                              const std::string& request_id,
                              const std::string& sku, int64_t quantity,
                              bool pay_now, v1::OrderInfo* out, int window_s) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  req.set_pay_now(pay_now);
  req.set_payment_window_seconds(window_s);
  auto* line = req.add_lines();
  line->set_sku_id(sku);
  line->set_quantity(quantity);
  return Place(user, req, out);
}

grpc::Status Shop::PlaceSeats(const std::string& user,
                              const std::string& request_id,
                              const std::string& event,
                              const std::vector<std::string>& seats,
                              bool pay_now, v1::OrderInfo* out) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  req.set_pay_now(pay_now);
  auto* line = req.add_lines();
  line->set_event_id(event);
  for (const auto& s : seats) line->add_seat_ids(s);
  return Place(user, req, out);
}

grpc::Status Shop::Pay(const std::string& order_id, const std::string& user,
                       v1::OrderInfo* out) {
  v1::PayOrderRequest req;
  req.set_order_id(order_id);
  v1::OrderInfo order;
  auto s = order_->PayOrder(BuyerCtx(user, 30000).get(), req, &order);
  if (out) *out = order;
  return s;
}

grpc::Status Shop::Cancel(const std::string& order_id, const std::string& user,
                          v1::OrderInfo* out) {
  v1::CancelOrderRequest req;
  req.set_order_id(order_id);
  v1::OrderInfo order;
  auto s = order_->CancelOrder(BuyerCtx(user, 30000).get(), req, &order);
  if (out) *out = order;
  return s;
}

v1::OrderInfo Shop::GetOrder(const std::string& id) {
  v1::GetOrderRequest req;
  req.set_order_id(id);
  v1::OrderInfo order;
  auto s = order_admin_->GetOrder(Ctx().get(), req, &order);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return order;
}

v1::Sku Shop::GetSku(const std::string& id) {
  v1::GetSkuRequest req;
  req.set_sku_id(id);
  v1::Sku sku;
  auto s = inventory_->GetSku(Ctx().get(), req, &sku);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return sku;
}

v1::SeatMap Shop::GetSeatMap(const std::string& event) {
  v1::GetSeatMapRequest req;
  req.set_event_id(event);
  v1::SeatMap map;
  auto s = seat_->GetSeatMap(Ctx().get(), req, &map);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return map;
}

v1::Wallet Shop::GetWallet(const std::string& user) {
  v1::GetWalletRequest req;
  req.set_currency("EUR");
  v1::Wallet wallet;
  payment_buyer_->GetWallet(BuyerCtx(user).get(), req, &wallet);
  return wallet;
}

v1::Transaction Shop::GetTxn(const std::string& gid) {
  v1::GetTransactionRequest req;
  req.set_gid(gid);
  v1::Transaction txn;
  coordinator_->GetTransaction(Ctx().get(), req, &txn);
  return txn;
}

bool Shop::WaitOrder(const std::string& id, v1::OrderState state,
                     std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    v1::GetOrderRequest req;
    req.set_order_id(id);
    v1::OrderInfo order;
    if (order_admin_->GetOrder(Ctx(2000).get(), req, &order).ok() &&
        order.state() == state) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

bool Shop::WaitTxn(const std::string& gid, v1::TxnState state,
                   std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    v1::GetTransactionRequest req;
    req.set_gid(gid);
    v1::Transaction txn;
    if (coordinator_->GetTransaction(Ctx(2000).get(), req, &txn).ok() &&
        txn.state() == state) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string Shop::Violations(std::chrono::milliseconds settle) {
  const auto until = std::chrono::steady_clock::now() + settle;
  std::string report;
  while (true) {
    auto results = tools::CheckInvariants(databases(), {.horizon_seconds = 0});
    if (!results.ok()) return results.status().ToString();
    if (tools::AllOk(*results)) return "";
    report = tools::FormatResults(*results);
    if (std::chrono::steady_clock::now() > until) return report;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace turnstile::testing
