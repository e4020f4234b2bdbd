// The seat gate scripts (lua/seat_*.lua) against a real redis-server:
// all-or-nothing holds, expiry by Redis time, owner-only release, permanent
// sales, repeated and out-of-order calls and every invalid argument,
// checking the data in Redis after each step.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "services/common/gate_scripts.h"
#include "services/common/redis_client.h"
#include "tests/support/redis_server.h"

namespace turnstile {
namespace {

using testing::SharedRedis;

std::string Key(const std::string& event, const std::string& suffix) {
  return "ts:{evt:" + event + "}:" + suffix;
}

const GateOwner kA{"0190a0b0-0000-7000-8000-00000000000a", "seat"};
const GateOwner kB{"0190a0b0-0000-7000-8000-00000000000b", "seat"};
const GateOwner kC{"0190a0b0-0000-7000-8000-00000000000c", "seat"};

using Seats = std::vector<std::string>;

class SeatGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SharedRedis().FlushAll();
    client_ = std::make_unique<RedisClient>(SharedRedis().Options());
    GateOptions options;
    options.record_ttl = std::chrono::minutes(10);
    gate_ = std::make_unique<SeatGate>(client_.get(), options);
  }

  void InitEvent(const std::string& event) {
    auto r = gate_->Init(event, SeatInitSpec{});
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status, GateStatus::kOk) << r->message;
  }

  // Redis time in ms since the epoch (the clock the scripts use).
  int64_t RedisNowMs() {
    const auto t = SharedRedis().RunList({"TIME"});
    return std::stoll(t[0]) * 1000 + std::stoll(t[1]) / 1000;
  }

  SeatGateResult Hold(const std::string& event, const GateOwner& owner,
                      const Seats& seats, int64_t expiry_ms) {
    auto r = gate_->Hold(event, owner, seats, expiry_ms);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : SeatGateResult{};
  }
  SeatGateResult Hold(const std::string& event, const GateOwner& owner,
                      const Seats& seats) {
    return Hold(event, owner, seats, RedisNowMs() + 60'000);
  }
  SeatGateResult Release(const std::string& event, const GateOwner& owner,
                         const Seats& seats) {
    auto r = gate_->Release(event, owner, seats);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : SeatGateResult{};
  }
  SeatGateResult Commit(const std::string& event, const GateOwner& owner,
                        const Seats& seats) {
    auto r = gate_->Commit(event, owner, seats);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : SeatGateResult{};
  }

  std::string SeatValue(const std::string& event, const std::string& seat) {
    return SharedRedis().Run({"HGET", Key(event, "seats"), seat});
  }
  std::string Own(const std::string& event, const GateOwner& owner) {
    return SharedRedis().Run({"GET", Key(event, "own:" + OwnerString(owner))});
  }
  int64_t OwnTtl(const std::string& event, const GateOwner& owner) {
    return std::stoll(
        SharedRedis().Run({"PTTL", Key(event, "own:" + OwnerString(owner))}));
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
  std::unique_ptr<SeatGate> gate_;
};

TEST_F(SeatGateTest, HoldTakesEverySeatAndRecordsTheOwner) {
  InitEvent("ev-1");
  const int64_t expiry = RedisNowMs() + 60'000;
  auto r = Hold("ev-1", kA, {"A-1-1", "A-1-2", "A-1-3"}, expiry);
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(r.seats, 3);
  EXPECT_EQ(r.expiry_ms, expiry);
  const std::string held =
      "H " + std::to_string(expiry) + " " + OwnerString(kA);
  EXPECT_EQ(SharedRedis().HGetAll(Key("ev-1", "seats")),
            (std::map<std::string, std::string>{
                {"A-1-1", held}, {"A-1-2", held}, {"A-1-3", held}}));
  EXPECT_EQ(Own("ev-1", kA), "H " + std::to_string(expiry) + " 3");
  // The record outlives the hold by the record ttl (10 min).
  EXPECT_GT(OwnTtl("ev-1", kA), 60'000 + 9 * 60'000);
  EXPECT_LE(OwnTtl("ev-1", kA), 60'000 + 10 * 60'000 + 1000);
  EXPECT_EQ(SharedRedis().Run({"HGET", Key("ev-1", "meta"), "ver"}), "2");

  // A repeat (even with other arguments) changes nothing.
  const auto before = SharedRedis().Snapshot();
  r = Hold("ev-1", kA, {"A-1-1", "A-1-2", "A-1-3"}, expiry + 5000);
  EXPECT_EQ(r.status, GateStatus::kDuplicate);
  EXPECT_EQ(r.seats, 3);
  EXPECT_EQ(r.expiry_ms, expiry);
  EXPECT_EQ(SharedRedis().Snapshot(), before);

  auto snap = gate_->Read("ev-1");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->status, GateStatus::kOk);
  EXPECT_EQ(snap->ver, 2);
  ASSERT_EQ(snap->seats.size(), 3u);
  for (const GateSeat& seat : snap->seats) {
    EXPECT_EQ(seat.state, GateSeatState::kHeld);
    EXPECT_EQ(seat.owner, OwnerString(kA));
    EXPECT_EQ(seat.expiry_ms, expiry);
  }
  EXPECT_LT(snap->now_ms, expiry);
}

