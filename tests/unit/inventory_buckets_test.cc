// Unit tests of the hot-SKU bucket rules (split, pick, fallback order), the
// buckets field of CreateSku, the strategy flag and the Reconcile request:
// no server, no database.
#include <gtest/gtest.h>

#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "services/common/uuid.h"
#include "services/inventory/buckets.h"
#include "services/inventory/validation.h"

namespace turnstile::inventory {
namespace {

TEST(InventoryBuckets, SplitIsEvenAndAddsUp) {
  EXPECT_EQ(SplitStock(50, 1), (std::vector<int64_t>{50}));
  EXPECT_EQ(SplitStock(50, 8), (std::vector<int64_t>{7, 7, 6, 6, 6, 6, 6, 6}));
  EXPECT_EQ(SplitStock(16, 8), std::vector<int64_t>(8, 2));
  EXPECT_EQ(SplitStock(5, 8), (std::vector<int64_t>{1, 1, 1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(SplitStock(0, 3), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(SplitStock(7, 0), (std::vector<int64_t>{7}));  // 0 means 1
  for (int64_t total : {0, 1, 63, 64, 65, 100000, 1000000000}) {
    for (int64_t n : {1, 2, 3, 7, 8, 64}) {
      const auto units = SplitStock(total, n);
      ASSERT_EQ(static_cast<int64_t>(units.size()), n);
      EXPECT_EQ(std::accumulate(units.begin(), units.end(), int64_t{0}), total);
      const auto [lo, hi] = std::minmax_element(units.begin(), units.end());
      EXPECT_LE(*hi - *lo, 1) << total << "/" << n;
      EXPECT_TRUE(std::is_sorted(units.rbegin(), units.rend()));
    }
  }
}

TEST(InventoryBuckets, PickIsStableInRangeAndSpread) {
  EXPECT_EQ(PickBucket("01890a5d-ac96-774b-bcce-b302099a8057", 1), 0);
  EXPECT_EQ(PickBucket("anything", 0), 0);
  const std::string gid = "01890a5d-ac96-774b-bcce-b302099a8057";
  EXPECT_EQ(PickBucket(gid, 8), PickBucket(gid, 8));
  // Pinned: the same gid picks the same row in every process and build.
  EXPECT_EQ(PickBucket(gid, 64), 3);
  EXPECT_EQ(PickBucket(gid, 8), 3);
  std::map<int64_t, int> hits;
  constexpr int kGids = 8000;
  for (int i = 0; i < kGids; ++i) {
    // UUIDv7 made in a burst share their time prefix: the spread must come
    // from the random tail.
    const int64_t b = PickBucket(NewUuidV7(), 8);
    ASSERT_GE(b, 0);
    ASSERT_LT(b, 8);
    ++hits[b];
  }
  ASSERT_EQ(hits.size(), 8u);
  for (const auto& [bucket, n] : hits) {
    EXPECT_GT(n, kGids / 8 * 3 / 4) << bucket;
    EXPECT_LT(n, kGids / 8 * 5 / 4) << bucket;
  }
}

TEST(InventoryBuckets, FallbackVisitsEveryBucketOnceStartingAtThePick) {
  EXPECT_EQ(FallbackOrder(0, 1), (std::vector<int64_t>{0}));
  EXPECT_EQ(FallbackOrder(5, 8),
            (std::vector<int64_t>{5, 6, 7, 0, 1, 2, 3, 4}));
  EXPECT_EQ(FallbackOrder(0, 4), (std::vector<int64_t>{0, 1, 2, 3}));
  for (int64_t n = 1; n <= kMaxBuckets; ++n) {
    for (int64_t first = 0; first < n; ++first) {
      const auto order = FallbackOrder(first, n);
      ASSERT_EQ(static_cast<int64_t>(order.size()), n);
      EXPECT_EQ(order[0], first);
      EXPECT_EQ(std::set<int64_t>(order.begin(), order.end()).size(),
                static_cast<size_t>(n));
    }
  }
}

TEST(InventoryBuckets, CreateSkuBucketsField) {
  NewSku sku{"sku-1", "T-shirt", "EUR", 1999, 100, 2, 0};
  for (int64_t n : {0, 1, 8, 64}) {
    sku.buckets = n;
    EXPECT_TRUE(ValidateNewSku(sku).ok()) << n;
  }
  for (int64_t n : {-1, 65, 1000}) {
    sku.buckets = n;
    const auto s = ValidateNewSku(sku);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_NE(s.message().find("buckets"), absl::string_view::npos);
  }
}

TEST(InventoryBuckets, StrategyFlag) {
  for (Strategy s :
       {Strategy::kGate, Strategy::kOptimistic, Strategy::kPessimistic}) {
    auto parsed = ParseStrategy(StrategyName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(std::string(StrategyName(Strategy::kGate)), "gate");
  for (const char* bad : {"", "Gate", "redis", "optimistic ", "lock"}) {
    EXPECT_EQ(ParseStrategy(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(InventoryBuckets, ReconcileRequestSku) {
  EXPECT_TRUE(ValidateReconcileSku("").ok());
  EXPECT_TRUE(ValidateReconcileSku("flash-1").ok());
  EXPECT_FALSE(ValidateReconcileSku("a b").ok());
  EXPECT_FALSE(ValidateReconcileSku(std::string(65, 'x')).ok());
  EXPECT_FALSE(ValidateReconcileSku("x}:stock").ok());
}

}  // namespace
}  // namespace turnstile::inventory
