// End-to-end order flows over the real mesh (five processes, PostgreSQL):
// happy paths, business refusals that must leave nothing held, payment
// windows that expire, idempotent retries, contention, and bad input. Every
// test ends by running the invariant checker of DESIGN.md §4.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "google/protobuf/unknown_field_set.h"
#include "services/common/status.h"
#include "tests/support/mesh_test.h"

namespace turnstile::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Reason(const grpc::Status& s) { return ReasonOf(FromGrpc(s)); }

class MeshFlowsTest : public MeshTest {};

TEST_F(MeshFlowsTest, PayNowStockOrderConfirmsEverywhere) {
  shop().CreateSku("tee", 10, 0, 1500);
  shop().Deposit("alice", 10000);
  v1::OrderInfo order;
  auto s = shop().PlaceStock("alice", "r1", "tee", 2, true, &order);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(
      shop().WaitOrder(order.order_id(), v1::ORDER_STATE_PAID, seconds(10)));
  EXPECT_EQ(shop().GetOrder(order.order_id()).total().minor_units(), 3000);
  auto sku = shop().GetSku("tee");
  EXPECT_EQ(sku.sold(), 2);
  EXPECT_EQ(sku.available(), 8);
  EXPECT_EQ(sku.locked(), 0);
  auto wallet = shop().GetWallet("alice");
  EXPECT_EQ(wallet.balance().minor_units(), 7000);
  EXPECT_EQ(wallet.frozen().minor_units(), 0);
  ASSERT_TRUE(
      shop().WaitTxn(order.order_id(), v1::TXN_STATE_CONFIRMED, seconds(10)));
  auto txn = shop().GetTxn(order.order_id());
  ASSERT_EQ(txn.branches_size(), 3);  // order, inventory, payment
  for (const auto& b : txn.branches()) {
    EXPECT_EQ(b.state(), v1::BRANCH_STATE_CONFIRMED) << b.branch_id();
  }
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(MeshFlowsTest, PayNowSeatOrderSellsTheSeats) {
  shop().CreateEvent("gig", 2, 5, 2000);
  shop().Deposit("bob", 10000);
  v1::OrderInfo order;
  auto s =
      shop().PlaceSeats("bob", "r1", "gig", {"A-1-2", "A-1-1"}, true, &order);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(
      shop().WaitOrder(order.order_id(), v1::ORDER_STATE_PAID, seconds(10)));
  int sold = 0;
  const auto seat_map = shop().GetSeatMap("gig");
  for (const auto& seat : seat_map.seats()) {
    if (seat.state() == v1::SEAT_STATE_SOLD) {
      ++sold;
      EXPECT_TRUE(seat.seat_id() == "A-1-1" || seat.seat_id() == "A-1-2");
    }
  }
  EXPECT_EQ(sold, 2);
  EXPECT_EQ(shop().GetWallet("bob").balance().minor_units(), 6000);
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(MeshFlowsTest, ReserveThenPayConfirmsAfterPayOrder) {
  shop().CreateSku("tee", 5, 0, 1200);
  shop().Deposit("carol", 5000);
  v1::OrderInfo order;
  ASSERT_TRUE(shop().PlaceStock("carol", "r1", "tee", 1, false, &order).ok());
  EXPECT_EQ(order.state(), v1::ORDER_STATE_PENDING_PAYMENT);
  EXPECT_GT(order.expires_at().seconds(), std::time(nullptr) + 600);
  EXPECT_EQ(shop().GetSku("tee").locked(), 1);
  EXPECT_EQ(shop().GetWallet("carol").balance().minor_units(), 5000);
  v1::OrderInfo paid;
  auto s = shop().Pay(order.order_id(), "carol", &paid);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(
      shop().WaitOrder(order.order_id(), v1::ORDER_STATE_PAID, seconds(10)));
  EXPECT_EQ(shop().GetSku("tee").sold(), 1);
  EXPECT_EQ(shop().GetSku("tee").locked(), 0);
  EXPECT_EQ(shop().GetWallet("carol").balance().minor_units(), 3800);
  // Paying twice does not charge twice.
  EXPECT_EQ(shop().Pay(order.order_id(), "carol").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(shop().GetWallet("carol").balance().minor_units(), 3800);
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(MeshFlowsTest, RefusedTryCancelsEveryBranchAndHoldsNothing) {
  shop().CreateSku("last", 1, 0, 1000);
  shop().CreateSku("limited", 10, 1, 1000);
  shop().CreateSku("pricey", 10, 0, 50000);
  shop().CreateEvent("gig", 1, 4, 2000);
  for (const char* u : {"dan", "eve"}) shop().Deposit(u, 10000);

  ASSERT_TRUE(shop().PlaceStock("dan", "a", "last", 1, true).ok());
  auto s = shop().PlaceStock("eve", "a", "last", 1, true);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(s), "SOLD_OUT");

  s = shop().PlaceStock("eve", "b", "limited", 2, true);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(s), "USER_LIMIT");

  s = shop().PlaceStock("eve", "c", "pricey", 1, true);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(s), "INSUFFICIENT_FUNDS");

  ASSERT_TRUE(shop().PlaceSeats("dan", "d", "gig", {"A-1-1"}, true).ok());
  // Eve wants a stock unit and two seats, one of which is taken: nothing of
  // it may stay held.
  v1::PlaceOrderRequest req;
  req.set_request_id("e");
  req.set_pay_now(true);
  auto* line = req.add_lines();
  line->set_sku_id("limited");
  line->set_quantity(1);
  line = req.add_lines();
  line->set_event_id("gig");
  line->add_seat_ids("A-1-2");
  line->add_seat_ids("A-1-1");
  s = shop().Place("eve", req);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(s), "SEAT_TAKEN");

  // Everything Eve touched is released once the cancels are delivered.
  EXPECT_EQ(shop().Violations(), "");
  EXPECT_EQ(shop().GetSku("limited").locked(), 0);
  EXPECT_EQ(shop().GetSku("limited").available(), 10);
  EXPECT_EQ(shop().GetSku("pricey").available(), 10);
  auto wallet = shop().GetWallet("eve");
  EXPECT_EQ(wallet.balance().minor_units(), 10000);
  EXPECT_EQ(wallet.frozen().minor_units(), 0);
  const auto seat_map = shop().GetSeatMap("gig");
  for (const auto& seat : seat_map.seats()) {
    EXPECT_EQ(seat.state(), seat.seat_id() == "A-1-1"
                                ? v1::SEAT_STATE_SOLD
                                : v1::SEAT_STATE_AVAILABLE)
        << seat.seat_id();
  }
  EXPECT_EQ(mesh().Query("order",
                         "SELECT count(*) FROM orders WHERE state "
                         "= 'PAID'"),
            "2");
  EXPECT_EQ(mesh().Query("coordinator",
                         "SELECT count(*) FROM global_txn WHERE state <> "
                         "'CONFIRMED' AND state <> 'CANCELLED'"),
            "0");
}

