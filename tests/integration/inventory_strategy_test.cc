// Integration tests of the reservation strategies (gate, optimistic,
// pessimistic: issue 3 item 3) and of hot-SKU buckets (item 5), on the real
// turnstile-inventory binary with a private PostgreSQL and redis-server over
// gRPC/TCP: the same flash sale gives the same result under every strategy
// and bucket count, the stock invariant holds per bucket and in sum, a
// reservation falls back to the next bucket when its own is empty, Confirm
// and Cancel move the right bucket's counters, and migration 0002 converts
// a database written before buckets existed.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/uuid.h"
#include "services/inventory/buckets.h"
#include "tests/support/child_process.h"
#include "tests/support/inventory_harness.h"
#include "tests/support/mesh.h"
#include "tests/support/mesh_test.h"
#include "tests/support/try_deadline.h"
#include "turnstile/v1/inventory.grpc.pb.h"

namespace turnstile {
namespace {

using inventory::PickBucket;
using testing::Binary;
using testing::ChildProcess;
using testing::FreePort;
using testing::Outcome;
using testing::RunConcurrently;
using testing::SharedPg;
using testing::SharedRedis;
namespace v1 = turnstile::v1;

constexpr auto OK = grpc::StatusCode::OK;

v1::CreateSkuRequest SkuRequest(const std::string& id, int64_t stock,
                                int32_t buckets = 0, int32_t limit = 0) {
  v1::CreateSkuRequest r;
  r.set_sku_id(id);
  r.set_name("Item " + id);
  r.mutable_price()->set_currency("EUR");
  r.mutable_price()->set_minor_units(700);
  r.set_stock(stock);
  r.set_per_user_limit(limit);
  r.set_buckets(buckets);
  return r;
}

v1::ReserveStockRequest ReserveRequest(const std::string& gid,
                                       const std::string& user,
                                       const std::string& sku,
                                       int64_t quantity) {
  v1::ReserveStockRequest r;
  r.mutable_txn()->set_gid(gid);
  r.mutable_txn()->set_branch_id("inventory");
  r.set_user_id(user);
  testing::SetTryDeadline(r.mutable_deadline());
  auto* item = r.add_items();
  item->set_sku_id(sku);
  item->set_quantity(quantity);
  return r;
}

// A fresh gid whose reservation tries bucket `bucket` of `n` first.
std::string GidPicking(int64_t bucket, int64_t n) {
  for (;;) {
    std::string gid = NewUuidV7();
    if (PickBucket(gid, n) == bucket) return gid;
  }
}

// Transient answers retried, as a caller would; every retried answer is
// kept so that a test can check what they were (no deadlocks).
std::mutex g_retried_mu;
std::vector<std::string> g_retried;

template <typename F>
Outcome WithRetry(F call) {
  return testing::RetryTransient(call, 50, 5, [](const Outcome& outcome) {
    std::lock_guard<std::mutex> lock(g_retried_mu);
    g_retried.push_back(outcome.reason + ": " + outcome.message);
  });
}

class InventoryStrategyFixture : public testing::InventoryHarness {
 protected:
  InventoryStrategyFixture() : InventoryHarness("inventory_strat", 60) {
    rpc_deadline_s_ = 20;
    cancel_reason_ = v1::CANCEL_REASON_UNSPECIFIED;  // none is sent
  }

  void SetUp() override {
    InventoryHarness::SetUp();
    std::lock_guard<std::mutex> lock(g_retried_mu);
    g_retried.clear();
  }

  void DumpOnFailure() override {
    InventoryHarness::DumpOnFailure();
    // Lock cycles, if any, as PostgreSQL saw them.
    std::system(("grep -A8 'deadlock detected' " + SharedPg().dir() +
                 "/server.log | head -40 >&2")
                    .c_str());
  }

  void Start(const std::string& strategy,
             const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        "--metrics_listen=", RedisFlag(), "--pg_pool_size=16",
        "--reconcile_interval_s=0", "--reservation_strategy=" + strategy};
    args.insert(args.end(), extra.begin(), extra.end());
    Launch(args);
  }

