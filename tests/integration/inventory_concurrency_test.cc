// Concurrency tests of the inventory service: the real turnstile-inventory
// binary on a private PostgreSQL, hammered by many simultaneous gRPC calls.
// Checks that stock is never oversold, per-user limits hold under races, and
// the stock counters match the reservation rows afterwards.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "services/common/uuid.h"
#include "tests/support/inventory_harness.h"
#include "tests/support/mesh_test.h"
#include "turnstile/v1/inventory.grpc.pb.h"

namespace turnstile {
namespace {

using testing::Outcome;
using testing::ReserveRequest;
using testing::RunConcurrently;
using testing::SharedPg;
using testing::SharedRedis;
using testing::SkuRequest;
namespace v1 = turnstile::v1;

// Calls of the current test retried after RESOURCE_EXHAUSTED/UNAVAILABLE.
std::atomic<int> g_transient_retries{0};

class InventoryConcurrencyTest : public testing::InventoryHarness {
 protected:
  InventoryConcurrencyTest() : InventoryHarness("inventory_conc", 40) {}

  void SetUp() override {
    InventoryHarness::SetUp();
    Start();
  }

  void TearDown() override {
    InventoryHarness::TearDown();
    if (const int n = g_transient_retries.exchange(0); n > 0) {
      std::fprintf(stderr, "note: %d calls retried after a transient error\n",
                   n);
    }
  }

  // Starts the binary on a fresh port and waits until it serves.
  void Start() {
    Launch({"--metrics_listen=", RedisFlag(), "--pg_pool_size=16"});
  }
};

constexpr auto OK = grpc::StatusCode::OK;

// Overload answers (RESOURCE_EXHAUSTED, UNAVAILABLE) are retried as a caller
// would: safe, because the barrier makes every phase idempotent. They are
// counted and reported, so that a test run shows how often it happened.
template <typename F>
Outcome WithRetry(F call) {
  return testing::RetryTransient(call, 20, 10,
                                 [](const Outcome&) { ++g_transient_retries; });
}

TEST_F(InventoryConcurrencyTest, TwoHundredBuyersFiftyUnits) {
  ASSERT_EQ(CreateSku(SkuRequest("flash", 50, 999)).code, OK);
  constexpr int kBuyers = 200;
  std::vector<std::string> gids(kBuyers);
  for (auto& g : gids) g = NewUuidV7();
  std::vector<Outcome> outcomes(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    outcomes[i] = WithRetry([&] {
      return Reserve(
          ReserveRequest(gids[i], "user" + std::to_string(i), {{"flash", 1}}));
    });
  });
  int ok = 0, sold_out = 0;
  std::vector<int> winners, losers;
  for (int i = 0; i < kBuyers; ++i) {
    if (outcomes[i].code == OK) {
      ++ok;
      winners.push_back(i);
    } else if (outcomes[i].code == grpc::StatusCode::FAILED_PRECONDITION &&
               outcomes[i].reason == "SOLD_OUT") {
      ++sold_out;
      losers.push_back(i);
    } else {
      ADD_FAILURE() << "buyer " << i << ": " << outcomes[i];
    }
  }
  EXPECT_EQ(ok, 50);
  EXPECT_EQ(sold_out, 150);
  EXPECT_EQ(Stock("flash"), "0/50/0/50");
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state = 'LOCKED'"),
            50);
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier"), 50);
  EXPECT_EQ(Count("SELECT coalesce(sum(quantity), 0) FROM user_purchase"), 50);

  // Decide them all at once: the winners confirm (each twice, racing
  // itself), the losers cancel (empty rollbacks).
  std::vector<Outcome> confirms(2 * winners.size());
  std::vector<Outcome> cancels(losers.size());
  const int n = static_cast<int>(confirms.size() + cancels.size());
  RunConcurrently(n, [&](int i) {
    if (i < static_cast<int>(confirms.size())) {
      confirms[i] = WithRetry([&] { return Confirm(gids[winners[i / 2]]); });
    } else {
      const int j = i - static_cast<int>(confirms.size());
      cancels[j] = WithRetry([&] { return Cancel(gids[losers[j]]); });
    }
  });
  for (const Outcome& o : confirms) EXPECT_EQ(o.code, OK) << o;
  for (const Outcome& o : cancels) EXPECT_EQ(o.code, OK) << o;
  EXPECT_EQ(Stock("flash"), "0/0/50/50");
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state = 'SOLD'"), 50);
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state <> 'SOLD'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier WHERE phase = 'confirm'"),
            50);
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier WHERE phase = 'cancel'"),
            150);
  v1::Sku sku;
  ASSERT_EQ(GetSku("flash", &sku).code, OK);
  EXPECT_EQ(sku.sold(), 50);
  EXPECT_EQ(sku.available(), 0);
}

