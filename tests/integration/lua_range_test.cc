// The range gate scripts (lua/range_*.lua) against a real redis-server
// through RangeGate: all-or-nothing holds over a group, adjacent and
// overlapping ranges, expiry by Redis time, idempotent and out-of-order
// calls (hanging Try), permanent sales, init replacing the gate, every
// invalid argument changing nothing, the per-user limit (live items,
// lapses, release, repeats, rebuilt by init), and 200 clients racing for
// overlapping windows of one resource, checked through range_read.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "services/common/range_gate.h"
#include "services/common/redis_client.h"
#include "tests/support/redis_server.h"

namespace turnstile {
namespace {

using testing::SharedRedis;

std::string Key(const std::string& gate, const std::string& suffix) {
  return "ts:{rng:" + gate + "}:" + suffix;
}

const GateOwner kA{"0190a0b0-0000-7000-8000-00000000000a", "booking"};
const GateOwner kB{"0190a0b0-0000-7000-8000-00000000000b", "booking"};
const GateOwner kC{"0190a0b0-0000-7000-8000-00000000000c", "booking"};

const std::string kDay = "cafe1:2026-12-24";

using Items = std::vector<RangeItem>;

class RangeGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SharedRedis().FlushAll();
    client_ = std::make_unique<RedisClient>(SharedRedis().Options(8));
    GateOptions options;
    options.record_ttl = std::chrono::minutes(10);
    gate_ = std::make_unique<RangeGate>(client_.get(), options);
  }

  void InitGate(const std::string& key, int32_t units,
                std::vector<GateRange> ranges = {}) {
    RangeInitSpec spec;
    spec.mode = GateInitMode::kForce;
    spec.units = units;
    spec.ranges = std::move(ranges);
    auto r = gate_->Init(key, spec);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status, GateStatus::kOk) << r->message;
  }

  int64_t RedisNowMs() {
    const auto t = SharedRedis().RunList({"TIME"});
    return std::stoll(t[0]) * 1000 + std::stoll(t[1]) / 1000;
  }

  RangeGateResult Hold(const GateOwner& owner, const Items& items,
                       int64_t expiry_ms) {
    auto r = gate_->Hold(kDay, owner, items, expiry_ms);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RangeGateResult{};
  }
  RangeGateResult Hold(const GateOwner& owner, const Items& items) {
    return Hold(owner, items, RedisNowMs() + 60'000);
  }
  RangeGateResult Release(const GateOwner& owner, const Items& items) {
    auto r = gate_->Release(kDay, owner, items);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RangeGateResult{};
  }
  RangeGateResult Commit(const GateOwner& owner, const Items& items) {
    auto r = gate_->Commit(kDay, owner, items);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RangeGateResult{};
  }
  RangeSnapshot Read(const std::vector<std::string>& ids = {}) {
    auto r = gate_->Read(kDay, ids);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RangeSnapshot{};
  }
  std::string Field(const std::string& resource) {
    return SharedRedis().Run({"HGET", Key(kDay, "ranges"), resource});
  }
  std::string Own(const GateOwner& owner) {
    return SharedRedis().Run({"GET", Key(kDay, "own:" + OwnerString(owner))});
  }

  std::string Eval(const std::string& script,
                   const std::vector<std::string>& keys,
                   const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"EVAL",
                                     std::string(FindLuaScript(script)->source),
                                     std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return SharedRedis().Run(argv);
  }

  std::unique_ptr<RedisClient> client_;
  std::unique_ptr<RangeGate> gate_;
};

std::string Held(int from, int to, int64_t expiry, const GateOwner& owner) {
  return "H," + std::to_string(from) + "," + std::to_string(to) + "," +
         std::to_string(expiry) + "," + OwnerString(owner);
}
std::string Sold(int from, int to, const GateOwner& owner) {
  return "S," + std::to_string(from) + "," + std::to_string(to) + ",0," +
         OwnerString(owner);
}