TEST_F(SeatGateTest, HoldIsAllOrNothing) {
  InitEvent("ev-1");
  ASSERT_EQ(Hold("ev-1", kA, {"s2"}).status, GateStatus::kOk);
  ASSERT_EQ(Hold("ev-1", kC, {"s4"}).status, GateStatus::kOk);
  ASSERT_EQ(Commit("ev-1", kC, {"s4"}).status, GateStatus::kOk);
  const auto before = SharedRedis().Snapshot();
  auto r = Hold("ev-1", kB, {"s1", "s2", "s3", "s4"});
  EXPECT_EQ(r.status, GateStatus::kSeatTaken);
  EXPECT_EQ(r.conflicts, (Seats{"s2", "s4"}));
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  EXPECT_EQ(SeatValue("ev-1", "s1"), "(nil)");
  EXPECT_EQ(SeatValue("ev-1", "s3"), "(nil)");
  EXPECT_EQ(Own("ev-1", kB), "(nil)");
  // Without the taken seats the same owner can hold the rest.
  EXPECT_EQ(Hold("ev-1", kB, {"s1", "s3"}).status, GateStatus::kOk);
}

TEST_F(SeatGateTest, ExpiredHoldsAreFree) {
  InitEvent("ev-1");
  const int64_t short_expiry = RedisNowMs() + 300;
  ASSERT_EQ(Hold("ev-1", kA, {"s1", "s2"}, short_expiry).status,
            GateStatus::kOk);
  EXPECT_EQ(Hold("ev-1", kB, {"s1"}).status, GateStatus::kSeatTaken);
  while (RedisNowMs() <= short_expiry) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const int64_t expiry = RedisNowMs() + 60'000;
  auto r = Hold("ev-1", kB, {"s1", "s3"}, expiry);
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(SeatValue("ev-1", "s1"),
            "H " + std::to_string(expiry) + " " + OwnerString(kB));
  // A's lapsed hold of s2 is still recorded (it is free in effect).
  EXPECT_EQ(SeatValue("ev-1", "s2"),
            "H " + std::to_string(short_expiry) + " " + OwnerString(kA));
  // A releasing late frees only what it still holds: s2; s1 is B's now.
  r = Release("ev-1", kA, {"s1", "s2"});
  EXPECT_EQ(r.status, GateStatus::kNotOwner);
  EXPECT_EQ(r.seats, 1);
  EXPECT_EQ(r.conflicts, (Seats{"s1"}));
  EXPECT_EQ(SeatValue("ev-1", "s2"), "(nil)");
  EXPECT_EQ(SeatValue("ev-1", "s1"),
            "H " + std::to_string(expiry) + " " + OwnerString(kB));
}

