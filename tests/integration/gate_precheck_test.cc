// The order service's sold-out pre-check over the whole mesh (issue 3 item
// 2): once the Redis gate says a SKU is sold out, a buyer is refused with
// FAILED_PRECONDITION SOLD_OUT by the order service before any global
// transaction is begun: no coordinator write (global_txn unchanged) and no
// SQL statement in any participant database. SQL is counted with
// pg_stat_database (xact_commit + xact_rollback of the order, inventory,
// seat and payment databases, read from the `postgres` database), with the
// services' periodic reconcilers and orphan sweeps off so that nothing else
// runs there. The
// test proves its own counter can see SQL (an order that does go through
// moves it), so it fails if the pre-check is removed. Also: a buyer who got
// the last unit and repeats the request gets the order back, and with the
// gate gone (FLUSHALL) orders go to the Try path again without selling more.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "tests/support/mesh_test.h"

namespace turnstile::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

std::string Reason(const grpc::Status& s) { return ReasonOf(FromGrpc(s)); }

// True if the binary accepts --<flag> (the flag set grows with the issues).
bool HasFlag(const std::string& binary, const std::string& flag) {
  return RunCommand(Binary(binary) + " --helpfull 2>&1 | grep -q -- '-" + flag +
                    "[ :]'") == 0;
}

class GatePrecheckTest : public MeshTest {
 protected:
  void Configure(Mesh& mesh) override {
    // Reconcilers (inventory, seat) and orphan sweeps (inventory, seat,
    // payment) would run SQL in their databases on their own.
    for (const char* service : {"inventory", "seat", "payment"}) {
      const std::string binary = std::string("turnstile-") + service;
      std::vector<std::string> args;
      for (const char* flag :
           {"reconcile_interval_s", "orphan_sweep_interval_s"}) {
        if (HasFlag(binary, flag))
          args.push_back(absl::StrCat("--", flag, "=0"));
      }
      mesh.SetArgs(service, args);
    }
  }

  // Committed + rolled back transactions of every participant database, as
  // the statistics collector has them.
  int64_t ParticipantXacts() {
    std::string dbs;
    for (const char* s : {"order", "inventory", "seat", "payment"}) {
      absl::StrAppend(&dbs, dbs.empty() ? "" : ",", "'", mesh().Db(s), "'");
    }
    return std::stoll(mesh().pg().Query(
        "postgres",
        "SELECT coalesce(sum(xact_commit + xact_rollback), 0) FROM "
        "pg_stat_database WHERE datname IN (" +
            dbs + ")"));
  }

  // The counter once it has not moved for `quiet` (a backend may hold its
  // statistics up to ~10 s before reporting them, PostgreSQL 15).
  int64_t SettledXacts(milliseconds quiet = milliseconds(11500)) {
    const auto give_up = SteadyClock::now() + seconds(60);
    int64_t value = ParticipantXacts();
    auto since = SteadyClock::now();
    while (SteadyClock::now() - since < quiet) {
      if (SteadyClock::now() > give_up) {
        ADD_FAILURE() << "participant databases never went quiet";
        break;
      }
      std::this_thread::sleep_for(milliseconds(250));
      const int64_t now = ParticipantXacts();
      if (now != value) {
        value = now;
        since = SteadyClock::now();
      }
    }
    return value;
  }

  int64_t GlobalTxns() {
    return std::stoll(
        mesh().Query("coordinator", "SELECT count(*) FROM global_txn"));
  }

  // The gate's remaining units of `sku` ("" if there is no gate).
  std::string GateRemaining(const std::string& sku) {
    const std::string value = mesh().redis().Run(
        {"HGET", absl::StrCat("ts:{sku:", sku, "}:stock"), "remaining"});
    return value == "(nil)" ? "" : value;
  }