TEST_F(RangeGateTest, HoldTakesTheGroupAndRecordsTheOwner) {
  InitGate(kDay, 48);
  const int64_t expiry = RedisNowMs() + 60'000;
  auto r = Hold(kA, {{"m1", 36, 44}, {"m2", 36, 44}, {"m1", 10, 12}}, expiry);
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(r.items, 3);
  EXPECT_EQ(r.expiry_ms, expiry);
  EXPECT_EQ(Field("m1"),
            Held(10, 12, expiry, kA) + " " + Held(36, 44, expiry, kA));
  EXPECT_EQ(Field("m2"), Held(36, 44, expiry, kA));
  EXPECT_EQ(Own(kA), "H " + std::to_string(expiry) + " 3");
  EXPECT_EQ(SharedRedis().Run({"HGET", Key(kDay, "meta"), "ver"}), "2");

  // A repeat (even with other items) is DUPLICATE and changes nothing.
  const auto before = SharedRedis().Snapshot();
  r = Hold(kA, {{"m3", 0, 1}}, expiry + 5000);
  EXPECT_EQ(r.status, GateStatus::kDuplicate);
  EXPECT_EQ(r.items, 3);
  EXPECT_EQ(r.expiry_ms, expiry);
  EXPECT_EQ(SharedRedis().Snapshot(), before);

  const RangeSnapshot snap = Read({"m2", "m1", "m9"});
  EXPECT_EQ(snap.status, GateStatus::kOk);
  EXPECT_EQ(snap.units, 48);
  EXPECT_EQ(snap.ver, 2);
  ASSERT_EQ(snap.ranges.size(), 3u);
  EXPECT_EQ(snap.ranges[0].resource_id, "m2");
  EXPECT_EQ(snap.ranges[1].resource_id, "m1");
  EXPECT_EQ(snap.ranges[1].from, 10);
  EXPECT_EQ(snap.ranges[1].to, 12);
  EXPECT_EQ(snap.ranges[2].from, 36);
  for (const GateRange& g : snap.ranges) {
    EXPECT_EQ(g.state, GateRangeState::kHeld);
    EXPECT_EQ(g.owner, OwnerString(kA));
    EXPECT_EQ(g.expiry_ms, expiry);
  }
  EXPECT_LT(snap.now_ms, expiry);
}

TEST_F(RangeGateTest, AdjacentRangesBothHoldAndOverlapsAreRefused) {
  InitGate(kDay, 48);
  EXPECT_EQ(Hold(kA, {{"m1", 18, 22}}).status, GateStatus::kOk);
  EXPECT_EQ(Hold(kB, {{"m1", 22, 24}}).status, GateStatus::kOk);
  EXPECT_EQ(Hold(kC, {{"m1", 14, 18}}).status, GateStatus::kOk);
  const GateOwner d{"0190a0b0-0000-7000-8000-00000000000d", "booking"};
  const auto before = SharedRedis().Snapshot();
  // All or nothing: m2 is free, but [21, 23) of m1 overlaps both A and B.
  auto r = Hold(d, {{"m2", 0, 48}, {"m1", 21, 23}, {"m1", 17, 18}});
  EXPECT_EQ(r.status, GateStatus::kTaken);
  EXPECT_EQ(r.conflicts, (Items{{"m1", 21, 23}, {"m1", 17, 18}}));
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  // The owner may try again (no record was written).
  r = Hold(d, {{"m2", 0, 48}, {"m1", 24, 48}, {"m1", 0, 14}});
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(Read({"m1"}).ranges.size(), 5u);
}

TEST_F(RangeGateTest, ExpiredHoldsStopBlockingAndAreCleanedWhenTouched) {
  InitGate(kDay, 10);
  const int64_t short_expiry = RedisNowMs() + 300;
  ASSERT_EQ(Hold(kA, {{"s1", 2, 5}, {"s2", 0, 10}}, short_expiry).status,
            GateStatus::kOk);
  EXPECT_EQ(Hold(kB, {{"s1", 4, 6}}).status, GateStatus::kTaken);
  while (RedisNowMs() <= short_expiry) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Lapsed holds are free for readers...
  EXPECT_TRUE(Read().ranges.empty());
  // ...and for holders; the lapsed entry of s1 is deleted on the way, s2's
  // (not touched) stays until touched.
  const int64_t expiry = RedisNowMs() + 60'000;
  auto r = Hold(kB, {{"s1", 4, 6}}, expiry);
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(Field("s1"), Held(4, 6, expiry, kB));
  EXPECT_EQ(Field("s2"), Held(0, 10, short_expiry, kA));
  // A late Cancel of A deletes its lapsed s2 hold and leaves B's alone.
  r = Release(kA, {{"s1", 2, 5}, {"s2", 0, 10}});
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(r.items, 1);
  EXPECT_EQ(Field("s2"), "(nil)");
  EXPECT_EQ(Field("s1"), Held(4, 6, expiry, kB));
}

TEST_F(RangeGateTest, HoldWithAPastExpiryIsTooLate) {
  InitGate(kDay, 10);
  const auto before = SharedRedis().Snapshot();
  auto r = Hold(kA, {{"s1", 0, 1}}, RedisNowMs() - 1);
  EXPECT_EQ(r.status, GateStatus::kExpired);
  EXPECT_GT(r.expiry_ms, 0);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
}

