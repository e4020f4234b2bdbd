// The day-limit gate scripts (lua/limit_*.lua) against a real redis-server
// through LimitGate: all-or-nothing takes within limits, repeats, lapses by
// Redis time, release and commit (sold for good, also after a lapse), init
// rebuilding a day while keeping in-flight holds and guarded by the
// version, invalid arguments changing nothing, and 100 clients racing for a
// limit of 10 on one counter.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "services/common/limit_gate.h"
#include "services/common/redis_client.h"
#include "tests/support/redis_server.h"

namespace turnstile {
namespace {

using testing::SharedRedis;

const std::string kDay = "2026-12-24";
const GateOwner kA{"0190a0b0-0000-7000-8000-00000000000a", "booking"};
const GateOwner kB{"0190a0b0-0000-7000-8000-00000000000b", "booking"};
const GateOwner kC{"0190a0b0-0000-7000-8000-00000000000c", "booking"};

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class LimitGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SharedRedis().FlushAll();
    client_ = std::make_unique<RedisClient>(SharedRedis().Options(8));
    gate_ = std::make_unique<LimitGate>(client_.get());
    expire_at_ = NowMs() + 86400000;
  }

  void Init(std::vector<LimitUse> uses = {}) {
    auto r = gate_->Init(kDay, GateInitMode::kRepair, Ver(), expire_at_, uses);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status, GateStatus::kOk) << r->message;
  }
  int64_t Ver() {
    auto r = gate_->Read(kDay);
    return r.ok() && r->status == GateStatus::kOk ? r->ver : 0;
  }
  GateStatus Take(const GateOwner& o, std::vector<LimitCounter> c,
                  int64_t ttl_ms = 60000, LimitGateResult* out = nullptr) {
    auto r = gate_->Take(kDay, o, c, NowMs() + ttl_ms, expire_at_);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return GateStatus::kInvalidArgument;
    if (out) *out = *r;
    return r->status;
  }
  std::string View() {
    auto r = gate_->Read(kDay);
    if (!r.ok()) return r.status().ToString();
    if (r->status != GateStatus::kOk) return "absent";
    std::string s;
    for (const auto& [n, u] : r->used) {
      s += (s.empty() ? "" : " ") + n + "=" + std::to_string(u);
    }
    return s;
  }

  std::unique_ptr<RedisClient> client_;
  std::unique_ptr<LimitGate> gate_;
  int64_t expire_at_ = 0;
};

TEST_F(LimitGateTest, TakesWithinLimitsAllOrNothing) {
  EXPECT_EQ(Take(kA, {{"doc:P1", 1, 1}}), GateStatus::kNotInitialized);
  Init();
  EXPECT_EQ(Take(kA, {{"doc:P1", 1, 1}, {"user-day:alice", 1, 2}}),
            GateStatus::kOk);
  EXPECT_EQ(Take(kA, {{"doc:P1", 1, 1}, {"user-day:alice", 1, 2}}),
            GateStatus::kDuplicate);
  LimitGateResult refused;
  // P2 fits, alice's second fits, but P1 is at its limit: nothing taken.
  EXPECT_EQ(Take(kB, {{"doc:P2", 1, 1}, {"doc:P1", 1, 1}}, 60000, &refused),
            GateStatus::kUserLimit);
  EXPECT_EQ(refused.index, 1);
  EXPECT_EQ(refused.used, 1);
  EXPECT_EQ(refused.limit, 1);
  EXPECT_EQ(View(), "doc:P1=1 user-day:alice=1");
  EXPECT_EQ(Take(kB, {{"user-day:alice", 2, 2}}), GateStatus::kUserLimit);
  EXPECT_EQ(Take(kB, {{"user-day:alice", 1, 2}}), GateStatus::kOk);
  EXPECT_EQ(View(), "doc:P1=1 user-day:alice=2");
  EXPECT_EQ(Take(kC, {{"doc:P9", 1, 1}}, 0), GateStatus::kExpired);
}

TEST_F(LimitGateTest, LapsedHoldsFreeTheirUnitsAndCommitsStay) {
  Init();
  ASSERT_EQ(Take(kA, {{"doc:P1", 1, 1}}, 300), GateStatus::kOk);
  ASSERT_EQ(Take(kB, {{"doc:P2", 1, 1}}, 300), GateStatus::kOk);
  // B is confirmed before its hold lapses; A is not.
  auto sold = gate_->Commit(kDay, kB, {{"doc:P2", 1, 0}}, expire_at_);
  ASSERT_TRUE(sold.ok() && sold->status == GateStatus::kOk);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(View(), "doc:P2=1");
  EXPECT_EQ(Take(kC, {{"doc:P1", 1, 1}}), GateStatus::kOk);
  EXPECT_EQ(Take(kC, {{"doc:P2", 1, 1}}), GateStatus::kDuplicate);
  // A Confirm after the hold lapsed (and someone else took it) still
  // records the sale: PostgreSQL decided.
  sold = gate_->Commit(kDay, kA, {{"doc:P1", 1, 0}}, expire_at_);
  ASSERT_TRUE(sold.ok() && sold->status == GateStatus::kOk);
  EXPECT_EQ(View(), "doc:P1=2 doc:P2=1");
  // Commit is idempotent.
  sold = gate_->Commit(kDay, kA, {{"doc:P1", 1, 0}}, expire_at_);
  EXPECT_EQ(View(), "doc:P1=2 doc:P2=1");
}

