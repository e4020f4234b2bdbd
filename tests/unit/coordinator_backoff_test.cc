// Pure pieces of the coordinator: the driver's retry delay (capped
// exponential backoff with full jitter) and --participants parsing.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "txn-coordinator/driver.h"
#include "txn-coordinator/participants.h"

namespace turnstile::coordinator {
namespace {

using std::chrono::milliseconds;

TEST(RetryDelayTest, StaysWithinTheCappedExponentialBound) {
  const BackoffPolicy policy{milliseconds(100), milliseconds(30000)};
  for (int attempts = 1; attempts <= 40; ++attempts) {
    const int64_t cap =
        std::min<int64_t>(30000, 100LL << std::min(attempts - 1, 30));
    int64_t largest = 0;
    for (int i = 0; i < 300; ++i) {
      const auto d = RetryDelay(policy, attempts);
      ASSERT_GE(d.count(), 0) << "attempt " << attempts;
      ASSERT_LE(d.count(), cap) << "attempt " << attempts;
      largest = std::max<int64_t>(largest, d.count());
    }
    // Full jitter over [0, cap]: 300 draws reach the upper half.
    EXPECT_GT(largest, cap / 2) << "attempt " << attempts;
  }
}

TEST(RetryDelayTest, IsJitteredNotConstant) {
  const BackoffPolicy policy{milliseconds(100), milliseconds(30000)};
  std::set<int64_t> seen;
  for (int i = 0; i < 100; ++i) seen.insert(RetryDelay(policy, 8).count());
  EXPECT_GT(seen.size(), 20u);
}

TEST(RetryDelayTest, NonPositiveAttemptsCountAsFirstRetry) {
  const BackoffPolicy policy{milliseconds(50), milliseconds(1000)};
  for (int i = 0; i < 200; ++i) {
    EXPECT_LE(RetryDelay(policy, 0).count(), 50);
    EXPECT_LE(RetryDelay(policy, -5).count(), 50);
  }
}

TEST(ParticipantsTest, ParsesTheMeshList) {
  auto p = ParseParticipants(
      "order=127.0.0.1:50054, inventory=127.0.0.1:50051,"
      "seat=dns:///seat:50052,payment=127.0.0.1:50053");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 4u);
  EXPECT_EQ(p->at("order"), "127.0.0.1:50054");
  EXPECT_EQ(p->at("inventory"), "127.0.0.1:50051");
  EXPECT_EQ(p->at("seat"), "dns:///seat:50052");
  EXPECT_EQ(p->at("payment"), "127.0.0.1:50053");
}

TEST(ParticipantsTest, EmptyMeansNone) {
  auto p = ParseParticipants("");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->empty());
  EXPECT_TRUE(ParseParticipants("   ")->empty());
}

TEST(ParticipantsTest, RejectsMalformedLists) {
  for (const char* bad :
       {"order", "order=", "=127.0.0.1:1", "Order=127.0.0.1:1",
        "order=a:1,order=b:2", "order=a b:1", "or der=a:1", "order=a:1,,",
        "seat=a:1;payment=b:2"}) {
    auto p = ParseParticipants(bad);
    EXPECT_FALSE(p.ok()) << bad;
    if (!p.ok()) {
      EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    }
  }
}

}  // namespace
}  // namespace turnstile::coordinator