TEST_F(RangeGateTest, ReleaseIsIdempotentAndALateHoldIsCancelled) {
  InitGate(kDay, 10);
  ASSERT_EQ(Hold(kA, {{"s1", 0, 3}, {"s2", 0, 3}}).status, GateStatus::kOk);
  ASSERT_EQ(Hold(kB, {{"s1", 3, 6}}).status, GateStatus::kOk);
  auto r = Release(kA, {{"s1", 0, 3}, {"s2", 0, 3}});
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(r.items, 2);
  EXPECT_EQ(Own(kA), "X 2");
  EXPECT_EQ(Field("s2"), "(nil)");
  EXPECT_NE(Field("s1"), "(nil)");  // B's hold is still there
  const auto before = SharedRedis().Snapshot();
  EXPECT_EQ(Release(kA, {{"s1", 0, 3}}).status, GateStatus::kDuplicate);
  // The Try of a released branch is refused (a repeat after its Cancel).
  EXPECT_EQ(Hold(kA, {{"s1", 0, 3}}).status, GateStatus::kCancelled);
  EXPECT_EQ(Commit(kA, {{"s1", 0, 3}}).status, GateStatus::kCancelled);
  EXPECT_EQ(SharedRedis().Snapshot(), before);

  // Cancel before Try: a tombstone; the hanging Try is refused.
  r = Release(kC, {{"s3", 0, 10}});
  EXPECT_EQ(r.status, GateStatus::kNotFound);
  EXPECT_EQ(Own(kC), "T");
  const auto after = SharedRedis().Snapshot();
  EXPECT_EQ(Hold(kC, {{"s3", 0, 10}}).status, GateStatus::kCancelled);
  EXPECT_EQ(SharedRedis().Snapshot(), after);
  EXPECT_TRUE(Read({"s3"}).ranges.empty());
}

TEST_F(RangeGateTest, CommitSellsForGood) {
  InitGate(kDay, 10);
  ASSERT_EQ(Hold(kA, {{"s1", 2, 5}, {"s2", 0, 10}}).status, GateStatus::kOk);
  auto r = Commit(kA, {{"s1", 2, 5}, {"s2", 0, 10}});
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(r.items, 2);
  EXPECT_EQ(r.reclaimed, 0);
  EXPECT_EQ(Field("s1"), Sold(2, 5, kA));
  EXPECT_EQ(Own(kA), "C 2");
  const auto before = SharedRedis().Snapshot();
  EXPECT_EQ(Commit(kA, {{"s1", 2, 5}}).status, GateStatus::kDuplicate);
  // Release after commit frees nothing.
  EXPECT_EQ(Release(kA, {{"s1", 2, 5}, {"s2", 0, 10}}).status,
            GateStatus::kCommitted);
  auto h = Hold(kA, {{"s1", 2, 5}});
  EXPECT_EQ(h.status, GateStatus::kDuplicate);
  EXPECT_EQ(h.expiry_ms, 0);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  // Sold is forever: no other owner gets any overlapping unit, even with a
  // far expiry; the adjacent units are free.
  EXPECT_EQ(Hold(kB, {{"s1", 4, 6}}).status, GateStatus::kTaken);
  EXPECT_EQ(Hold(kB, {{"s1", 5, 10}, {"s1", 0, 2}}).status, GateStatus::kOk);
  const RangeSnapshot snap = Read({"s1"});
  ASSERT_EQ(snap.ranges.size(), 3u);
  EXPECT_EQ(snap.ranges[1].state, GateRangeState::kSold);
  EXPECT_EQ(snap.ranges[1].expiry_ms, 0);
}

TEST_F(RangeGateTest, CommitFollowsTheDecisionWhenTheHoldLapsed) {
  InitGate(kDay, 10);
  const int64_t short_expiry = RedisNowMs() + 200;
  ASSERT_EQ(Hold(kA, {{"s1", 0, 4}, {"s2", 0, 4}}, short_expiry).status,
            GateStatus::kOk);
  while (RedisNowMs() <= short_expiry) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(Hold(kB, {{"s1", 2, 6}}).status, GateStatus::kOk);
  ASSERT_EQ(Hold(kC, {{"s2", 3, 5}}).status, GateStatus::kOk);
  ASSERT_EQ(Commit(kC, {{"s2", 3, 5}}).status, GateStatus::kOk);
  // PostgreSQL decided for A: s1 is sold to A over B's gate hold; s2
  // overlaps C's sale and is left alone (drift for the reconciler).
  auto r = Commit(kA, {{"s1", 0, 4}, {"s2", 0, 4}});
  EXPECT_EQ(r.status, GateStatus::kNotOwner);
  EXPECT_EQ(r.items, 1);
  EXPECT_EQ(r.reclaimed, 1);
  EXPECT_EQ(r.conflicts, (Items{{"s2", 0, 4}}));
  EXPECT_EQ(Field("s1"), Sold(0, 4, kA));
  // (A's lapsed s2 hold was deleted when C touched s2.)
  EXPECT_EQ(Field("s2"), Sold(3, 5, kC));
}