TEST_F(SeatGateTest, ReleaseFreesOnlyTheOwnersSeatsOnce) {
  InitEvent("ev-1");
  ASSERT_EQ(Hold("ev-1", kA, {"s1", "s2"}).status, GateStatus::kOk);
  ASSERT_EQ(Hold("ev-1", kB, {"s3"}).status, GateStatus::kOk);

  auto r = Release("ev-1", kA, {"s1", "s2", "s3", "s9"});
  EXPECT_EQ(r.status, GateStatus::kNotOwner);
  EXPECT_EQ(r.seats, 2);
  EXPECT_EQ(r.conflicts, (Seats{"s3"}));
  EXPECT_EQ(SharedRedis().HGetAll(Key("ev-1", "seats")).size(), 1u);
  EXPECT_NE(SeatValue("ev-1", "s3"), "(nil)");
  EXPECT_EQ(Own("ev-1", kA), "X 2");
  EXPECT_GT(OwnTtl("ev-1", kA), 9 * 60'000);

  const auto before = SharedRedis().Snapshot();
  r = Release("ev-1", kA, {"s1", "s2"});
  EXPECT_EQ(r.status, GateStatus::kDuplicate);
  EXPECT_EQ(Hold("ev-1", kA, {"s1"}).status, GateStatus::kCancelled);
  EXPECT_EQ(Commit("ev-1", kA, {"s1", "s2"}).status, GateStatus::kCancelled);
  EXPECT_EQ(SharedRedis().Snapshot(), before);

  r = Release("ev-1", kB, {"s3"});
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(r.seats, 1);
  EXPECT_TRUE(r.conflicts.empty());
  EXPECT_EQ(SharedRedis().Run({"EXISTS", Key("ev-1", "seats")}), "0");
}

TEST_F(SeatGateTest, ReleaseByANonOwnerChangesNoSeat) {
  InitEvent("ev-1");
  ASSERT_EQ(Hold("ev-1", kA, {"s1"}).status, GateStatus::kOk);
  const auto seats_before = SharedRedis().HGetAll(Key("ev-1", "seats"));
  auto r = Release("ev-1", kB, {"s1"});
  EXPECT_EQ(r.status, GateStatus::kNotOwner);
  EXPECT_EQ(r.seats, 0);
  EXPECT_EQ(r.conflicts, (Seats{"s1"}));
  EXPECT_EQ(SharedRedis().HGetAll(Key("ev-1", "seats")), seats_before);
  // B never held anything: its record is a tombstone, a late hold is refused.
  EXPECT_EQ(Own("ev-1", kB), "T");
  EXPECT_EQ(Hold("ev-1", kB, {"s2"}).status, GateStatus::kCancelled);
  EXPECT_EQ(SeatValue("ev-1", "s2"), "(nil)");
}

TEST_F(SeatGateTest, ReleaseBeforeHoldLeavesATombstone) {
  InitEvent("ev-1");
  auto r = Release("ev-1", kA, {"s1", "s2"});
  EXPECT_EQ(r.status, GateStatus::kNotFound);
  EXPECT_EQ(r.seats, 0);
  EXPECT_EQ(Own("ev-1", kA), "T");
  EXPECT_GT(OwnTtl("ev-1", kA), 0);

  const auto before = SharedRedis().Snapshot();
  EXPECT_EQ(Hold("ev-1", kA, {"s1", "s2"}).status, GateStatus::kCancelled);
  EXPECT_EQ(Release("ev-1", kA, {"s1", "s2"}).status, GateStatus::kDuplicate);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  EXPECT_EQ(SharedRedis().Run({"EXISTS", Key("ev-1", "seats")}), "0");
}

TEST_F(SeatGateTest, CommitSellsForGood) {
  InitEvent("ev-1");
  ASSERT_EQ(Hold("ev-1", kA, {"s1", "s2"}, RedisNowMs() + 400).status,
            GateStatus::kOk);
  auto r = Commit("ev-1", kA, {"s1", "s2"});
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(r.seats, 2);
  EXPECT_EQ(r.reclaimed, 0);
  const std::string sold = "S 0 " + OwnerString(kA);
  EXPECT_EQ(SharedRedis().HGetAll(Key("ev-1", "seats")),
            (std::map<std::string, std::string>{{"s1", sold}, {"s2", sold}}));
  EXPECT_EQ(Own("ev-1", kA), "C 2");
  EXPECT_GT(OwnTtl("ev-1", kA), 9 * 60'000);

  const auto before = SharedRedis().Snapshot();
  r = Commit("ev-1", kA, {"s1", "s2"});
  EXPECT_EQ(r.status, GateStatus::kDuplicate);
  EXPECT_EQ(r.seats, 2);
  EXPECT_EQ(Release("ev-1", kA, {"s1", "s2"}).status, GateStatus::kCommitted);
  r = Hold("ev-1", kA, {"s1", "s2"});
  EXPECT_EQ(r.status, GateStatus::kDuplicate);
  EXPECT_EQ(r.expiry_ms, 0);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  // Long after the hold's expiry, sold seats are still taken.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  r = Hold("ev-1", kB, {"s2"});
  EXPECT_EQ(r.status, GateStatus::kSeatTaken);
  r = Release("ev-1", kB, {"s1"});
  EXPECT_EQ(r.status, GateStatus::kNotOwner);
  EXPECT_EQ(SharedRedis().HGetAll(Key("ev-1", "seats")),
            (std::map<std::string, std::string>{{"s1", sold}, {"s2", sold}}));
  EXPECT_EQ(SharedRedis().Run({"PTTL", Key("ev-1", "seats")}), "-1");
}

TEST_F(SeatGateTest, CommitAfterReleaseChangesNothing) {
  InitEvent("ev-1");
  ASSERT_EQ(Hold("ev-1", kA, {"s1"}).status, GateStatus::kOk);
  ASSERT_EQ(Release("ev-1", kA, {"s1"}).status, GateStatus::kOk);
  const auto before = SharedRedis().Snapshot();
  auto r = Commit("ev-1", kA, {"s1"});
  EXPECT_EQ(r.status, GateStatus::kCancelled);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  EXPECT_EQ(SeatValue("ev-1", "s1"), "(nil)");
}

TEST_F(SeatGateTest, CommitFollowsTheDecisionWhenTheHoldLapsed) {
  InitEvent("ev-1");
  const int64_t short_expiry = RedisNowMs() + 200;
  ASSERT_EQ(Hold("ev-1", kA, {"s1", "s2"}, short_expiry).status,
            GateStatus::kOk);
  ASSERT_EQ(Hold("ev-1", kC, {"s3"}).status, GateStatus::kOk);
  ASSERT_EQ(Commit("ev-1", kC, {"s3"}).status, GateStatus::kOk);
  while (RedisNowMs() <= short_expiry) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(Hold("ev-1", kB, {"s1"}).status, GateStatus::kOk);
  // A's Confirm arrives late: s1 (held by B meanwhile) is sold to A, s2
  // (lapsed) too; s3 is sold to C and stays so.
  auto r = Commit("ev-1", kA, {"s1", "s2", "s3"});
  EXPECT_EQ(r.status, GateStatus::kNotOwner);
  EXPECT_EQ(r.seats, 2);
  EXPECT_EQ(r.reclaimed, 1);
  EXPECT_EQ(r.conflicts, (Seats{"s3"}));
  EXPECT_EQ(SeatValue("ev-1", "s1"), "S 0 " + OwnerString(kA));
  EXPECT_EQ(SeatValue("ev-1", "s2"), "S 0 " + OwnerString(kA));
  EXPECT_EQ(SeatValue("ev-1", "s3"), "S 0 " + OwnerString(kC));
  // B's Cancel then leaves A's seat alone.
  r = Release("ev-1", kB, {"s1"});
  EXPECT_EQ(r.status, GateStatus::kNotOwner);
  EXPECT_EQ(SeatValue("ev-1", "s1"), "S 0 " + OwnerString(kA));
}

TEST_F(SeatGateTest, HoldWithAPastExpiryIsTooLate) {
  InitEvent("ev-1");
  ASSERT_EQ(Hold("ev-1", kA, {"s1"}).status, GateStatus::kOk);
  const auto before = SharedRedis().Snapshot();
  const int64_t now = RedisNowMs();
  auto r = Hold("ev-1", kB, {"s2"}, now - 1000);
  EXPECT_EQ(r.status, GateStatus::kExpired);
  EXPECT_GE(r.expiry_ms, now);  // the Redis time
  EXPECT_EQ(TryStatus(r.status).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  // A repeat of a successful hold is still DUPLICATE, whatever the expiry.
  r = Hold("ev-1", kA, {"s1"}, now - 1000);
  EXPECT_EQ(r.status, GateStatus::kDuplicate);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
}

TEST_F(SeatGateTest, NotInitializedChangesNothing) {
  const int64_t expiry = RedisNowMs() + 60'000;
  EXPECT_EQ(Hold("ev-x", kA, {"s1"}, expiry).status,
            GateStatus::kNotInitialized);
  EXPECT_EQ(Release("ev-x", kA, {"s1"}).status, GateStatus::kNotInitialized);
  EXPECT_EQ(Commit("ev-x", kA, {"s1"}).status, GateStatus::kNotInitialized);
  auto snap = gate_->Read("ev-x");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->status, GateStatus::kNotInitialized);
  EXPECT_TRUE(SharedRedis().Snapshot().empty());
}

TEST_F(SeatGateTest, InitModesAndRead) {
  const int64_t expiry = RedisNowMs() + 60'000;
  SeatInitSpec spec;
  spec.seats = {{"s1", GateSeatState::kSold, OwnerString(kA), 0},
                {"s2", GateSeatState::kHeld, OwnerString(kB), expiry}};
  auto r = gate_->Init("ev-1", spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->ver, 1);
  EXPECT_EQ(r->seats, 2);
  EXPECT_EQ(SeatValue("ev-1", "s1"), "S 0 " + OwnerString(kA));
  EXPECT_EQ(SeatValue("ev-1", "s2"),
            "H " + std::to_string(expiry) + " " + OwnerString(kB));

  const auto before = SharedRedis().Snapshot();
  r = gate_->Init("ev-1", SeatInitSpec{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kExists);
  EXPECT_EQ(r->seats, 2);
  EXPECT_EQ(SharedRedis().Snapshot(), before);

  // Restored holds behave like holds: B can release, A's sale stays.
  EXPECT_EQ(Hold("ev-1", kC, {"s1"}).status, GateStatus::kSeatTaken);
  EXPECT_EQ(Hold("ev-1", kC, {"s2"}).status, GateStatus::kSeatTaken);
  EXPECT_EQ(Release("ev-1", kB, {"s2"}).status, GateStatus::kOk);

  auto snap = gate_->Read("ev-1");
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->seats.size(), 1u);
  EXPECT_EQ(snap->seats[0].seat_id, "s1");
  EXPECT_EQ(snap->seats[0].state, GateSeatState::kSold);
  EXPECT_EQ(snap->seats[0].owner, OwnerString(kA));
  EXPECT_EQ(snap->ver, 2);

  spec.mode = GateInitMode::kRepair;
  spec.expected_ver = 1;
  r = gate_->Init("ev-1", spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kConflict);
  EXPECT_EQ(r->ver, 2);
  spec.expected_ver = 2;
  spec.seats.pop_back();
  r = gate_->Init("ev-1", spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->ver, 3);

  spec.mode = GateInitMode::kForce;
  spec.seats.clear();
  r = gate_->Init("ev-1", spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->ver, 4);
  EXPECT_EQ(SharedRedis().Run({"EXISTS", Key("ev-1", "seats")}), "0");
  // Owner records survive: B's release is still known.
  EXPECT_EQ(Own("ev-1", kB), "X 1");
}

TEST_F(SeatGateTest, InvalidArgumentsChangeNothing) {
  InitEvent("ev-1");
  ASSERT_EQ(Hold("ev-1", kA, {"s1"}).status, GateStatus::kOk);
  const auto before = SharedRedis().Snapshot();
  const int64_t now = RedisNowMs();
  const std::string future = std::to_string(now + 60'000);
  const std::string far = std::to_string(now + 31LL * 24 * 3600 * 1000);
  const std::string ob = OwnerString(kB);
  const std::vector<std::string> keys = {
      Key("ev-1", "meta"), Key("ev-1", "seats"), Key("ev-1", "own:" + ob)};
  Seats many;
  for (int i = 0; i < 101; ++i) many.push_back("s" + std::to_string(100 + i));
  std::vector<std::string> too_many = {ob, future, "60000", "101"};
  too_many.insert(too_many.end(), many.begin(), many.end());

  struct Case {
    std::string script;
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };
  const std::vector<Case> cases = {
      // seat_hold: expiry
      {"seat_hold", keys, {ob}},
      {"seat_hold", keys, {ob, "0", "60000", "1", "s2"}},
      {"seat_hold", keys, {ob, "-5", "60000", "1", "s2"}},
      {"seat_hold", keys, {ob, far, "60000", "1", "s2"}},
      {"seat_hold", keys, {ob, "soon", "60000", "1", "s2"}},
      {"seat_hold", keys, {ob, "99999999999999999999", "60000", "1", "s2"}},
      // seat_hold: ttl
      {"seat_hold", keys, {ob, future, "10", "1", "s2"}},
      {"seat_hold", keys, {ob, future, "", "1", "s2"}},
      // seat_hold: counts and seat ids
      {"seat_hold", keys, {ob, future, "60000", "0"}},
      {"seat_hold", keys, {ob, future, "60000", "2", "s2"}},
      {"seat_hold", keys, {ob, future, "60000", "1", "s2", "s3"}},
      {"seat_hold", keys, {ob, future, "60000", "x", "s2"}},
      {"seat_hold", keys, {ob, future, "60000", "2", "s2", "s2"}},
      {"seat_hold", keys, {ob, future, "60000", "1", ""}},
      {"seat_hold", keys, {ob, future, "60000", "1", std::string(65, 's')}},
      {"seat_hold", keys, {ob, future, "60000", "1", "s 2"}},
      {"seat_hold", keys, too_many},
      // seat_hold: owner and keys
      {"seat_hold", keys, {"", future, "60000", "1", "s2"}},
      {"seat_hold", keys, {"nocolon", future, "60000", "1", "s2"}},
      {"seat_hold", {keys[0], keys[1]}, {ob, future, "60000", "1", "s2"}},
      {"seat_hold",
       {keys[0], keys[1], Key("ev-1", "own:" + OwnerString(kA))},
       {ob, future, "60000", "1", "s2"}},
      {"seat_hold",
       {keys[0], Key("ev-2", "seats"), keys[2]},
       {ob, future, "60000", "1", "s2"}},
      {"seat_hold",
       {"ts:{sku:ev-1}:meta", keys[1], keys[2]},
       {ob, future, "60000", "1", "s2"}},
      // seat_release / seat_commit
      {"seat_release", keys, {ob, "60000"}},
      {"seat_release", keys, {ob, "60000", "1"}},
      {"seat_release", keys, {ob, "0", "1", "s1"}},
      {"seat_release", keys, {ob, "60000", "2", "s1"}},
      {"seat_release", keys, {ob, "60000", "1", "s1", "s2"}},
      {"seat_release", keys, {ob, "60000", "2", "s1", "s1"}},
      {"seat_release", keys, {ob, "60000", "1", ""}},
      {"seat_release", {keys[0], keys[1]}, {ob, "60000", "1", "s1"}},
      {"seat_commit", keys, {ob, "60000", "0"}},
      {"seat_commit", keys, {ob, "60000", "-1", "s1"}},
      {"seat_commit", keys, {ob, "60000", "1", "s1", "extra"}},
      {"seat_commit", keys, {"x:y:z", "60000", "1", "s1"}},
      {"seat_commit", keys, {ob, "2592000001", "1", "s1"}},
      // seat_init
      {"seat_init", {keys[0], keys[1]}, {"init", "0"}},
      {"seat_init", {keys[0], keys[1]}, {"fresh", "0", "0"}},
      {"seat_init", {keys[0], keys[1]}, {"force", "0", "1", "s1", "H", ob}},
      {"seat_init",
       {keys[0], keys[1]},
       {"force", "0", "1", "s1", "X", ob, "0"}},
      {"seat_init",
       {keys[0], keys[1]},
       {"force", "0", "1", "s1", "S", ob, "5"}},
      {"seat_init",
       {keys[0], keys[1]},
       {"force", "0", "1", "s1", "H", "o", "5"}},
      {"seat_init",
       {keys[0], keys[1]},
       {"force", "0", "2", "s1", "S", ob, "0", "s1", "S", ob, "0"}},
      {"seat_init",
       {keys[0], keys[1]},
       {"force", "0", "1", "s1", "S", ob, "0", "extra"}},
      {"seat_init", {keys[0]}, {"force", "0", "0"}},
      // seat_read
      {"seat_read", {keys[0], keys[1]}, {"x"}},
      {"seat_read", {keys[1], keys[0]}, {}},
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
  EXPECT_EQ(Eval("seat_hold", keys, {ob, future, "60000", "2", "s2", "s3"})
                .rfind("OK,", 0),
            0u);
  EXPECT_EQ(Eval("seat_commit", keys, {ob, "60000", "1", "s2"}).rfind("OK,", 0),
            0u);
}

}  // namespace
}  // namespace turnstile
