// The orphan sweep over the real mesh (DESIGN.md §8: a hold whose
// transaction the coordinator does not know is released after deadline +
// margin). Each participant gets a Try, sent as the order service would, for
// a gid the coordinator never began: after its deadline + margin the
// participant releases it through its own Cancel (barrier try + cancel, a
// late repeat refused). A hold of a transaction the coordinator knows as
// TRYING stays, even when its stored deadline looks long past.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "services/common/uuid.h"
#include "tests/support/mesh_test.h"
#include "tests/support/test_pki.h"
#include "tests/support/try_deadline.h"

namespace turnstile::testing {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kShortDeadline(1500);

class OrphanSweepTest : public MeshTest {
 protected:
  void Configure(Mesh& mesh) override {
    for (const char* s : {"inventory", "seat", "payment"}) {
      mesh.SetArgs(s, {"--orphan_margin_s=1", "--orphan_sweep_interval_s=1"});
    }
  }

  template <typename Service>
  std::unique_ptr<typename Service::Stub> AsOrder(const std::string& service) {
    return Service::NewStub(
        TestChannel(mesh().Address(service), service, "order"));
  }

  // Polls `sql` in `service`'s database until it answers `want`.
  bool WaitQuery(const std::string& service, const std::string& sql,
                 const std::string& want,
                 milliseconds timeout = std::chrono::seconds(20)) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (mesh().Query(service, sql) == want) return true;
      std::this_thread::sleep_for(milliseconds(200));
    }
    return mesh().Query(service, sql) == want;
  }

  std::string Barrier(const std::string& service, const std::string& gid) {
    return mesh().Query(service,
                        "SELECT string_agg(phase, ',' ORDER BY phase) FROM "
                        "tcc_barrier WHERE gid = '" +
                            gid + "'");
  }

  std::string Log(const std::string& service) {
    std::ifstream in(mesh().LogPath(service));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  static std::string ReleasedLine(const std::string& gid,
                                  const std::string& branch,
                                  const std::string& state) {
    return "event=orphan_released gid=" + gid + " branch=" + branch +
           " coordinator_state=" + state;
  }
};

TEST_F(OrphanSweepTest, PaymentOfAnUnknownTransactionIsReleased) {
  shop().Deposit("alice", 5000);
  auto payment = AsOrder<v1::Payment>("payment");
  const std::string gid = NewUuidV7();
  v1::AuthorizePaymentRequest auth;
  auth.mutable_txn()->set_gid(gid);
  auth.mutable_txn()->set_branch_id("payment");
  auth.set_user_id("alice");
  auth.mutable_amount()->set_currency("EUR");
  auth.mutable_amount()->set_minor_units(1200);
  SetTryDeadline(auth.mutable_deadline(), kShortDeadline);
  v1::AuthorizePaymentResponse resp;
  ASSERT_TRUE(payment->AuthorizePayment(Ctx().get(), auth, &resp).ok());
  EXPECT_EQ(shop().GetWallet("alice").frozen().minor_units(), 1200);

  ASSERT_TRUE(WaitQuery("payment",
                        "SELECT state FROM payment WHERE gid = '" + gid + "'",
                        "VOIDED"));
  const v1::Wallet wallet = shop().GetWallet("alice");
  EXPECT_EQ(wallet.balance().minor_units(), 5000);
  EXPECT_EQ(wallet.frozen().minor_units(), 0);
  EXPECT_EQ(Barrier("payment", gid), "cancel,try");
  EXPECT_NE(Log("payment").find(ReleasedLine(gid, "payment", "NOT_FOUND")),
            std::string::npos);

  // A late repeat of the Try (deadline moved, as a confused client might)
  // is refused by the barrier: nothing is frozen again.
  SetTryDeadline(auth.mutable_deadline());
  const grpc::Status late = payment->AuthorizePayment(Ctx().get(), auth, &resp);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::ABORTED)
      << late.error_message();
  EXPECT_EQ(shop().GetWallet("alice").frozen().minor_units(), 0);
}

TEST_F(OrphanSweepTest, ReservationOfAnUnknownTransactionIsReleased) {
  shop().CreateSku("mug", 10);
  auto inventory = AsOrder<v1::Inventory>("inventory");
  const std::string gid = NewUuidV7();
  v1::ReserveStockRequest reserve;
  reserve.mutable_txn()->set_gid(gid);
  reserve.mutable_txn()->set_branch_id("inventory");
  reserve.set_user_id("alice");
  auto* item = reserve.add_items();
  item->set_sku_id("mug");
  item->set_quantity(3);
  SetTryDeadline(reserve.mutable_deadline(), kShortDeadline);
  v1::ReserveStockResponse resp;
  ASSERT_TRUE(inventory->ReserveStock(Ctx().get(), reserve, &resp).ok());
  EXPECT_EQ(shop().GetSku("mug").available(), 7);

  ASSERT_TRUE(WaitQuery(
      "inventory", "SELECT state FROM reservation WHERE gid = '" + gid + "'",
      "RELEASED"));
  const v1::Sku sku = shop().GetSku("mug");
  EXPECT_EQ(sku.available(), 10);
  EXPECT_EQ(sku.locked(), 0);
  EXPECT_EQ(sku.sold(), 0);
  EXPECT_EQ(Barrier("inventory", gid), "cancel,try");
  EXPECT_NE(Log("inventory").find(ReleasedLine(gid, "inventory", "NOT_FOUND")),
            std::string::npos);

  SetTryDeadline(reserve.mutable_deadline());
  const grpc::Status late =
      inventory->ReserveStock(Ctx().get(), reserve, &resp);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::ABORTED)
      << late.error_message();
  EXPECT_EQ(shop().GetSku("mug").available(), 10);
}