TEST_F(RangeGateTest, NotInitializedChangesNothing) {
  const auto before = SharedRedis().Snapshot();
  EXPECT_EQ(Hold(kA, {{"s1", 0, 1}}).status, GateStatus::kNotInitialized);
  EXPECT_EQ(Release(kA, {{"s1", 0, 1}}).status, GateStatus::kNotInitialized);
  EXPECT_EQ(Commit(kA, {{"s1", 0, 1}}).status, GateStatus::kNotInitialized);
  const RangeSnapshot snap = Read();
  EXPECT_EQ(snap.status, GateStatus::kNotInitialized);
  EXPECT_GT(snap.now_ms, 0);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
}

TEST_F(RangeGateTest, InitModesReplaceTheGate) {
  const int64_t expiry = RedisNowMs() + 60'000;
  RangeInitSpec spec;
  spec.units = 9;  // a 10-stop run: legs 0..8
  spec.ranges = {
      {"c1-01", 0, 3, GateRangeState::kSold, OwnerString(kA), 0},
      {"c1-01", 5, 9, GateRangeState::kHeld, OwnerString(kB), expiry},
      {"c1-02", 3, 5, GateRangeState::kSold, OwnerString(kA), 0},
  };
  auto r = gate_->Init(kDay, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->ver, 1);
  EXPECT_EQ(r->count, 3);
  EXPECT_EQ(Field("c1-01"), Sold(0, 3, kA) + " " + Held(5, 9, expiry, kB));
  EXPECT_EQ(Hold(kC, {{"c1-01", 2, 4}}).status, GateStatus::kTaken);
  EXPECT_EQ(Hold(kC, {{"c1-01", 3, 5}}).status, GateStatus::kOk);  // ver 2

  // init leaves a present gate alone; repair needs the current ver.
  const auto before = SharedRedis().Snapshot();
  r = gate_->Init(kDay, spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kExists);
  EXPECT_EQ(r->ver, 2);
  EXPECT_EQ(r->count, 2);
  spec.mode = GateInitMode::kRepair;
  spec.expected_ver = 1;
  r = gate_->Init(kDay, spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kConflict);
  EXPECT_EQ(SharedRedis().Snapshot(), before);

  // A repair with the right ver replaces everything (C's hold is gone; its
  // owner record stays, so its repeat is still DUPLICATE).
  spec.expected_ver = 2;
  spec.units = 9;
  spec.ranges = {{"c1-03", 0, 9, GateRangeState::kSold, OwnerString(kA), 0}};
  r = gate_->Init(kDay, spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->ver, 3);
  const RangeSnapshot snap = Read();
  ASSERT_EQ(snap.ranges.size(), 1u);
  EXPECT_EQ(snap.ranges[0].resource_id, "c1-03");
  EXPECT_EQ(snap.ver, 3);
  EXPECT_EQ(snap.units, 9);
  EXPECT_EQ(Hold(kC, {{"c1-01", 3, 5}}).status, GateStatus::kDuplicate);
  EXPECT_EQ(Hold(kB, {{"c1-01", 0, 9}}).status, GateStatus::kOk);
  // The units bound the items.
  auto bad =
      gate_->Hold(kDay, kA, Items{{"c1-01", 0, 10}}, RedisNowMs() + 60'000);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->status, GateStatus::kInvalidArgument);
}

TEST_F(RangeGateTest, InvalidArgumentsChangeNothing) {
  InitGate(kDay, 10);
  ASSERT_EQ(Hold(kA, {{"s1", 0, 2}}).status, GateStatus::kOk);
  const auto before = SharedRedis().Snapshot();
  const int64_t now = RedisNowMs();
  const std::string future = std::to_string(now + 60'000);
  const std::string far = std::to_string(now + 31LL * 24 * 3600 * 1000);
  const std::string ob = OwnerString(kB);
  const std::vector<std::string> keys = {Key(kDay, "meta"), Key(kDay, "ranges"),
                                         Key(kDay, "own:" + ob)};
  const std::vector<std::string> keys2 = {keys[0], keys[1]};
  const std::vector<std::string> keys3 = {keys[0], keys[1], Key(kDay, "users")};
  const std::vector<std::string> keys4 = {keys[0], keys[1], keys[2],
                                          Key(kDay, "users")};
  std::vector<std::string> too_many = {ob, future, "60000", "51"};
  for (int i = 0; i < 51; ++i) {
    too_many.insert(too_many.end(), {"r" + std::to_string(i), "0", "1"});
  }
  struct Case {
    std::string script;
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };
  const std::vector<Case> cases = {
      // range_hold: expiry, ttl, counts
      {"range_hold", keys, {ob}},
      {"range_hold", keys, {ob, "0", "60000", "1", "s2", "0", "1"}},
      {"range_hold", keys, {ob, far, "60000", "1", "s2", "0", "1"}},
      {"range_hold", keys, {ob, "soon", "60000", "1", "s2", "0", "1"}},
      {"range_hold", keys, {ob, future, "10", "1", "s2", "0", "1"}},
      {"range_hold", keys, {ob, future, "60000", "0"}},
      {"range_hold", keys, {ob, future, "60000", "2", "s2", "0", "1"}},
      {"range_hold", keys, {ob, future, "60000", "1", "s2", "0", "1", "x"}},
      {"range_hold", keys, too_many},
      // range_hold: the ranges (empty, reversed, beyond units or 256,
      // negative, overlapping within the group)
      {"range_hold", keys, {ob, future, "60000", "1", "s2", "3", "3"}},
      {"range_hold", keys, {ob, future, "60000", "1", "s2", "5", "3"}},
      {"range_hold", keys, {ob, future, "60000", "1", "s2", "0", "11"}},
      {"range_hold", keys, {ob, future, "60000", "1", "s2", "0", "257"}},
      {"range_hold", keys, {ob, future, "60000", "1", "s2", "-1", "3"}},
      {"range_hold", keys, {ob, future, "60000", "1", "s2", "1.5", "3"}},
      {"range_hold",
       keys,
       {ob, future, "60000", "2", "s2", "0", "3", "s2", "2", "4"}},
      {"range_hold", keys, {ob, future, "60000", "1", "", "0", "1"}},
      {"range_hold", keys, {ob, future, "60000", "1", "s 2", "0", "1"}},
      {"range_hold",
       keys,
       {ob, future, "60000", "1", std::string(65, 's'), "0", "1"}},
      // range_hold: owner and keys
      {"range_hold", keys, {"nocolon", future, "60000", "1", "s2", "0", "1"}},
      {"range_hold", keys2, {ob, future, "60000", "1", "s2", "0", "1"}},
      {"range_hold",
       {keys[0], keys[1], Key(kDay, "own:" + OwnerString(kA))},
       {ob, future, "60000", "1", "s2", "0", "1"}},
      {"range_hold",
       {keys[0], Key("other", "ranges"), keys[2]},
       {ob, future, "60000", "1", "s2", "0", "1"}},
      {"range_hold",
       {"ts:{evt:" + kDay + "}:meta", keys[1], keys[2]},
       {ob, future, "60000", "1", "s2", "0", "1"}},
      // range_release / range_commit
      {"range_release", keys4, {ob, "60000"}},
      {"range_release", keys4, {ob, "0", "1", "s1", "0", "2"}},
      {"range_release", keys4, {ob, "60000", "1", "s1", "2", "0"}},
      {"range_release", keys4, {ob, "60000", "1", "s1", "0", "11"}},
      {"range_release", keys2, {ob, "60000", "1", "s1", "0", "2"}},
      {"range_commit", keys4, {ob, "60000", "0"}},
      {"range_commit", keys4, {ob, "60000", "1", "s1", "0"}},
      {"range_commit", keys4, {"x:y:z", "60000", "1", "s1", "0", "2"}},
      {"range_commit",
       keys4,
       {ob, "60000", "2", "s1", "0", "2", "s1", "1", "3"}},
      // range_init
      {"range_init", keys3, {"force", "0", "10"}},
      {"range_init", keys3, {"fresh", "0", "10", "0"}},
      {"range_init", keys3, {"force", "0", "0", "0"}},
      {"range_init", keys3, {"force", "0", "257", "0"}},
      {"range_init", keys3, {"force", "0", "10", "1", "s1", "0", "2", "H", ob}},
      {"range_init",
       keys3,
       {"force", "0", "10", "1", "s1", "0", "2", "X", ob, "0"}},
      {"range_init",
       keys3,
       {"force", "0", "10", "1", "s1", "0", "2", "S", ob, "5"}},
      {"range_init",
       keys3,
       {"force", "0", "10", "1", "s1", "2", "2", "S", ob, "0"}},
      {"range_init",
       keys3,
       {"force", "0", "10", "1", "s1", "0", "11", "S", ob, "0"}},
      {"range_init",
       keys3,
       {"force", "0", "10", "2", "s1", "0", "3", "S", ob, "0", "s1", "2", "5",
        "H", ob, future}},
      {"range_init", {keys[0]}, {"force", "0", "10", "0"}},
      {"range_init", keys2, {"force", "0", "10", "0"}},
      // range_init: the users list (count, owner without entry, repeated
      // owner, bad user)
      {"range_init",
       keys3,
       {"force", "0", "10", "1", "s1", "0", "2", "S", ob, "0", "2", ob, "u1"}},
      {"range_init",
       keys3,
       {"force", "0", "10", "1", "s1", "0", "2", "S", ob, "0", "1",
        OwnerString(kC), "u1"}},
      {"range_init",
       keys3,
       {"force", "0", "10", "1", "s1", "0", "2", "S", ob, "0", "2", ob, "u1",
        ob, "u1"}},
      {"range_init",
       keys3,
       {"force", "0", "10", "1", "s1", "0", "2", "S", ob, "0", "1", ob, ""}},
      // range_hold: user and limit (keys, limit bounds, user id)
      {"range_hold",
       keys,
       {ob, future, "60000", "1", "s2", "0", "1", "u1", "2"}},
      {"range_hold",
       keys4,
       {ob, future, "60000", "1", "s2", "0", "1", "u1", "1000001"}},
      {"range_hold",
       keys4,
       {ob, future, "60000", "1", "s2", "0", "1", "u1", "-1"}},
      {"range_hold",
       keys4,
       {ob, future, "60000", "1", "s2", "0", "1", "u 1", "2"}},
      {"range_hold", keys4, {ob, future, "60000", "1", "s2", "0", "1", "u1"}},
      {"range_release", keys, {ob, "60000", "1", "s1", "0", "2"}},
      {"range_commit", keys, {ob, "60000", "1", "s1", "0", "2"}},
      // range_read
      {"range_read", keys2, {}},
      {"range_read", keys2, {"1"}},
      {"range_read", keys2, {"2", "s1", "s1"}},
      {"range_read", keys2, {"1001"}},
      {"range_read", {keys[1], keys[0]}, {"0"}},
      // range_free
      {"range_free", keys2, {"0", "1"}},
      {"range_free", keys2, {"3", "3", "1", "s1"}},
      {"range_free", keys2, {"4", "3", "1", "s1"}},
      {"range_free", keys2, {"0", "11", "1", "s1"}},
      {"range_free", keys2, {"0", "1", "0"}},
      {"range_free", keys2, {"0", "1", "2001"}},
      {"range_free", keys2, {"0", "1", "2", "s1", "s1"}},
      {"range_free", keys2, {"0", "1", "1", "s1", "s2"}},
      {"range_free", keys, {"0", "1", "1", "s1"}},
  };
  for (const Case& c : cases) {
    const std::string reply = Eval(c.script, c.keys, c.args);
    std::string args;
    for (const auto& a : c.args) args += "[" + a + "]";
    EXPECT_EQ(reply.rfind("INVALID_ARGUMENT,", 0), 0u)
        << c.script << " " << args.substr(0, 200) << " -> " << reply;
    EXPECT_EQ(SharedRedis().Snapshot(), before) << c.script << " " << args;
  }
  // Valid forms of the same calls are accepted.
  EXPECT_EQ(Eval("range_hold", keys,
                 {ob, future, "60000", "2", "s2", "0", "3", "s2", "3", "10"})
                .rfind("OK,", 0),
            0u);
  EXPECT_EQ(Eval("range_commit", keys4, {ob, "60000", "1", "s2", "0", "3"})
                .rfind("OK,", 0),
            0u);
  EXPECT_EQ(Eval("range_read", keys2, {"0"}).rfind("OK,", 0), 0u);
}

// range_hold's per-user limit (a run gate's --per_user_run_limit).
TEST_F(RangeGateTest, UserLimitCountsLiveItemsOfTheUsersOwners) {
  InitGate(kDay, 9);
  auto hold = [&](const GateOwner& owner, const Items& items, int64_t expiry,
                  const std::string& user = "u1") {
    auto r = gate_->Hold(kDay, owner, items, expiry, user, 3);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : RangeGateResult{};
  };
  const int64_t now = RedisNowMs();
  const int64_t later = now + 60'000;
  // A holds 2 of u1's 3, B (another user) is not counted for u1.
  EXPECT_EQ(hold(kA, {{"s1", 0, 3}, {"s2", 0, 3}}, later).status,
            GateStatus::kOk);
  EXPECT_EQ(hold(kB, {{"s3", 0, 3}, {"s4", 0, 3}}, later, "u2").status,
            GateStatus::kOk);
  // C asks for 2 more: refused with the count and limit, nothing changed.
  auto before = SharedRedis().Snapshot();
  auto r = hold(kC, {{"s5", 0, 3}, {"s6", 0, 3}}, later);
  EXPECT_EQ(r.status, GateStatus::kUserLimit);
  EXPECT_EQ(r.user_items, 2);
  EXPECT_EQ(r.user_limit, 3);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  EXPECT_EQ(TryStatus(r.status).code(), absl::StatusCode::kFailedPrecondition);
  // A's repeat is DUPLICATE, not counted again.
  EXPECT_EQ(hold(kA, {{"s1", 0, 3}, {"s2", 0, 3}}, later).status,
            GateStatus::kDuplicate);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  // A sells: its 2 items still count, for good.
  EXPECT_EQ(Commit(kA, {{"s1", 0, 3}, {"s2", 0, 3}}).status, GateStatus::kOk);
  EXPECT_EQ(hold(kC, {{"s5", 0, 3}, {"s6", 0, 3}}, later).status,
            GateStatus::kUserLimit);
  // One more fits (3 = the limit), then nothing does.
  const GateOwner kD{"0190a0b0-0000-7000-8000-00000000000d", "booking"};
  const GateOwner kE{"0190a0b0-0000-7000-8000-00000000000e", "booking"};
  EXPECT_EQ(hold(kC, {{"s5", 0, 3}}, later).status, GateStatus::kOk);
  EXPECT_EQ(hold(kD, {{"s6", 0, 3}}, later).status, GateStatus::kUserLimit);
  // Release gives C's item back.
  EXPECT_EQ(Release(kC, {{"s5", 0, 3}}).status, GateStatus::kOk);
  EXPECT_EQ(
      SharedRedis().Run({"HGET", Key(kDay, "users"), "o:" + OwnerString(kC)}),
      "(nil)");
  // D's hold lapses by Redis time: its item stops counting.
  EXPECT_EQ(hold(kD, {{"s6", 0, 3}}, RedisNowMs() + 300).status,
            GateStatus::kOk);
  EXPECT_EQ(hold(kE, {{"s7", 0, 3}}, later).status, GateStatus::kUserLimit);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(hold(kE, {{"s7", 0, 3}}, later).status, GateStatus::kOk);
  EXPECT_EQ(SharedRedis().Run({"HGET", Key(kDay, "users"), "u:u1"}),
            OwnerString(kA) + ",2,0 " + OwnerString(kE) + ",1," +
                std::to_string(later));
}

TEST_F(RangeGateTest, InitRestoresTheUsersSoARebuiltGateRefusesTheSame) {
  InitGate(kDay, 9);
  const int64_t later = RedisNowMs() + 60'000;
  // B's hold is in flight (not in the init list below, no user given): the
  // gate keeps the user it knew for it.
  auto b = gate_->Hold(kDay, kB, Items{{"s3", 0, 1}}, later, "u1", 3);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->status, GateStatus::kOk);
  RangeInitSpec spec;
  spec.mode = GateInitMode::kForce;
  spec.units = 9;
  spec.ranges = {
      {"s1", 0, 3, GateRangeState::kSold, OwnerString(kA), 0, "u1"},
      {"s2", 0, 3, GateRangeState::kHeld, OwnerString(kC), later, "u2"},
      {"s3", 0, 1, GateRangeState::kHeld, OwnerString(kB), later, ""},
      {"s4", 5, 9, GateRangeState::kSold, OwnerString(kA), 0, "u1"},
  };
  auto r = gate_->Init(kDay, spec);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->status, GateStatus::kOk) << r->message;
  auto hold = [&](const std::string& user, int n) {
    const std::string branch = "b" + user;  // GateOwner holds views
    const GateOwner owner{"0190a0b0-0000-7000-8000-0000000000ff", branch};
    Items items;
    for (int i = 0; i < n; ++i)
      items.push_back({"x" + std::to_string(i), 0, 1});
    auto h = gate_->Hold(kDay, owner, items, later, user, 3);
    EXPECT_TRUE(h.ok());
    return h.ok() ? *h : RangeGateResult{};
  };
  // u1: A's 2 sold + B's 1 held = 3: full.
  auto refused = hold("u1", 1);
  EXPECT_EQ(refused.status, GateStatus::kUserLimit);
  EXPECT_EQ(refused.user_items, 3);
  // u2: C's 1 held, 2 more fit.
  EXPECT_EQ(hold("u2", 2).status, GateStatus::kOk);
  // After FLUSHALL and the same init, with B's user given this time.
  SharedRedis().FlushAll();
  spec.ranges[2].user_id = "u1";
  spec.mode = GateInitMode::kInit;
  r = gate_->Init(kDay, spec);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, GateStatus::kOk);
  refused = hold("u1", 1);
  EXPECT_EQ(refused.status, GateStatus::kUserLimit);
  EXPECT_EQ(refused.user_items, 3);
  // Released after the rebuild (no owner record): B leaves u1's count.
  EXPECT_EQ(Release(kB, {{"s3", 0, 1}}).status, GateStatus::kOk);
  EXPECT_EQ(hold("u1", 1).status, GateStatus::kOk);
  // An owner with ranges of two users is refused before Redis.
  spec.ranges[3].user_id = "u2";
  EXPECT_FALSE(gate_->Init(kDay, spec).ok());
}