  // Every bucket: "b:available/locked/sold/total,...".
  std::string Buckets(const std::string& sku) const {
    return Query(
        "SELECT string_agg(bucket || ':' || available || '/' || locked || '/' "
        "|| sold || '/' || total, ',' ORDER BY bucket) FROM stock WHERE "
        "sku_id = '" +
        sku + "'");
  }
  // Buckets that break the stock invariant or disagree with the
  // reservations pointing at them ("" if none).
  std::string BucketViolations(const std::string& sku) const {
    return Query(
        "SELECT string_agg(s.bucket::text, ',') FROM stock s LEFT JOIN "
        "(SELECT bucket, sum(quantity) FILTER (WHERE state = 'LOCKED') AS "
        "locked, sum(quantity) FILTER (WHERE state = 'SOLD') AS sold FROM "
        "reservation WHERE sku_id = '" +
        sku + "' GROUP BY bucket) r USING (bucket) WHERE s.sku_id = '" + sku +
        "' AND (s.available < 0 OR s.locked < 0 OR s.sold < 0 OR "
        "s.available + s.locked + s.sold <> s.total OR "
        "s.locked <> coalesce(r.locked, 0) OR s.sold <> coalesce(r.sold, 0))");
  }
  int64_t BucketOf(const std::string& gid) const {
    return Count("SELECT bucket FROM reservation WHERE gid = '" + gid + "'");
  }
  std::vector<std::string> Retried() const {
    std::lock_guard<std::mutex> lock(g_retried_mu);
    return g_retried;
  }
};

// --- every strategy x bucket count: the same flash sale, the same result --

class FlashSaleTest
    : public InventoryStrategyFixture,
      public ::testing::WithParamInterface<std::tuple<std::string, int>> {};

TEST_P(FlashSaleTest, TwoHundredBuyersFiftyUnits) {
  const auto& [strategy, buckets] = GetParam();
  Start(strategy);
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(CreateSku(SkuRequest("flash", 50, buckets)).code, OK);
  const std::string split =
      buckets == 8 ? "7,7,6,6,6,6,6,6" : std::string("50");
  EXPECT_EQ(Query("SELECT string_agg(total::text, ',' ORDER BY bucket) FROM "
                  "stock WHERE sku_id = 'flash'"),
            split);

  constexpr int kBuyers = 200;
  std::vector<std::string> gids(kBuyers);
  for (auto& g : gids) g = NewUuidV7();
  std::vector<Outcome> outcomes(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    outcomes[i] = WithRetry([&] {
      return Reserve(
          ReserveRequest(gids[i], "user" + std::to_string(i), "flash", 1));
    });
  });
  std::vector<int> winners, losers;
  for (int i = 0; i < kBuyers; ++i) {
    if (outcomes[i].code == OK) {
      winners.push_back(i);
    } else if (outcomes[i].reason == "SOLD_OUT") {
      losers.push_back(i);
    } else {
      ADD_FAILURE() << "buyer " << i << ": " << outcomes[i];
    }
  }
  EXPECT_EQ(winners.size(), 50u);
  EXPECT_EQ(losers.size(), 150u);
  EXPECT_EQ(Stock("flash"), "0/50/0/50");
  EXPECT_EQ(BucketViolations("flash"), "");
  // Every bucket sold out, each one exactly its own units.
  EXPECT_EQ(Count("SELECT count(*) FROM stock WHERE sku_id = 'flash' AND "
                  "available = 0 AND locked = total"),
            buckets == 8 ? 8 : 1);
  EXPECT_EQ(Count("SELECT count(DISTINCT bucket) FROM reservation"),
            buckets == 8 ? 8 : 1);
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state = 'LOCKED'"),
            50);
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier"), 50);
  EXPECT_EQ(Count("SELECT coalesce(sum(quantity), 0) FROM user_purchase"), 50);

  // Decide everything at once: odd winners confirm, even winners cancel,
  // losers cancel (empty rollbacks).
  const int n = kBuyers;
  std::vector<Outcome> decisions(n);
  RunConcurrently(n, [&](int i) {
    const bool won = outcomes[i].code == OK;
    decisions[i] = WithRetry(
        [&] { return won && i % 2 == 1 ? Confirm(gids[i]) : Cancel(gids[i]); });
  });
  for (const Outcome& o : decisions) EXPECT_EQ(o.code, OK) << o;
  int confirmed = 0;
  for (int i : winners) confirmed += i % 2;
  EXPECT_EQ(Stock("flash"),
            absl::StrCat(50 - confirmed, "/0/", confirmed, "/50"));
  EXPECT_EQ(BucketViolations("flash"), "");
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state = 'SOLD'"),
            confirmed);
  v1::Sku sku;
  ASSERT_EQ(GetSku("flash", &sku).code, OK);
  EXPECT_EQ(sku.buckets(), buckets == 8 ? 8 : 1);
  EXPECT_EQ(sku.sold(), confirmed);
  EXPECT_EQ(sku.available(), 50 - confirmed);

  if (strategy == "gate") {
    EXPECT_EQ(RedisGate("flash"), PgGate("flash"));
  } else {
    // The comparison strategies do not use Redis at all.
    EXPECT_TRUE(SharedRedis().Snapshot().empty());
    v1::ReconcileResponse report;
    const Outcome o = Reconcile("", &report);
    EXPECT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION) << o;
    EXPECT_EQ(o.reason, "GATE_DISABLED");
  }
  for (const std::string& r : Retried()) {
    EXPECT_EQ(r.find("deadlock"), std::string::npos) << r;
  }
}