TEST_F(OrphanSweepTest, SeatHoldOfAnUnknownTransactionIsReleased) {
  shop().CreateEvent("gig", 1, 4);
  auto seat = AsOrder<v1::Seat>("seat");
  const std::string gid = NewUuidV7();
  v1::HoldSeatsRequest hold;
  hold.mutable_txn()->set_gid(gid);
  hold.mutable_txn()->set_branch_id("seat");
  hold.set_user_id("alice");
  hold.set_event_id("gig");
  hold.add_seat_ids("A-1-1");
  hold.add_seat_ids("A-1-2");
  SetTryDeadline(hold.mutable_deadline(), kShortDeadline);
  v1::HoldSeatsResponse resp;
  const grpc::Status held = seat->HoldSeats(Ctx().get(), hold, &resp);
  ASSERT_TRUE(held.ok()) << held.error_message();
  const std::string held_sql =
      "SELECT count(*) FROM seat WHERE event_id = 'gig' AND state = 'HELD'";
  EXPECT_EQ(mesh().Query("seat", held_sql), "2");

  ASSERT_TRUE(WaitQuery("seat", held_sql, "0"));
  EXPECT_EQ(mesh().Query("seat",
                         "SELECT count(*) FROM seat WHERE event_id = 'gig' "
                         "AND state = 'AVAILABLE'"),
            "4");
  EXPECT_EQ(Barrier("seat", gid), "cancel,try");
  EXPECT_NE(Log("seat").find(ReleasedLine(gid, "seat", "NOT_FOUND")),
            std::string::npos);

  SetTryDeadline(hold.mutable_deadline());
  const grpc::Status late = seat->HoldSeats(Ctx().get(), hold, &resp);
  EXPECT_EQ(late.error_code(), grpc::StatusCode::ABORTED)
      << late.error_message();
  EXPECT_EQ(mesh().Query("seat", held_sql), "0");
}

// The coordinator still owns a TRYING transaction: its holds stay even when
// their stored deadline says they are long overdue (as after clock skew),
// and the order can still be paid afterwards.
TEST_F(OrphanSweepTest, HoldsOfATryingTransactionAreLeftAlone) {
  shop().CreateSku("mug", 10);
  shop().CreateEvent("gig", 1, 4);
  shop().Deposit("bob", 100000);
  v1::OrderInfo stock_order;
  ASSERT_TRUE(
      shop().PlaceStock("bob", "r1", "mug", 2, false, &stock_order, 600).ok());
  v1::OrderInfo seat_order;
  ASSERT_TRUE(shop()
                  .PlaceSeats("bob", "r2", "gig", {"A-1-3"}, false, &seat_order)
                  .ok());
  ASSERT_EQ(stock_order.state(), v1::ORDER_STATE_PENDING_PAYMENT);
  ASSERT_EQ(seat_order.state(), v1::ORDER_STATE_PENDING_PAYMENT);
  const std::string stock_gid = stock_order.order_id();
  const std::string seat_gid = seat_order.order_id();
  mesh().Query("inventory",
               "UPDATE reservation SET deadline = now() - interval '1 hour' "
               "WHERE gid = '" +
                   stock_gid + "'");
  mesh().Query("seat",
               "UPDATE seat SET hold_deadline = now() - interval '1 hour' "
               "WHERE hold_gid = '" +
                   seat_gid + "'");

  // Several sweep rounds (interval 1 s) pass; the coordinator says TRYING.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  EXPECT_EQ(mesh().Query("inventory",
                         "SELECT string_agg(state, ',') FROM reservation "
                         "WHERE gid = '" +
                             stock_gid + "'"),
            "LOCKED");
  EXPECT_EQ(mesh().Query("seat", "SELECT state FROM seat WHERE hold_gid = '" +
                                     seat_gid + "'"),
            "HELD");
  EXPECT_EQ(Log("inventory").find("event=orphan_released"), std::string::npos);
  EXPECT_EQ(Log("seat").find("event=orphan_released"), std::string::npos);
  EXPECT_EQ(shop().GetTxn(stock_gid).state(), v1::TXN_STATE_TRYING);

  v1::OrderInfo paid;
  ASSERT_TRUE(shop().Pay(stock_gid, "bob", &paid).ok());
  EXPECT_EQ(paid.state(), v1::ORDER_STATE_PAID);
  ASSERT_TRUE(shop().Pay(seat_gid, "bob", &paid).ok());
  EXPECT_EQ(paid.state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(shop().Violations(), "");
}

}  // namespace
}  // namespace turnstile::testing
