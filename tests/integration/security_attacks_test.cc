// The attacks that worked against the mesh before it had identities (issue
// "Only who belongs gets in"), each replayed as a real client would: a
// buyer's own tooling holding the loadgen certificate (a trusted load
// client), the gateway's certificate, or no certificate at all. Each must be
// refused and leave every database as it was, and the invariants of
// DESIGN.md §4 must hold afterwards.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <string>

#include "services/common/caller.h"
#include "services/common/uuid.h"
#include "tests/support/mesh_test.h"
#include "tests/support/test_pki.h"
#include "tests/support/try_deadline.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile::testing {
namespace {

class SecurityAttacksTest : public MeshTest {
 protected:
  // A client of `service` presenting `identity`'s certificate.
  template <typename Service>
  std::unique_ptr<typename Service::Stub> As(const std::string& service,
                                             const std::string& identity) {
    return Service::NewStub(
        TestChannel(mesh().Address(service), service, identity));
  }

  // An unpaid 999.00 EUR order of alice, whose wallet holds 1.00 EUR.
  std::string UnpaidExpensiveOrder() {
    shop().CreateSku("piano", 5, 0, 99900);
    shop().Deposit("alice", 100);
    v1::OrderInfo order;
    EXPECT_TRUE(
        shop().PlaceStock("alice", "p1", "piano", 1, false, &order).ok());
    EXPECT_EQ(order.state(), v1::ORDER_STATE_PENDING_PAYMENT);
    return order.order_id();
  }
};

TEST_F(SecurityAttacksTest, CommitOfAnUnpaidOrderIsRefused) {
  const std::string gid = UnpaidExpensiveOrder();
  const std::string before = mesh().Footprint();
  v1::CommitRequest req;
  req.set_gid(gid);
  req.set_wait(true);
  for (const char* identity : {"loadgen", "gateway", "turnstilectl", ""}) {
    auto stub = As<v1::Coordinator>("coordinator", identity);
    v1::CommitResponse resp;
    auto ctx = BuyerCtx("alice");
    const auto s = stub->Commit(ctx.get(), req, &resp);
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                s.error_code() == grpc::StatusCode::UNAUTHENTICATED)
        << identity << ": " << s.error_code() << " " << s.error_message();
  }
  EXPECT_EQ(mesh().Footprint(), before);
  EXPECT_EQ(shop().GetOrder(gid).state(), v1::ORDER_STATE_PENDING_PAYMENT);
  EXPECT_EQ(shop().GetSku("piano").sold(), 0);
  EXPECT_EQ(shop().GetWallet("alice").balance().minor_units(), 100);
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(SecurityAttacksTest, FreezingAndCapturingAStrangersMoneyIsRefused) {
  shop().Deposit("stranger", 50000);
  const std::string before = mesh().Footprint();
  const std::string gid = NewUuidV7();
  v1::AuthorizePaymentRequest auth;
  auth.mutable_txn()->set_gid(gid);
  auth.mutable_txn()->set_branch_id("payment");
  auth.set_user_id("stranger");
  testing::SetTryDeadline(auth.mutable_deadline());
  auth.mutable_amount()->set_currency("EUR");
  auth.mutable_amount()->set_minor_units(50000);
  v1::ConfirmRequest confirm;
  *confirm.mutable_txn() = auth.txn();
  for (const char* identity : {"loadgen", "gateway", "inventory", ""}) {
    auto payment = As<v1::Payment>("payment", identity);
    auto participant = As<v1::Participant>("payment", identity);
    v1::AuthorizePaymentResponse a;
    auto s = payment->AuthorizePayment(Ctx().get(), auth, &a);
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                s.error_code() == grpc::StatusCode::UNAUTHENTICATED)
        << identity << ": " << s.error_message();
    v1::ConfirmResponse c;
    s = participant->Confirm(Ctx().get(), confirm, &c);
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                s.error_code() == grpc::StatusCode::UNAUTHENTICATED)
        << identity << ": " << s.error_message();
  }
  EXPECT_EQ(mesh().Footprint(), before);
  const auto wallet = shop().GetWallet("stranger");
  EXPECT_EQ(wallet.balance().minor_units(), 50000);
  EXPECT_EQ(wallet.frozen().minor_units(), 0);
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(SecurityAttacksTest, AbortingSomeoneElsesOrderIsRefused) {
  const std::string gid = UnpaidExpensiveOrder();
  const std::string before = mesh().Footprint();
  v1::AbortRequest abort;
  abort.set_gid(gid);
  abort.set_reason(v1::CANCEL_REASON_USER);
  for (const char* identity : {"loadgen", "gateway", "payment", ""}) {
    auto stub = As<v1::Coordinator>("coordinator", identity);
    v1::AbortResponse resp;
    const auto s = stub->Abort(BuyerCtx("mallory").get(), abort, &resp);
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
                s.error_code() == grpc::StatusCode::UNAUTHENTICATED)
        << identity << ": " << s.error_message();
  }
  // Through the public API, alice's order does not exist for mallory.
  EXPECT_EQ(shop().Cancel(gid, "mallory").error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(mesh().Footprint(), before);
  EXPECT_EQ(shop().GetOrder(gid).state(), v1::ORDER_STATE_PENDING_PAYMENT);
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(SecurityAttacksTest, DepositReadsAndReconcileNeedTheRightCaller) {
  const std::string gid = UnpaidExpensiveOrder();
  const std::string before = mesh().Footprint();
  // A buyer cannot credit any wallet.
  v1::DepositRequest deposit;
  deposit.set_user_id("mallory");
  deposit.mutable_amount()->set_currency("EUR");
  deposit.mutable_amount()->set_minor_units(1'000'000'000'000);
  deposit.set_request_id("free-money");
  v1::Wallet wallet;
  auto payment = As<v1::Payment>("payment", "loadgen");
  EXPECT_EQ(payment->Deposit(BuyerCtx("mallory").get(), deposit, &wallet)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Nor read someone else's order, orders or wallet.
  auto order = As<v1::Order>("order", "loadgen");
  v1::GetOrderRequest get;
  get.set_order_id(gid);
  v1::OrderInfo info;
  EXPECT_EQ(order->GetOrder(BuyerCtx("mallory").get(), get, &info).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListOrdersResponse list;
  ASSERT_TRUE(order
                  ->ListOrders(BuyerCtx("mallory").get(),
                               v1::ListOrdersRequest(), &list)
                  .ok());
  EXPECT_EQ(list.orders_size(), 0);
  v1::GetWalletRequest get_wallet;
  get_wallet.set_currency("EUR");
  EXPECT_EQ(payment->GetWallet(BuyerCtx("mallory").get(), get_wallet, &wallet)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Nor start a full reconciliation scan.
  auto inventory = As<v1::Inventory>("inventory", "loadgen");
  v1::ReconcileResponse reconciled;
  EXPECT_EQ(inventory
                ->Reconcile(BuyerCtx("mallory").get(), v1::ReconcileRequest(),
                            &reconciled)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  auto seat = As<v1::Seat>("seat", "gateway");
  v1::ReconcileSeatsResponse seats;
  EXPECT_EQ(seat->Reconcile(Ctx().get(), v1::ReconcileSeatsRequest(), &seats)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(mesh().Footprint(), before);
}

TEST_F(SecurityAttacksTest, IdentityMetadataFromAPeerThatMayNotActForUsers) {
  const std::string gid = UnpaidExpensiveOrder();
  // The order service's own certificate, claiming to be alice.
  auto order = As<v1::Order>("order", "order");
  v1::PayOrderRequest pay;
  pay.set_order_id(gid);
  v1::OrderInfo info;
  EXPECT_EQ(order->PayOrder(BuyerCtx("alice").get(), pay, &info).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A made-up admin role without a user.
  auto inventory = As<v1::Inventory>("inventory", "loadgen");
  grpc::ClientContext ctx;
  ctx.AddMetadata("x-turnstile-roles", "admin");
  v1::ReconcileResponse r;
  EXPECT_EQ(inventory->Reconcile(&ctx, v1::ReconcileRequest(), &r).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace turnstile::testing