TEST_F(RangeGateTest, CountFreeAgreesWithARecountOfTheRanges) {
  // A 10-stop run (legs 0..8) with 1500 seats: chunked reads past 1000 ids.
  const int64_t expiry = RedisNowMs() + 60'000;
  std::vector<GateRange> ranges;
  std::vector<std::string> seats;
  std::mt19937 rng(7);
  for (int i = 0; i < 1500; ++i) {
    seats.push_back("c" + std::to_string(i / 100) + "-" + std::to_string(i));
    int at = 0;
    while (at < 9) {
      const int from = at + static_cast<int>(rng() % 4);
      const int to = from + 1 + static_cast<int>(rng() % 4);
      if (to > 9) break;
      const int kind = static_cast<int>(rng() % 3);
      ranges.push_back(
          {seats.back(), from, to,
           kind == 0 ? GateRangeState::kSold : GateRangeState::kHeld,
           OwnerString(kA),
           kind == 0   ? 0
           : kind == 1 ? expiry
                       : int64_t{1000}});  // lapsed
      at = to;
    }
  }
  InitGate(kDay, 9, ranges);
  const RangeSnapshot snap = Read();
  for (int from = 0; from < 9; ++from) {
    for (int to = from + 1; to <= 9; ++to) {
      std::map<std::string, bool> busy;
      for (const GateRange& g : snap.ranges) {
        if (g.from < to && from < g.to) busy[g.resource_id] = true;
      }
      auto r = gate_->CountFree(kDay, from, to, seats);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_EQ(r->status, GateStatus::kOk) << r->message;
      EXPECT_EQ(r->free, static_cast<int64_t>(seats.size() - busy.size()))
          << from << "-" << to;
    }
  }
  // Some windows are neither all free nor all taken.
  auto r = gate_->CountFree(kDay, 0, 9, seats);
  ASSERT_TRUE(r.ok());
  EXPECT_LT(r->free, 1500);
  auto none = gate_->CountFree("nowhere", 0, 1, seats);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, GateStatus::kNotInitialized);
}