TEST_F(InventoryConcurrencyTest, PerUserLimitHoldsUnderRaces) {
  ASSERT_EQ(CreateSku(SkuRequest("limited", 1000, 100, 3)).code, OK);
  constexpr int kAttempts = 40;
  std::vector<Outcome> outcomes(kAttempts);
  // Two users race 20 single-unit Tries each, every one its own gid.
  RunConcurrently(kAttempts, [&](int i) {
    outcomes[i] = WithRetry([&] {
      return Reserve(ReserveRequest(NewUuidV7(), i % 2 ? "odd" : "even",
                                    {{"limited", 1}}));
    });
  });
  std::map<std::string, int> ok;
  for (int i = 0; i < kAttempts; ++i) {
    if (outcomes[i].code == OK) {
      ++ok[i % 2 ? "odd" : "even"];
    } else {
      EXPECT_EQ(outcomes[i].reason, "USER_LIMIT") << outcomes[i];
    }
  }
  EXPECT_EQ(ok["odd"], 3);
  EXPECT_EQ(ok["even"], 3);
  EXPECT_EQ(Purchased("odd", "limited"), 3);
  EXPECT_EQ(Purchased("even", "limited"), 3);
  EXPECT_EQ(Stock("limited"), "994/6/0/1000");
}

TEST_F(InventoryConcurrencyTest,
       MultiSkuReservationsInAnyOrderNeitherDeadlockNorOversell) {
  // Every buyer wants 1 of each of four SKUs, listed in a random order;
  // rows are locked in sku_id order, so no deadlock, and all or nothing
  // means the four SKUs sell out together.
  const std::vector<std::string> skus = {"w", "x", "y", "z"};
  for (const auto& s : skus) ASSERT_EQ(CreateSku(SkuRequest(s, 30)).code, OK);
  constexpr int kBuyers = 100;
  std::vector<Outcome> outcomes(kBuyers);
  std::vector<std::string> gids(kBuyers);
  for (auto& g : gids) g = NewUuidV7();
  RunConcurrently(kBuyers, [&](int i) {
    std::vector<std::pair<std::string, int64_t>> items;
    for (const auto& s : skus) items.push_back({s, 1});
    std::mt19937 rng(i);
    std::shuffle(items.begin(), items.end(), rng);
    outcomes[i] = WithRetry([&] {
      return Reserve(ReserveRequest(gids[i], "u" + std::to_string(i), items));
    });
  });
  int ok = 0;
  for (const Outcome& o : outcomes) {
    if (o.code == OK) {
      ++ok;
    } else {
      EXPECT_EQ(o.reason, "SOLD_OUT") << o;
    }
  }
  EXPECT_EQ(ok, 30);
  for (const auto& s : skus) EXPECT_EQ(Stock(s), "0/30/0/30") << s;
  // Cancel every branch at once, winners and losers alike.
  std::vector<Outcome> cancels(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    cancels[i] = WithRetry([&] { return Cancel(gids[i]); });
  });
  for (const Outcome& o : cancels) EXPECT_EQ(o.code, OK) << o;
  for (const auto& s : skus) EXPECT_EQ(Stock(s), "30/0/0/30") << s;
  EXPECT_EQ(Count("SELECT coalesce(sum(quantity), 0) FROM user_purchase"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state = 'RELEASED'"),
            4 * 30);
}

TEST_F(InventoryConcurrencyTest, RacingDuplicatesOfOneBranchApplyOnce) {
  ASSERT_EQ(CreateSku(SkuRequest("dup", 10)).code, OK);
  const std::string gid = NewUuidV7();
  constexpr int kCopies = 30;
  std::vector<Outcome> tries(kCopies);
  std::vector<v1::ReserveStockResponse> responses(kCopies);
  RunConcurrently(kCopies, [&](int i) {
    tries[i] = WithRetry([&] {
      return Reserve(ReserveRequest(gid, "racer", {{"dup", 3}}), &responses[i]);
    });
  });
  for (int i = 0; i < kCopies; ++i) {
    EXPECT_EQ(tries[i].code, OK) << tries[i];
    EXPECT_EQ(responses[i].total().minor_units(), 3 * 250);
  }
  EXPECT_EQ(Stock("dup"), "7/3/0/10");
  std::vector<Outcome> confirms(kCopies);
  std::atomic<int> applied{0};
  RunConcurrently(kCopies, [&](int i) {
    bool a = false;
    confirms[i] = WithRetry([&] { return Confirm(gid, &a); });
    if (a) ++applied;
  });
  for (const Outcome& o : confirms) EXPECT_EQ(o.code, OK) << o;
  EXPECT_EQ(applied.load(), 1);
  EXPECT_EQ(Stock("dup"), "7/0/3/10");
  EXPECT_EQ(Reservations(gid), "dup:SOLD:3");
}

}  // namespace
}  // namespace turnstile