INSTANTIATE_TEST_SUITE_P(
    StrategiesAndBuckets, FlashSaleTest,
    ::testing::Combine(::testing::Values("gate", "optimistic", "pessimistic"),
                       ::testing::Values(1, 8)),
    [](const auto& info) {
      return std::get<0>(info.param) + "_buckets" +
             std::to_string(std::get<1>(info.param));
    });

// --- bucket choice, fallback and the phases per bucket, per strategy -----

class BucketTest : public InventoryStrategyFixture,
                   public ::testing::WithParamInterface<std::string> {};

TEST_P(BucketTest, FallbackWhenThePickedBucketIsEmpty) {
  Start(GetParam());
  ASSERT_FALSE(HasFatalFailure());
  v1::Sku created;
  ASSERT_EQ(CreateSku(SkuRequest("hot", 16, 8), &created).code, OK);
  EXPECT_EQ(created.buckets(), 8);
  EXPECT_EQ(created.total(), 16);
  EXPECT_EQ(created.available(), 16);
  EXPECT_EQ(Buckets("hot"),
            "0:2/0/0/2,1:2/0/0/2,2:2/0/0/2,3:2/0/0/2,4:2/0/0/2,5:2/0/0/2,"
            "6:2/0/0/2,7:2/0/0/2");

  // Bucket 3 is picked and drained; the next Try picking 3 falls back to 4.
  const std::string a = GidPicking(3, 8), b = GidPicking(3, 8);
  ASSERT_EQ(Reserve(ReserveRequest(a, "ua", "hot", 2)).code, OK);
  EXPECT_EQ(BucketOf(a), 3);
  ASSERT_EQ(Reserve(ReserveRequest(b, "ub", "hot", 1)).code, OK);
  EXPECT_EQ(BucketOf(b), 4);
  // The fallback wraps around: 7 drained, then 0.
  const std::string c = GidPicking(7, 8), d = GidPicking(7, 8);
  ASSERT_EQ(Reserve(ReserveRequest(c, "uc", "hot", 2)).code, OK);
  EXPECT_EQ(BucketOf(c), 7);
  ASSERT_EQ(Reserve(ReserveRequest(d, "ud", "hot", 2)).code, OK);
  EXPECT_EQ(BucketOf(d), 0);
  // 4 has one unit left; a Try picking it for 2 goes on to 5.
  const std::string e = GidPicking(4, 8);
  ASSERT_EQ(Reserve(ReserveRequest(e, "ue", "hot", 2)).code, OK);
  EXPECT_EQ(BucketOf(e), 5);
  EXPECT_EQ(Buckets("hot"),
            "0:0/2/0/2,1:2/0/0/2,2:2/0/0/2,3:0/2/0/2,4:1/1/0/2,5:0/2/0/2,"
            "6:2/0/0/2,7:0/2/0/2");

  // One line must fit in one bucket: 3 units are refused although 7 are
  // free in total, and nothing changes (the gate, if any, gets them back).
  const std::string before = Buckets("hot");
  const Outcome big = Reserve(ReserveRequest(NewUuidV7(), "uf", "hot", 3));
  EXPECT_EQ(big.code, grpc::StatusCode::FAILED_PRECONDITION) << big;
  EXPECT_EQ(big.reason, "SOLD_OUT");
  EXPECT_EQ(Buckets("hot"), before);
  EXPECT_EQ(Count("SELECT count(*) FROM user_purchase WHERE user_id = 'uf' "
                  "AND quantity > 0"),
            0);

  // Confirm and Cancel move the counters of the reservation's own bucket.
  ASSERT_EQ(Confirm(b).code, OK);  // bucket 4
  ASSERT_EQ(Cancel(a).code, OK);   // bucket 3
  ASSERT_EQ(Confirm(d).code, OK);  // bucket 0
  ASSERT_EQ(Cancel(e).code, OK);   // bucket 5
  EXPECT_EQ(Buckets("hot"),
            "0:0/0/2/2,1:2/0/0/2,2:2/0/0/2,3:2/0/0/2,4:1/0/1/2,5:2/0/0/2,"
            "6:2/0/0/2,7:0/2/0/2");
  EXPECT_EQ(BucketViolations("hot"), "");
  v1::Sku sku;
  ASSERT_EQ(GetSku("hot", &sku).code, OK);
  EXPECT_EQ(sku.buckets(), 8);
  EXPECT_EQ(sku.total(), 16);
  EXPECT_EQ(sku.available(), 11);
  EXPECT_EQ(sku.locked(), 2);
  EXPECT_EQ(sku.sold(), 3);
  v1::ListSkusRequest list_request;
  v1::ListSkusResponse list;
  ASSERT_TRUE(inventory_->ListSkus(Ctx().get(), list_request, &list).ok());
  ASSERT_EQ(list.skus_size(), 1);
  EXPECT_EQ(list.skus(0).SerializeAsString(), sku.SerializeAsString());
  if (GetParam() == "gate") {
    EXPECT_EQ(RedisGate("hot"), PgGate("hot"));
  }
}