// 200 clients race for random windows of one machine (48 half-hour slots);
// some cancel, some confirm. The gate never grants two overlapping live
// ranges, every refusal names the requested window, and every unit taken
// is accounted for by exactly one granted owner.
TEST_F(RangeGateTest, ConcurrentBuyersNeverOverlap) {
  InitGate(kDay, 48);
  constexpr int kBuyers = 200;
  std::atomic<int> granted{0}, refused{0};
  std::vector<RangeItem> wanted(kBuyers);
  std::vector<GateStatus> outcome(kBuyers, GateStatus::kInvalidArgument);
  std::mt19937 rng(42);
  for (int i = 0; i < kBuyers; ++i) {
    const int len = 1 + static_cast<int>(rng() % 8);
    const int from = static_cast<int>(rng() % (48 - len + 1));
    wanted[i] = {"m1", from, from + len};
  }
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kBuyers; ++t) {
    threads.emplace_back([&, t] {
      const std::string gid =
          "0190a0b0-0000-7000-8000-" + std::to_string(100000000000 + t);
      const GateOwner owner{gid, "booking"};
      while (!go.load()) std::this_thread::yield();
      auto r =
          gate_->Hold(kDay, owner, Items{wanted[t]}, RedisNowMs() + 60'000);
      if (!r.ok()) return;
      outcome[t] = r->status;
      if (r->status == GateStatus::kOk) {
        ++granted;
        if (t % 3 == 0) {
          gate_->Release(kDay, owner, Items{wanted[t]}).IgnoreError();
        } else if (t % 3 == 1) {
          gate_->Commit(kDay, owner, Items{wanted[t]}).IgnoreError();
        }
      } else if (r->status == GateStatus::kTaken) {
        EXPECT_EQ(r->conflicts, Items{wanted[t]});
        ++refused;
      }
    });
  }
  go = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(granted + refused, kBuyers);
  EXPECT_GT(granted.load(), 1);
  EXPECT_GT(refused.load(), 0);

  const RangeSnapshot snap = Read({"m1"});
  std::vector<int> cover(48, 0);
  for (const GateRange& g : snap.ranges) {
    for (int u = g.from; u < g.to; ++u) ++cover[u];
  }
  for (int u = 0; u < 48; ++u) EXPECT_LE(cover[u], 1) << "unit " << u;
  // Exactly the granted, not released owners are in the gate.
  int kept = 0;
  for (int t = 0; t < kBuyers; ++t) {
    if (outcome[t] == GateStatus::kOk && t % 3 != 0) ++kept;
  }
  EXPECT_EQ(static_cast<int>(snap.ranges.size()), kept);
  int sold = 0;
  for (const GateRange& g : snap.ranges) {
    if (g.state == GateRangeState::kSold) ++sold;
  }
  int committed = 0;
  for (int t = 0; t < kBuyers; ++t) {
    if (outcome[t] == GateStatus::kOk && t % 3 == 1) ++committed;
  }
  EXPECT_EQ(sold, committed);
}

}  // namespace
}  // namespace turnstile