  bool WaitGate(const std::string& sku, const std::string& want) {
    const auto until = SteadyClock::now() + seconds(10);
    while (GateRemaining(sku) != want) {
      if (SteadyClock::now() > until) return false;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return true;
  }
};

TEST_F(GatePrecheckTest, SoldOutBuyerIsRefusedWithoutCoordinatorOrSql) {
  shop().CreateSku("last", 1, 0, 1000);
  shop().CreateSku("plenty", 100, 0, 1000);
  for (const char* u : {"dan", "eve", "fay", "gus", "hal"}) {
    shop().Deposit(u, 10000);
  }
  v1::OrderInfo dan;
  ASSERT_TRUE(shop().PlaceStock("dan", "a", "last", 1, true, &dan).ok());
  ASSERT_TRUE(
      shop().WaitOrder(dan.order_id(), v1::ORDER_STATE_PAID, seconds(10)));
  ASSERT_TRUE(WaitGate("last", "0"))
      << "the inventory service keeps no gate for the SKU (gate remaining \""
      << GateRemaining("last") << "\")";
  ASSERT_EQ(mesh().Query("coordinator",
                         "SELECT count(*) FROM global_txn WHERE state NOT IN "
                         "('CONFIRMED', 'CANCELLED')"),
            "0");

  const int64_t txns_before = GlobalTxns();
  const int64_t xacts_before = SettledXacts();
  for (const char* u : {"eve", "fay", "gus", "hal"}) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      const std::string request = absl::StrCat("try-", attempt);
      auto s = shop().PlaceStock(u, request, "last", 1, true);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
          << u << ": " << s.error_message();
      EXPECT_EQ(Reason(s), "SOLD_OUT") << s.error_message();
    }
  }
  EXPECT_EQ(GlobalTxns(), txns_before) << "the coordinator logged a Begin";
  EXPECT_EQ(SettledXacts(), xacts_before)
      << "a refused buyer caused SQL in a participant database";

  // The counter does see SQL: an order that goes through moves it.
  ASSERT_TRUE(shop().PlaceStock("eve", "p", "plenty", 1, true).ok());
  const auto until = SteadyClock::now() + seconds(20);
  while (ParticipantXacts() == xacts_before && SteadyClock::now() < until) {
    std::this_thread::sleep_for(milliseconds(250));
  }
  EXPECT_GT(ParticipantXacts(), xacts_before);
  EXPECT_GT(GlobalTxns(), txns_before);

  // Nothing changed for the sold-out SKU; no order rows for the refused.
  auto sku = shop().GetSku("last");
  EXPECT_EQ(sku.sold(), 1);
  EXPECT_EQ(sku.locked(), 0);
  EXPECT_EQ(mesh().Query("order",
                         "SELECT count(*) FROM orders o JOIN order_item i "
                         "USING (order_id) WHERE i.sku_id = 'last'"),
            "1");
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(GatePrecheckTest, BuyerOfTheLastUnitRepeatingGetsTheOrderBack) {
  shop().CreateSku("last", 1, 0, 1000);
  shop().Deposit("dan", 10000);
  v1::OrderInfo first;
  ASSERT_TRUE(shop().PlaceStock("dan", "a", "last", 1, true, &first).ok());
  ASSERT_TRUE(WaitGate("last", "0"));
  // Sold out now, but this is a repeat of dan's successful request.
  v1::OrderInfo again;
  auto s = shop().PlaceStock("dan", "a", "last", 1, true, &again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(again.order_id(), first.order_id());
  EXPECT_EQ(again.state(), v1::ORDER_STATE_PAID);
  // A new request of the same buyer goes the Try path and is refused there.
  s = shop().PlaceStock("dan", "b", "last", 1, true);
  EXPECT_EQ(Reason(s), "SOLD_OUT");
  EXPECT_EQ(shop().GetSku("last").sold(), 1);
  EXPECT_EQ(mesh().Query("order",
                         "SELECT count(*) FROM orders WHERE "
                         "state = 'PAID'"),
            "1");
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(GatePrecheckTest, WithoutAGateOrdersGoToTheTryPathAndNothingIsOversold) {
  shop().CreateSku("last", 1, 0, 1000);
  for (const char* u : {"dan", "eve"}) shop().Deposit(u, 10000);
  ASSERT_TRUE(shop().PlaceStock("dan", "a", "last", 1, true).ok());
  ASSERT_TRUE(WaitGate("last", "0"));
  mesh().redis().FlushAll();  // Redis restarted empty: no gate
  ASSERT_EQ(GateRemaining("last"), "");
  const int64_t txns_before = GlobalTxns();
  auto s = shop().PlaceStock("eve", "a", "last", 1, true);
  EXPECT_FALSE(s.ok());
  // The pre-check had nothing to go by: the order reached the coordinator,
  // and PostgreSQL (through the Try path) still sold nothing more.
  EXPECT_GT(GlobalTxns(), txns_before);
  EXPECT_EQ(shop().GetSku("last").sold(), 1);
  EXPECT_EQ(shop().Violations(), "");
}

}  // namespace
}  // namespace turnstile::testing