TEST_F(MeshFlowsTest, UnpaidOrderExpiresAndReleasesEverything) {
  shop().CreateSku("tee", 3, 0, 1000);
  shop().CreateEvent("gig", 1, 3, 2000);
  shop().Deposit("fay", 10000);
  v1::PlaceOrderRequest req;
  req.set_request_id("r1");
  req.set_payment_window_seconds(2);
  auto* line = req.add_lines();
  line->set_sku_id("tee");
  line->set_quantity(2);
  line = req.add_lines();
  line->set_event_id("gig");
  line->add_seat_ids("A-1-3");
  v1::OrderInfo order;
  ASSERT_TRUE(shop().Place("fay", req, &order).ok());
  EXPECT_EQ(shop().GetSku("tee").locked(), 2);
  ASSERT_TRUE(
      shop().WaitOrder(order.order_id(), v1::ORDER_STATE_EXPIRED, seconds(10)));
  ASSERT_TRUE(
      shop().WaitTxn(order.order_id(), v1::TXN_STATE_CANCELLED, seconds(10)));
  EXPECT_EQ(shop().GetSku("tee").available(), 3);
  EXPECT_EQ(shop().GetSku("tee").locked(), 0);
  const auto seat_map = shop().GetSeatMap("gig");
  for (const auto& seat : seat_map.seats()) {
    EXPECT_EQ(seat.state(), v1::SEAT_STATE_AVAILABLE);
  }
  // Too late to pay: refused, nothing charged.
  auto s = shop().Pay(order.order_id(), "fay");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(shop().GetWallet("fay").balance().minor_units(), 10000);
  EXPECT_EQ(mesh().Query("order",
                         "SELECT string_agg(to_state, ',' ORDER BY id) FROM "
                         "order_status_log"),
            "PENDING_PAYMENT,EXPIRED");
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(MeshFlowsTest, CancelOrderReleasesOnlyWhileUnpaid) {
  shop().CreateSku("tee", 3, 0, 1000);
  shop().Deposit("gus", 10000);
  v1::OrderInfo a, b;
  ASSERT_TRUE(shop().PlaceStock("gus", "a", "tee", 1, false, &a).ok());
  ASSERT_TRUE(shop().PlaceStock("gus", "b", "tee", 1, false, &b).ok());
  v1::OrderInfo cancelled;
  ASSERT_TRUE(shop().Cancel(a.order_id(), "gus", &cancelled).ok());
  ASSERT_TRUE(
      shop().WaitOrder(a.order_id(), v1::ORDER_STATE_CANCELLED, seconds(10)));
  ASSERT_TRUE(shop().Pay(b.order_id(), "gus").ok());
  ASSERT_TRUE(
      shop().WaitOrder(b.order_id(), v1::ORDER_STATE_PAID, seconds(10)));
  EXPECT_EQ(shop().Cancel(b.order_id(), "gus").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(shop().Cancel(a.order_id(), "gus").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  auto sku = shop().GetSku("tee");
  EXPECT_EQ(sku.sold(), 1);
  EXPECT_EQ(sku.available(), 2);
  EXPECT_EQ(shop().GetOrder(b.order_id()).state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(MeshFlowsTest, RefusedPaymentLeavesTheOrderPayable) {
  shop().CreateSku("tee", 3, 0, 3000);
  shop().Deposit("hal", 1000);
  v1::OrderInfo order;
  ASSERT_TRUE(shop().PlaceStock("hal", "r1", "tee", 1, false, &order).ok());
  auto s = shop().Pay(order.order_id(), "hal");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(s), "INSUFFICIENT_FUNDS");
  EXPECT_EQ(shop().GetOrder(order.order_id()).state(),
            v1::ORDER_STATE_PENDING_PAYMENT);
  EXPECT_EQ(shop().GetSku("tee").locked(), 1);
  shop().Deposit("hal", 5000);
  ASSERT_TRUE(shop().Pay(order.order_id(), "hal").ok());
  ASSERT_TRUE(
      shop().WaitOrder(order.order_id(), v1::ORDER_STATE_PAID, seconds(10)));
  EXPECT_EQ(shop().GetWallet("hal").balance().minor_units(), 3000);
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(MeshFlowsTest, DuplicatePlaceOrderReturnsTheSameOrderAndSellsOnce) {
  shop().CreateSku("tee", 10, 0, 1000);
  shop().Deposit("ivy", 10000);
  std::vector<std::thread> threads;
  std::vector<v1::OrderInfo> orders(10);
  std::vector<grpc::Status> statuses(10);
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      statuses[i] =
          shop().PlaceStock("ivy", "same", "tee", 1, true, &orders[i]);
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    ids.insert(orders[i].order_id());
  }
  EXPECT_EQ(ids.size(), 1u);
  // A later retry too.
  v1::OrderInfo again;
  ASSERT_TRUE(shop().PlaceStock("ivy", "same", "tee", 1, true, &again).ok());
  EXPECT_EQ(again.order_id(), *ids.begin());
  ASSERT_TRUE(
      shop().WaitOrder(again.order_id(), v1::ORDER_STATE_PAID, seconds(10)));
  EXPECT_EQ(shop().GetSku("tee").sold(), 1);
  EXPECT_EQ(shop().GetWallet("ivy").balance().minor_units(), 9000);
  EXPECT_EQ(mesh().Query("order", "SELECT count(*) FROM orders"), "1");
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(MeshFlowsTest, CommitRacingTheDeadlineHasExactlyOneOutcome) {
  shop().CreateSku("tee", 20, 0, 1000);
  for (int round = 0; round < 6; ++round) {
    const std::string user = "racer" + std::to_string(round);
    shop().Deposit(user, 10000);
    v1::OrderInfo order;
    ASSERT_TRUE(shop().PlaceStock(user, "r", "tee", 1, false, &order, 1).ok());
    // Pay around the 1 s deadline, from several threads at once.
    std::this_thread::sleep_for(milliseconds(850 + 40 * round));
    std::vector<std::thread> payers;
    std::atomic<int> ok{0};
    for (int i = 0; i < 4; ++i) {
      payers.emplace_back([&] {
        if (shop().Pay(order.order_id(), user).ok()) ++ok;
      });
    }
    for (auto& t : payers) t.join();
    // Settle, then both sides must agree.
    v1::OrderInfo final_order;
    for (int i = 0; i < 200; ++i) {
      final_order = shop().GetOrder(order.order_id());
      if (final_order.state() == v1::ORDER_STATE_PAID ||
          final_order.state() == v1::ORDER_STATE_EXPIRED) {
        break;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    const bool paid = final_order.state() == v1::ORDER_STATE_PAID;
    ASSERT_TRUE(paid || final_order.state() == v1::ORDER_STATE_EXPIRED);
    EXPECT_EQ(shop().GetWallet(user).balance().minor_units(),
              paid ? 9000 : 10000);
    if (!paid) EXPECT_EQ(ok.load(), 0) << "a payer was told it paid";
    ASSERT_TRUE(shop().WaitTxn(
        order.order_id(),
        paid ? v1::TXN_STATE_CONFIRMED : v1::TXN_STATE_CANCELLED, seconds(10)));
  }
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(MeshFlowsTest, TwoHundredBuyersFiftyUnitsExactlyFiftyPaid) {
  shop().CreateSku("drop", 50, 1, 1000);
  for (int i = 0; i < 200; ++i) shop().Deposit("u" + std::to_string(i), 5000);
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 200; ++i) {
    threads.emplace_back([&, i] {
      auto s =
          shop().PlaceStock("u" + std::to_string(i), "buy", "drop", 1, true);
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 50);
  EXPECT_EQ(refused.load(), 150);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(shop().Violations(), "");
  EXPECT_EQ(shop().GetSku("drop").sold(), 50);
  EXPECT_EQ(
      mesh().Query("order", "SELECT count(*) FROM orders WHERE state = 'PAID'"),
      "50");
}

TEST_F(MeshFlowsTest, TwoHundredBuyersFiftySeatsNoSeatSoldTwice) {
  shop().CreateEvent("gig", 5, 10, 2000);
  for (int i = 0; i < 200; ++i) shop().Deposit("u" + std::to_string(i), 5000);
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::set<std::string> picked;
  std::vector<std::string> picks;
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    picks.push_back("A-" + std::to_string(rng() % 5 + 1) + "-" +
                    std::to_string(rng() % 10 + 1));
    picked.insert(picks.back());
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 200; ++i) {
    threads.emplace_back([&, i] {
      auto s = shop().PlaceSeats("u" + std::to_string(i), "seat", "gig",
                                 {picks[i]}, true);
      if (s.ok()) {
        ++ok;
      } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        ++refused;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  // Every picked seat was sold exactly once; everyone else was refused.
  EXPECT_EQ(ok.load(), static_cast<int>(picked.size()));
  EXPECT_EQ(refused.load(), 200 - static_cast<int>(picked.size()));
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(shop().Violations(), "");
  int sold = 0;
  const auto seat_map = shop().GetSeatMap("gig");
  for (const auto& seat : seat_map.seats()) {
    sold += seat.state() == v1::SEAT_STATE_SOLD;
  }
  EXPECT_EQ(sold, static_cast<int>(picked.size()));
}

// Row counts that must not move when a request is refused as bad input.
std::string Footprint(Mesh& mesh) {
  return mesh.Query("order",
                    "SELECT (SELECT count(*) FROM orders) || '/' || (SELECT "
                    "count(*) FROM tcc_barrier)") +
         "|" +
         mesh.Query("coordinator",
                    "SELECT (SELECT count(*) FROM global_txn) || '/' || "
                    "(SELECT count(*) FROM branch)") +
         "|" +
         mesh.Query("inventory",
                    "SELECT (SELECT count(*) FROM tcc_barrier) || '/' || "
                    "(SELECT sum(available) FROM stock)") +
         "|" + mesh.Query("payment", "SELECT count(*) FROM tcc_barrier");
}

TEST_F(MeshFlowsTest, BadOrderInputIsRefusedWithNothingChanged) {
  shop().CreateSku("tee", 10, 0, 1000);
  shop().CreateEvent("gig", 1, 5, 1000);
  shop().Deposit("jo", 10000);
  ASSERT_TRUE(shop().PlaceStock("jo", "ok", "tee", 1, true).ok());
  ASSERT_EQ(shop().Violations(), "");
  const std::string before = Footprint(mesh());

  auto base = [] {
    v1::PlaceOrderRequest req;
    req.set_request_id("bad");
    req.set_pay_now(true);
    return req;
  };
  struct Case {
    std::string name;
    std::string user;  // sent as x-turnstile-user
    v1::PlaceOrderRequest req;
  };
  std::vector<Case> cases;
  std::string user = "jo";
  auto add = [&](std::string name, auto mutate) {
    auto req = base();
    user = "jo";
    mutate(req);
    cases.push_back({std::move(name), user, std::move(req)});
  };
  auto stock_line = [](v1::PlaceOrderRequest& r, std::string sku, int64_t q) {
    auto* l = r.add_lines();
    l->set_sku_id(std::move(sku));
    l->set_quantity(q);
  };
  add("no lines", [](auto&) {});
  add("empty user", [&](auto& r) {
    user = "";
    stock_line(r, "tee", 1);
  });
  add("oversized user", [&](auto& r) {
    user = std::string(65, 'u');
    stock_line(r, "tee", 1);
  });
  add("bad user chars", [&](auto& r) {
    user = "jo'; drop table orders;--";
    stock_line(r, "tee", 1);
  });
  add("old client sending user_id in the body", [&](auto& r) {
    r.GetReflection()->MutableUnknownFields(&r)->AddLengthDelimited(1, "bob");
    stock_line(r, "tee", 1);
  });
  add("empty request id", [&](auto& r) {
    r.set_request_id("");
    stock_line(r, "tee", 1);
  });
  add("oversized request id", [&](auto& r) {
    r.set_request_id(std::string(129, 'r'));
    stock_line(r, "tee", 1);
  });
  add("zero quantity", [&](auto& r) { stock_line(r, "tee", 0); });
  add("negative quantity", [&](auto& r) { stock_line(r, "tee", -5); });
  add("huge quantity", [&](auto& r) { stock_line(r, "tee", 1LL << 40); });
  add("empty sku", [&](auto& r) { stock_line(r, "", 1); });
  add("duplicate sku", [&](auto& r) {
    stock_line(r, "tee", 1);
    stock_line(r, "tee", 1);
  });
  add("too many lines", [&](auto& r) {
    for (int i = 0; i < 21; ++i) stock_line(r, "sku" + std::to_string(i), 1);
  });
  add("both sku and event", [&](auto& r) {
    auto* l = r.add_lines();
    l->set_sku_id("tee");
    l->set_quantity(1);
    l->set_event_id("gig");
    l->add_seat_ids("A-1-1");
  });
  add("seat line without seats",
      [&](auto& r) { r.add_lines()->set_event_id("gig"); });
  add("too many seats", [&](auto& r) {
    auto* l = r.add_lines();
    l->set_event_id("gig");
    for (int i = 0; i < 21; ++i) l->add_seat_ids("A-1-" + std::to_string(i));
  });
  add("duplicate seats", [&](auto& r) {
    auto* l = r.add_lines();
    l->set_event_id("gig");
    l->add_seat_ids("A-1-1");
    l->add_seat_ids("A-1-1");
  });
  add("window too long", [&](auto& r) {
    r.set_pay_now(false);
    r.set_payment_window_seconds(86401);
    stock_line(r, "tee", 1);
  });
  add("negative window", [&](auto& r) {
    r.set_pay_now(false);
    r.set_payment_window_seconds(-1);
    stock_line(r, "tee", 1);
  });
  for (const auto& c : cases) {
    auto s = shop().Place(c.user, c.req);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
  }
  EXPECT_EQ(Footprint(mesh()), before) << "bad input changed a database";
  // Unknown SKU: a refusal, not a crash; nothing stays held.
  v1::PlaceOrderRequest unknown = base();
  unknown.set_request_id("unknown-sku");
  stock_line(unknown, "no-such-sku", 1);
  EXPECT_EQ(shop().Place("jo", unknown).error_code(),
            grpc::StatusCode::NOT_FOUND);

  for (const auto& id : {std::string("not-a-uuid"), std::string("")}) {
    v1::GetOrderRequest req;
    req.set_order_id(id);
    v1::OrderInfo out;
    EXPECT_EQ(
        shop().order().GetOrder(BuyerCtx("jo").get(), req, &out).error_code(),
        grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(shop().Pay(id, "jo").error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(shop().Cancel(id, "jo").error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  const std::string unknown_id = "018f0000-0000-7000-8000-000000000000";
  EXPECT_EQ(shop().Pay(unknown_id, "jo").error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(shop().Cancel(unknown_id, "jo").error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(shop().Violations(), "");
  // The unknown-SKU order was refused before anything was sold or held.
  EXPECT_EQ(mesh().Query("inventory", "SELECT sum(available) FROM stock"), "9");
  EXPECT_EQ(mesh().Query("order", "SELECT count(*) FROM orders"), "1");
}

// The checker (and turnstilectl check) must be able to fail: corrupt the
// data behind its back and it has to notice, then pass again once repaired.
int RunCtlCheck(Mesh& mesh) {
  const std::string cmd = Binary("turnstilectl") + " check --pg_base='host=" +
                          "127.0.0.1 port=" + std::to_string(mesh.pg().port()) +
                          " user=postgres' --pg_password_file=" +
                          mesh.pg().PasswordFile("postgres") +
                          " --db_prefix=" + mesh.prefix() + " > /dev/null";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST_F(MeshFlowsTest, CheckerDetectsCorruptedData) {
  shop().CreateSku("tee", 10, 0, 1000);
  shop().CreateEvent("gig", 1, 3, 1000);
  shop().Deposit("kim", 10000);
  ASSERT_TRUE(shop().PlaceStock("kim", "a", "tee", 2, true).ok());
  ASSERT_TRUE(shop().PlaceSeats("kim", "b", "gig", {"A-1-1"}, true).ok());
  ASSERT_EQ(shop().Violations(), "");
  EXPECT_EQ(RunCtlCheck(mesh()), 0);
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>>
      corruptions = {
          {"inventory",
           {"UPDATE stock SET sold = sold + 1, available = available - 1",
            "UPDATE stock SET sold = sold - 1, available = available + 1"}},
          {"payment",
           {"UPDATE wallet SET balance = balance + 1",
            "UPDATE wallet SET balance = balance - 1"}},
          {"seat",
           {"UPDATE seat SET state = 'SOLD', hold_gid = gen_random_uuid(), "
            "hold_branch = 'seat' "
            "WHERE seat_id = 'A-1-2'",
            "UPDATE seat SET state = 'AVAILABLE', hold_gid = NULL, "
            "hold_branch = NULL WHERE seat_id = 'A-1-2'"}},
          {"order",
           {"UPDATE orders SET state = 'CANCELLED'",
            "UPDATE orders SET state = 'PAID'"}},
      };
  for (const auto& [service, sql] : corruptions) {
    mesh().Query(service, sql.first);
    EXPECT_NE(shop().Violations(std::chrono::milliseconds(0)), "") << service;
    EXPECT_EQ(RunCtlCheck(mesh()), 1) << service;
    mesh().Query(service, sql.second);
    EXPECT_EQ(shop().Violations(std::chrono::milliseconds(0)), "") << service;
  }
}

}  // namespace
}  // namespace turnstile::testing