TEST_F(LimitGateTest, ReleaseGivesBackHeldUsesOnly) {
  Init();
  ASSERT_EQ(Take(kA, {{"doc:P1", 1, 1}, {"user-day:alice", 1, 5}}),
            GateStatus::kOk);
  auto r = gate_->Release(kDay, kA);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->counters, 2);
  EXPECT_EQ(View(), "");
  r = gate_->Release(kDay, kA);
  EXPECT_EQ(r->status, GateStatus::kNotFound);
  ASSERT_EQ(Take(kB, {{"doc:P1", 1, 1}}), GateStatus::kOk);
  ASSERT_TRUE(gate_->Commit(kDay, kB, {{"doc:P1", 1, 0}}, expire_at_).ok());
  r = gate_->Release(kDay, kB);  // sold: nothing to give back
  EXPECT_EQ(r->status, GateStatus::kNotFound);
  EXPECT_EQ(View(), "doc:P1=1");
}

TEST_F(LimitGateTest, InitKeepsInFlightHoldsAndIsGuardedByVersion) {
  Init();
  ASSERT_EQ(Take(kA, {{"doc:P1", 1, 1}}), GateStatus::kOk);  // in flight
  ASSERT_EQ(Take(kB, {{"doc:P2", 1, 1}}), GateStatus::kOk);
  ASSERT_TRUE(gate_->Commit(kDay, kB, {{"doc:P2", 1, 0}}, expire_at_).ok());
  const int64_t ver = Ver();
  // PostgreSQL knows C (sold) and not B (drift: sold in the gate only).
  const std::string c = "0190a0b0-0000-7000-8000-00000000000c:booking";
  auto r = gate_->Init(kDay, GateInitMode::kRepair, ver - 1, expire_at_,
                       {{c, "doc:P3", 2, 0}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kConflict);
  EXPECT_EQ(View(), "doc:P1=1 doc:P2=1");
  r = gate_->Init(kDay, GateInitMode::kInit, 0, expire_at_, {});
  EXPECT_EQ(r->status, GateStatus::kExists);
  r = gate_->Init(kDay, GateInitMode::kRepair, ver, expire_at_,
                  {{c, "doc:P3", 2, 0}, {c, "doc:P4", 1, NowMs() - 1}});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(View(), "doc:P1=1 doc:P3=2");  // A kept, B gone, lapsed P4 out
  // A's hold survived with its owner record: release still works.
  EXPECT_EQ(gate_->Release(kDay, kA)->status, GateStatus::kOk);
  EXPECT_EQ(View(), "doc:P3=2");
  // A hold of an owner PostgreSQL has decided (its Try died after taking)
  // is listed as a holder and dropped by an init naming it decided.
  ASSERT_EQ(Take(kB, {{"doc:P5", 1, 1}}), GateStatus::kOk);
  auto read = gate_->Read(kDay);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->holders.size(), 1u);
  EXPECT_EQ(read->holders[0], "0190a0b0-0000-7000-8000-00000000000b:booking");
  r = gate_->Init(kDay, GateInitMode::kRepair, read->ver, expire_at_,
                  {{c, "doc:P3", 2, 0}}, read->holders);
  ASSERT_TRUE(r.ok() && r->status == GateStatus::kOk);
  EXPECT_EQ(View(), "doc:P3=2");
  EXPECT_TRUE(gate_->Read(kDay)->holders.empty());
}

TEST_F(LimitGateTest, InvalidArgumentsChangeNothing) {
  Init();
  ASSERT_EQ(Take(kA, {{"doc:P1", 1, 1}}), GateStatus::kOk);
  const std::string before = View();
  const int64_t ver = Ver();
  const std::vector<std::vector<LimitCounter>> bad = {
      {},
      {{"", 1, 1}},
      {{"doc P1", 1, 1}},
      {{"doc:P2", 0, 1}},
      {{"doc:P2", 51, 100}},
      {{"doc:P2", 1, 0}},
      {{"doc:P2", 1, 1}, {"doc:P2", 1, 1}},
      std::vector<LimitCounter>(13, {"x", 1, 1}),
  };
  for (const auto& counters : bad) {
    auto r = gate_->Take(kDay, kB, counters, NowMs() + 60000, expire_at_);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, GateStatus::kInvalidArgument);
  }
  auto r = gate_->Take(kDay, {"no-colon", ""}, {{"doc:P2", 1, 1}},
                       NowMs() + 60000, expire_at_);
  EXPECT_EQ(r->status, GateStatus::kInvalidArgument);
  r = gate_->Take(kDay, kB, {{"doc:P2", 1, 1}}, NowMs() + 40LL * 86400000,
                  expire_at_);
  EXPECT_EQ(r->status, GateStatus::kInvalidArgument);
  auto i = gate_->Init(kDay, GateInitMode::kRepair, ver, expire_at_,
                       {{"a:b", "doc:P5", 1, 0}, {"a:b", "doc:P5", 1, 0}});
  EXPECT_EQ(i->status, GateStatus::kInvalidArgument);
  EXPECT_EQ(View(), before);
  EXPECT_EQ(Ver(), ver);
}

TEST_F(LimitGateTest, ConcurrentTakesNeverPassTheLimit) {
  Init();
  std::atomic<int> ok{0}, limited{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 100; ++t) {
    threads.emplace_back([&, t] {
      const std::string gid =
          "0190a0b0-0000-7000-8000-" + std::to_string(100000000000 + t);
      auto r = gate_->Take(kDay, {gid, "booking"}, {{"doc:HOT", 1, 10}},
                           NowMs() + 60000, expire_at_);
      if (r.ok() && r->status == GateStatus::kOk) ++ok;
      if (r.ok() && r->status == GateStatus::kUserLimit) ++limited;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(limited.load(), 90);
  EXPECT_EQ(View(), "doc:HOT=10");
}

}  // namespace
}  // namespace turnstile