INSTANTIATE_TEST_SUITE_P(Strategies, BucketTest,
                         ::testing::Values("gate", "optimistic", "pessimistic"),
                         [](const auto& info) { return info.param; });

// --- strategy-specific behaviour ---------------------------------------

using InventoryStrategyTest = InventoryStrategyFixture;

TEST_F(InventoryStrategyTest, OptimisticGivesUpWithContendedAndLeavesNothing) {
  Start("optimistic", {"--optimistic_attempts=1"});
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_EQ(CreateSku(SkuRequest("row", 1000)).code, OK);
  constexpr int kBuyers = 100;
  std::vector<std::string> gids(kBuyers);
  for (auto& g : gids) g = NewUuidV7();
  std::vector<Outcome> outcomes(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    // Only overload is retried here: CONTENDED is what is being counted.
    // Distinct buyers: one buyer's Tries would queue on its user_purchase
    // row before ever reading the stock row.
    for (int attempt = 0; attempt < 50; ++attempt) {
      outcomes[i] =
          Reserve(ReserveRequest(gids[i], "u" + std::to_string(i), "row", 1));
      if (outcomes[i].code != grpc::StatusCode::RESOURCE_EXHAUSTED) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  int ok = 0, contended = 0;
  for (const Outcome& o : outcomes) {
    if (o.code == OK) {
      ++ok;
    } else if (o.code == grpc::StatusCode::UNAVAILABLE &&
               o.reason == "CONTENDED") {
      ++contended;
    } else {
      ADD_FAILURE() << o;
    }
  }
  EXPECT_GT(contended, 0);
  EXPECT_EQ(ok + contended, kBuyers);
  // A lost race leaves nothing behind: not even its barrier row.
  EXPECT_EQ(Stock("row"), absl::StrCat(1000 - ok, "/", ok, "/0/1000"));
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier"), ok);
  EXPECT_EQ(Count("SELECT coalesce(sum(quantity), 0) FROM user_purchase"), ok);
  // Retried, every one gets through, once.
  RunConcurrently(kBuyers, [&](int i) {
    outcomes[i] = WithRetry([&] {
      return Reserve(
          ReserveRequest(gids[i], "u" + std::to_string(i), "row", 1));
    });
  });
  for (const Outcome& o : outcomes) EXPECT_EQ(o.code, OK) << o;
  EXPECT_EQ(Stock("row"), "900/100/0/1000");
  EXPECT_EQ(Count("SELECT count(*) FROM reservation"), kBuyers);
}

TEST_F(InventoryStrategyTest, BadStrategyFlagStopsTheProcess) {
  ChildProcess bad;
  std::vector<std::string> args = SharedPg().ServiceFlags(db_, "inventory");
  args.insert(args.end(),
              {"--listen=127.0.0.1:" + std::to_string(FreePort()),
               "--metrics_listen=", "--reservation_strategy=redis"});
  bad.Start(Binary("turnstile-inventory"), args, LogPath());
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!bad.Exited()) {
    ASSERT_LT(std::chrono::steady_clock::now(), until);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Nothing was migrated: the flag is checked first.
  EXPECT_EQ(Query("SELECT count(*) FROM pg_tables WHERE tablename = 'sku'"),
            "0");
}

// A database written by the first release (one stock row per SKU, no
// bucket columns) is converted by 0002: rows become bucket 0, and the open
// reservation can still be confirmed.
TEST_F(InventoryStrategyTest, Migration0002ConvertsExistingRows) {
  std::ifstream in(std::string(TURNSTILE_SQL_DIR) + "/inventory/0001_init.sql");
  ASSERT_TRUE(in.good());
  std::stringstream init;
  init << in.rdbuf();
  // As the service's role, as the first release's migration ran: 0002 alters
  // these tables, which only their owner may.
  SharedPg().QueryAs("inventory", db_, init.str());
  SharedPg().QueryAs(
      "inventory", db_,
      "CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at "
      "timestamptz NOT NULL DEFAULT now()); "
      "INSERT INTO schema_migrations (version) VALUES ('0001_init.sql')");
  const std::string locked = NewUuidV7(), sold = NewUuidV7();
  Query(
      "INSERT INTO sku (sku_id, name, price_minor, currency) VALUES "
      "('old', 'Old', 100, 'EUR'); "
      "INSERT INTO stock (sku_id, total, available, locked, sold) VALUES "
      "('old', 10, 6, 3, 1); "
      "INSERT INTO reservation (gid, branch_id, sku_id, user_id, quantity, "
      "unit_price_minor, currency, state) VALUES ('" +
      locked + "', 'inventory', 'old', 'u1', 3, 100, 'EUR', 'LOCKED'), ('" +
      sold +
      "', 'inventory', 'old', 'u2', 1, 100, 'EUR', 'SOLD'); "
      "INSERT INTO user_purchase VALUES ('u1', 'old', 3), ('u2', 'old', 1); "
      "INSERT INTO tcc_barrier (gid, branch_id, phase) VALUES ('" +
      locked + "', 'inventory', 'try'), ('" + sold +
      "', 'inventory', 'try'), ('" + sold + "', 'inventory', 'confirm')");

  Start("gate");
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(Count("SELECT count(*) FROM schema_migrations"),
            testing::MigrationCount("inventory"));
  EXPECT_EQ(Query("SELECT string_agg(a.attname, ',' ORDER BY "
                  "array_position(i.indkey::int2[], a.attnum)) FROM pg_index "
                  "i JOIN pg_attribute a ON a.attrelid = i.indrelid AND "
                  "a.attnum = ANY(i.indkey) WHERE i.indrelid = "
                  "'stock'::regclass AND i.indisprimary"),
            "sku_id,bucket");
  EXPECT_EQ(Buckets("old"), "0:6/3/1/10");
  EXPECT_EQ(Query("SELECT string_agg(DISTINCT bucket::text, ',') FROM "
                  "reservation"),
            "0");
  EXPECT_EQ(BucketViolations("old"), "");
  v1::Sku sku;
  ASSERT_EQ(GetSku("old", &sku).code, OK);
  EXPECT_EQ(sku.buckets(), 1);
  EXPECT_EQ(sku.available(), 6);
  EXPECT_EQ(sku.locked(), 3);
  // The start-up pass built the gate from the converted rows.
  EXPECT_EQ(RedisGate("old"), PgGate("old"));
  EXPECT_EQ(RedisGate("old"), "remaining=6 limit=0 users={u1=3,u2=1} res={" +
                                  locked + ":inventory=3 u1}");
  ASSERT_EQ(Confirm(locked).code, OK);
  EXPECT_EQ(Buckets("old"), "0:6/0/4/10");
  ASSERT_EQ(Reserve(ReserveRequest(NewUuidV7(), "u3", "old", 2)).code, OK);
  EXPECT_EQ(Buckets("old"), "0:4/2/4/10");
  EXPECT_EQ(RedisGate("old"), PgGate("old"));
  // A SKU can be made after the conversion with buckets.
  ASSERT_EQ(CreateSku(SkuRequest("new", 9, 3)).code, OK);
  EXPECT_EQ(Buckets("new"), "0:3/0/0/3,1:3/0/0/3,2:3/0/0/3");
  EXPECT_EQ(CreateSku(SkuRequest("wide", 9, 65)).code,
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace turnstile
