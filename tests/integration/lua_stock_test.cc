// The stock gate scripts (lua/stock_*.lua) against a real redis-server:
// every answer, repeated and out-of-order calls, the per-user limit, and
// every invalid argument, checking the data in Redis after each step.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "services/common/gate_scripts.h"
#include "services/common/redis_client.h"
#include "tests/support/redis_server.h"

namespace turnstile {
namespace {

using testing::SharedRedis;

std::string Key(const std::string& sku, const std::string& suffix) {
  return "ts:{sku:" + sku + "}:" + suffix;
}

const GateOwner kG1{"0190a0b0-0000-7000-8000-000000000001", "inventory"};
const GateOwner kG2{"0190a0b0-0000-7000-8000-000000000002", "inventory"};
const GateOwner kG3{"0190a0b0-0000-7000-8000-000000000003", "inventory"};

class StockGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SharedRedis().FlushAll();
    client_ = std::make_unique<RedisClient>(SharedRedis().Options());
    ASSERT_TRUE(client_->LoadScripts(EmbeddedLuaScripts()).ok());
    GateOptions options;
    options.record_ttl = std::chrono::minutes(10);
    gate_ = std::make_unique<StockGate>(client_.get(), options);
  }

  void InitSku(const std::string& sku, int64_t remaining, int64_t limit) {
    StockInitSpec spec;
    spec.remaining = remaining;
    spec.per_user_limit = limit;
    auto r = gate_->Init(sku, spec);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status, GateStatus::kOk) << r->message;
  }

  StockGateResult Reserve(const std::string& sku, const GateOwner& owner,
                          const std::string& user, int64_t qty) {
    auto r = gate_->Reserve(sku, owner, user, qty);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : StockGateResult{};
  }
  StockGateResult Release(const std::string& sku, const GateOwner& owner) {
    auto r = gate_->Release(sku, owner);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : StockGateResult{};
  }
  StockGateResult Commit(const std::string& sku, const GateOwner& owner) {
    auto r = gate_->Commit(sku, owner);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : StockGateResult{};
  }

  std::string Remaining(const std::string& sku) {
    return SharedRedis().Run({"HGET", Key(sku, "stock"), "remaining"});
  }
  std::string Units(const std::string& sku, const std::string& user) {
    return SharedRedis().Run({"HGET", Key(sku, "users"), user});
  }
  std::string Done(const std::string& sku, const GateOwner& owner) {
    return SharedRedis().Run({"GET", Key(sku, "done:" + OwnerString(owner))});
  }

  // Runs a script by its source (EVAL), bypassing the typed wrappers, and
  // returns the reply as text (elements joined by ",").
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
  std::unique_ptr<StockGate> gate_;
};

TEST_F(StockGateTest, InitCreatesTheGateOnce) {
  StockInitSpec spec;
  spec.remaining = 10;
  spec.per_user_limit = 2;
  auto r = gate_->Init("sku-1", spec);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->remaining, 10);
  EXPECT_EQ(r->per_user_limit, 2);
  EXPECT_EQ(r->ver, 1);
  EXPECT_EQ(SharedRedis().HGetAll(Key("sku-1", "stock")),
            (std::map<std::string, std::string>{
                {"remaining", "10"}, {"limit", "2"}, {"ver", "1"}}));
  EXPECT_EQ(
      SharedRedis().Run({"EXISTS", Key("sku-1", "users"), Key("sku-1", "res")}),
      "0");
  EXPECT_EQ(SharedRedis().Run({"PTTL", Key("sku-1", "stock")}), "-1");

  // A second plain init leaves the gate alone and reports what is there.
  const auto before = SharedRedis().Snapshot();
  spec.remaining = 99;
  r = gate_->Init("sku-1", spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kExists);
  EXPECT_EQ(r->remaining, 10);
  EXPECT_EQ(r->ver, 1);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
}

TEST_F(StockGateTest, ForceAndRepairReplaceTheState) {
  InitSku("sku-1", 10, 2);
  ASSERT_EQ(Reserve("sku-1", kG1, "alice", 2).status, GateStatus::kOk);
  ASSERT_EQ(Release("sku-1", kG3).status, GateStatus::kNotFound);  // tombstone

  auto snap = gate_->Read("sku-1");
  ASSERT_TRUE(snap.ok());
  const int64_t ver = snap->ver;
  EXPECT_EQ(ver, 2);

  // Repair from "PostgreSQL": 5 left, bob bought 3, alice holds 2 (open).
  StockInitSpec spec;
  spec.mode = GateInitMode::kRepair;
  spec.expected_ver = ver - 1;  // stale: refused
  spec.remaining = 5;
  spec.per_user_limit = 3;
  spec.user_units = {{"alice", 2}, {"bob", 3}};
  spec.reservations = {{OwnerString(kG1), 2, "alice", 0}};
  const auto before = SharedRedis().Snapshot();
  auto r = gate_->Init("sku-1", spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kConflict);
  EXPECT_EQ(r->remaining, 8);
  EXPECT_EQ(r->ver, ver);
  EXPECT_EQ(SharedRedis().Snapshot(), before);

  spec.expected_ver = ver;
  r = gate_->Init("sku-1", spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->ver, ver + 1);
  EXPECT_EQ(Remaining("sku-1"), "5");
  EXPECT_EQ(SharedRedis().HGetAll(Key("sku-1", "users")),
            (std::map<std::string, std::string>{{"alice", "2"}, {"bob", "3"}}));
  auto res = SharedRedis().HGetAll(Key("sku-1", "res"));
  ASSERT_EQ(res.size(), 1u);
  EXPECT_EQ(res.begin()->first, OwnerString(kG1));
  EXPECT_EQ(res.begin()->second.substr(0, 2), "2 ");
  // The tombstone survived the repair.
  EXPECT_EQ(Done("sku-1", kG3), "T");
  EXPECT_EQ(Reserve("sku-1", kG3, "carol", 1).status, GateStatus::kCancelled);

  // The restored reservation can be released as usual.
  auto rel = Release("sku-1", kG1);
  EXPECT_EQ(rel.status, GateStatus::kOk);
  EXPECT_EQ(rel.quantity, 2);
  EXPECT_EQ(Remaining("sku-1"), "7");
  EXPECT_EQ(Units("sku-1", "alice"), "(nil)");

  // Force: unconditional, drops users and reservations not listed.
  spec = {};
  spec.mode = GateInitMode::kForce;
  spec.remaining = 1;
  spec.per_user_limit = 0;
  r = gate_->Init("sku-1", spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->ver, ver + 3);
  EXPECT_EQ(
      SharedRedis().HGetAll(Key("sku-1", "stock")),
      (std::map<std::string, std::string>{{"remaining", "1"},
                                          {"limit", "0"},
                                          {"ver", std::to_string(ver + 3)}}));
  EXPECT_EQ(
      SharedRedis().Run({"EXISTS", Key("sku-1", "users"), Key("sku-1", "res")}),
      "0");

  // Repair with expected ver 0 builds an absent gate.
  spec = {};
  spec.mode = GateInitMode::kRepair;
  spec.remaining = 4;
  r = gate_->Init("sku-2", spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(Remaining("sku-2"), "4");
}

TEST_F(StockGateTest, ReserveTakesUnitsAndRecordsTheReservation) {
  InitSku("sku-1", 10, 0);
  auto r = Reserve("sku-1", kG1, "alice", 3);
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(r.remaining, 7);
  EXPECT_EQ(r.user_units, 3);
  EXPECT_EQ(r.quantity, 3);
  EXPECT_EQ(Remaining("sku-1"), "7");
  EXPECT_EQ(Units("sku-1", "alice"), "3");
  EXPECT_EQ(SharedRedis().Run({"HGET", Key("sku-1", "stock"), "ver"}), "2");
  const std::string rec =
      SharedRedis().Run({"HGET", Key("sku-1", "res"), OwnerString(kG1)});
  EXPECT_TRUE(rec.rfind("3 ", 0) == 0 && rec.size() > 8 &&
              rec.substr(rec.size() - 6) == " alice")
      << rec;
  EXPECT_EQ(Done("sku-1", kG1), "(nil)");

  // The repeat changes nothing and answers with the recorded quantity.
  const auto before = SharedRedis().Snapshot();
  r = Reserve("sku-1", kG1, "alice", 5);
  EXPECT_EQ(r.status, GateStatus::kDuplicate);
  EXPECT_EQ(r.quantity, 3);
  EXPECT_EQ(r.remaining, 7);
  EXPECT_EQ(r.user_units, 3);
  EXPECT_EQ(SharedRedis().Snapshot(), before);

  auto snap = gate_->Read("sku-1");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->status, GateStatus::kOk);
  EXPECT_EQ(snap->remaining, 7);
  EXPECT_EQ(snap->per_user_limit, 0);
  EXPECT_EQ(snap->ver, 2);
  ASSERT_EQ(snap->user_units.size(), 1u);
  EXPECT_EQ(snap->user_units[0], (std::pair<std::string, int64_t>{"alice", 3}));
  ASSERT_EQ(snap->reservations.size(), 1u);
  EXPECT_EQ(snap->reservations[0].owner, OwnerString(kG1));
  EXPECT_EQ(snap->reservations[0].quantity, 3);
  EXPECT_EQ(snap->reservations[0].user_id, "alice");
  EXPECT_GT(snap->reservations[0].created_ms, 0);
  EXPECT_LE(snap->reservations[0].created_ms, snap->now_ms);
}

TEST_F(StockGateTest, NotInitializedChangesNothing) {
  EXPECT_EQ(Reserve("nope", kG1, "alice", 1).status,
            GateStatus::kNotInitialized);
  EXPECT_EQ(Release("nope", kG1).status, GateStatus::kNotInitialized);
  EXPECT_EQ(Commit("nope", kG1).status, GateStatus::kNotInitialized);
  auto snap = gate_->Read("nope");
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->status, GateStatus::kNotInitialized);
  EXPECT_TRUE(SharedRedis().Snapshot().empty());
}

TEST_F(StockGateTest, SoldOutRefusesWithoutChanges) {
  InitSku("sku-1", 3, 0);
  ASSERT_EQ(Reserve("sku-1", kG1, "alice", 2).status, GateStatus::kOk);
  const auto before = SharedRedis().Snapshot();
  auto r = Reserve("sku-1", kG2, "bob", 2);
  EXPECT_EQ(r.status, GateStatus::kSoldOut);
  EXPECT_EQ(r.remaining, 1);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  EXPECT_EQ(Reserve("sku-1", kG2, "bob", 1).status, GateStatus::kOk);
  EXPECT_EQ(Remaining("sku-1"), "0");
  EXPECT_EQ(Reserve("sku-1", kG3, "carol", 1).status, GateStatus::kSoldOut);
  // A repeat of a successful reserve after the sell-out is still DUPLICATE.
  EXPECT_EQ(Reserve("sku-1", kG1, "alice", 2).status, GateStatus::kDuplicate);
  EXPECT_EQ(Remaining("sku-1"), "0");
}

TEST_F(StockGateTest, PerUserLimitCountsReservedAndBoughtAcrossBranches) {
  InitSku("sku-1", 100, 3);
  ASSERT_EQ(Reserve("sku-1", kG1, "alice", 2).status, GateStatus::kOk);
  ASSERT_EQ(Commit("sku-1", kG1).status, GateStatus::kOk);  // bought 2
  auto r = Reserve("sku-1", kG2, "alice", 2);
  EXPECT_EQ(r.status, GateStatus::kUserLimit);
  EXPECT_EQ(r.user_units, 2);
  EXPECT_EQ(Units("sku-1", "alice"), "2");
  EXPECT_EQ(
      SharedRedis().Run({"HEXISTS", Key("sku-1", "res"), OwnerString(kG2)}),
      "0");
  ASSERT_EQ(Reserve("sku-1", kG2, "alice", 1).status, GateStatus::kOk);
  EXPECT_EQ(Units("sku-1", "alice"), "3");
  EXPECT_EQ(Reserve("sku-1", kG3, "alice", 1).status, GateStatus::kUserLimit);
  // Other users are not affected.
  EXPECT_EQ(Reserve("sku-1", kG3, "bob", 3).status, GateStatus::kOk);
  // A release gives the allowance back.
  ASSERT_EQ(Release("sku-1", kG2).status, GateStatus::kOk);
  EXPECT_EQ(Units("sku-1", "alice"), "2");
  const GateOwner g4{"0190a0b0-0000-7000-8000-000000000004", "inventory"};
  EXPECT_EQ(Reserve("sku-1", g4, "alice", 1).status, GateStatus::kOk);
  EXPECT_EQ(Remaining("sku-1"), "94");
}

TEST_F(StockGateTest, ReleaseReturnsUnitsExactlyOnce) {
  InitSku("sku-1", 10, 0);
  ASSERT_EQ(Reserve("sku-1", kG1, "alice", 4).status, GateStatus::kOk);
  ASSERT_EQ(Reserve("sku-1", kG2, "alice", 1).status, GateStatus::kOk);
  auto r = Release("sku-1", kG1);
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(r.remaining, 9);
  EXPECT_EQ(r.user_units, 1);
  EXPECT_EQ(r.quantity, 4);
  EXPECT_EQ(Remaining("sku-1"), "9");
  EXPECT_EQ(Units("sku-1", "alice"), "1");
  EXPECT_EQ(
      SharedRedis().Run({"HEXISTS", Key("sku-1", "res"), OwnerString(kG1)}),
      "0");
  EXPECT_EQ(Done("sku-1", kG1), "X 4 alice");
  const int64_t pttl = std::stoll(
      SharedRedis().Run({"PTTL", Key("sku-1", "done:" + OwnerString(kG1))}));
  EXPECT_GT(pttl, 9 * 60 * 1000);
  EXPECT_LE(pttl, 10 * 60 * 1000);

  const auto before = SharedRedis().Snapshot();
  r = Release("sku-1", kG1);
  EXPECT_EQ(r.status, GateStatus::kDuplicate);
  EXPECT_EQ(r.quantity, 4);
  // Neither a repeated release, a late commit nor a late reserve changes it.
  EXPECT_EQ(Commit("sku-1", kG1).status, GateStatus::kCancelled);
  EXPECT_EQ(Reserve("sku-1", kG1, "alice", 4).status, GateStatus::kCancelled);
  EXPECT_EQ(SharedRedis().Snapshot(), before);

  // The last unit of a user removes the user's field.
  ASSERT_EQ(Release("sku-1", kG2).status, GateStatus::kOk);
  EXPECT_EQ(Units("sku-1", "alice"), "(nil)");
  EXPECT_EQ(Remaining("sku-1"), "10");
}

TEST_F(StockGateTest, ReleaseBeforeReserveLeavesATombstone) {
  InitSku("sku-1", 10, 0);
  auto r = Release("sku-1", kG1);
  EXPECT_EQ(r.status, GateStatus::kNotFound);
  EXPECT_EQ(r.quantity, 0);
  EXPECT_EQ(Done("sku-1", kG1), "T");
  EXPECT_GT(std::stoll(SharedRedis().Run(
                {"PTTL", Key("sku-1", "done:" + OwnerString(kG1))})),
            0);
  EXPECT_EQ(Remaining("sku-1"), "10");

  const auto before = SharedRedis().Snapshot();
  // The hanging Try is refused; repeats of the release are duplicates.
  r = Reserve("sku-1", kG1, "alice", 1);
  EXPECT_EQ(r.status, GateStatus::kCancelled);
  EXPECT_EQ(Release("sku-1", kG1).status, GateStatus::kDuplicate);
  EXPECT_EQ(Commit("sku-1", kG1).status, GateStatus::kCancelled);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  EXPECT_EQ(Remaining("sku-1"), "10");
}

TEST_F(StockGateTest, CommitKeepsTheDecrementExactlyOnce) {
  InitSku("sku-1", 10, 5);
  ASSERT_EQ(Reserve("sku-1", kG1, "alice", 2).status, GateStatus::kOk);
  auto r = Commit("sku-1", kG1);
  EXPECT_EQ(r.status, GateStatus::kOk);
  EXPECT_EQ(r.remaining, 8);
  EXPECT_EQ(r.user_units, 2);
  EXPECT_EQ(r.quantity, 2);
  EXPECT_EQ(Remaining("sku-1"), "8");
  EXPECT_EQ(Units("sku-1", "alice"), "2");
  EXPECT_EQ(SharedRedis().Run({"EXISTS", Key("sku-1", "res")}), "0");
  EXPECT_EQ(Done("sku-1", kG1), "C 2 alice");

  const auto before = SharedRedis().Snapshot();
  r = Commit("sku-1", kG1);
  EXPECT_EQ(r.status, GateStatus::kDuplicate);
  EXPECT_EQ(r.quantity, 2);
  r = Release("sku-1", kG1);
  EXPECT_EQ(r.status, GateStatus::kCommitted);
  EXPECT_EQ(r.quantity, 2);
  r = Reserve("sku-1", kG1, "alice", 2);
  EXPECT_EQ(r.status, GateStatus::kDuplicate);
  EXPECT_EQ(r.user_units, 2);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
}

TEST_F(StockGateTest, CommitOfAnUnknownReservationChangesNothing) {
  InitSku("sku-1", 10, 0);
  const auto before = SharedRedis().Snapshot();
  auto r = Commit("sku-1", kG1);
  EXPECT_EQ(r.status, GateStatus::kNotFound);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  // Not a tombstone: the branch can still be tried.
  EXPECT_EQ(Reserve("sku-1", kG1, "alice", 1).status, GateStatus::kOk);
}

// Every script with bad arguments: INVALID_ARGUMENT and no key touched.
TEST_F(StockGateTest, InvalidArgumentsChangeNothing) {
  InitSku("sku-1", 10, 2);
  ASSERT_EQ(Reserve("sku-1", kG1, "alice", 1).status, GateStatus::kOk);
  ASSERT_EQ(Release("sku-1", kG2).status, GateStatus::kNotFound);
  const auto before = SharedRedis().Snapshot();

  const std::string o1 = OwnerString(kG3);
  const std::vector<std::string> keys = {
      Key("sku-1", "stock"), Key("sku-1", "users"), Key("sku-1", "res"),
      Key("sku-1", "done:" + o1)};
  const std::string long_id(65, 'a');
  struct Case {
    std::string script;
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };
  const std::vector<std::string> init_keys = {keys[0], keys[1], keys[2]};
  const std::vector<Case> cases = {
      // stock_reserve: quantity
      {"stock_reserve", keys, {o1, "bob"}},
      {"stock_reserve", keys, {o1, "bob", ""}},
      {"stock_reserve", keys, {o1, "bob", "abc"}},
      {"stock_reserve", keys, {o1, "bob", "1.5"}},
      {"stock_reserve", keys, {o1, "bob", "1e3"}},
      {"stock_reserve", keys, {o1, "bob", " 1"}},
      {"stock_reserve", keys, {o1, "bob", "+1"}},
      {"stock_reserve", keys, {o1, "bob", "0x10"}},
      {"stock_reserve", keys, {o1, "bob", "-1"}},
      {"stock_reserve", keys, {o1, "bob", "0"}},
      {"stock_reserve", keys, {o1, "bob", "1000001"}},
      {"stock_reserve", keys, {o1, "bob", "99999999999999999999"}},
      {"stock_reserve", keys, {o1, "bob", "1", "extra"}},
      // stock_reserve: ids
      {"stock_reserve", keys, {o1, "", "1"}},
      {"stock_reserve", keys, {o1, long_id, "1"}},
      {"stock_reserve", keys, {o1, "bo b", "1"}},
      {"stock_reserve", keys, {o1, "bo}b", "1"}},
      {"stock_reserve", keys, {"", "bob", "1"}},
      {"stock_reserve", keys, {"no-colon", "bob", "1"}},
      {"stock_reserve", keys, {":inventory", "bob", "1"}},
      {"stock_reserve", keys, {"gid:", "bob", "1"}},
      {"stock_reserve",
       keys,
       {std::string(100, 'g') + ":" + std::string(40, 'b'), "bob", "1"}},
      {"stock_reserve", {}, {o1, "bob", "1"}},
      // stock_reserve: keys that do not match the layout or each other
      {"stock_reserve", {keys[0], keys[1], keys[2]}, {o1, "bob", "1"}},
      {"stock_reserve",
       {keys[0], keys[1], keys[2], Key("sku-1", "done:other:inventory")},
       {o1, "bob", "1"}},
      {"stock_reserve",
       {keys[0], Key("sku-2", "users"), keys[2], keys[3]},
       {o1, "bob", "1"}},
      {"stock_reserve",
       {"ts:sku-1:stock", keys[1], keys[2], keys[3]},
       {o1, "bob", "1"}},
      {"stock_reserve",
       {Key("", "stock"), Key("", "users"), Key("", "res"),
        Key("", "done:" + o1)},
       {o1, "bob", "1"}},
      {"stock_reserve", {keys[1], keys[0], keys[2], keys[3]}, {o1, "bob", "1"}},
      // stock_release / stock_commit
      {"stock_release", keys, {o1}},
      {"stock_release", keys, {o1, "0"}},
      {"stock_release", keys, {o1, "999"}},
      {"stock_release", keys, {o1, "2592000001"}},
      {"stock_release", keys, {o1, "1000", "x"}},
      {"stock_release", keys, {"bad owner", "60000"}},
      {"stock_commit", keys, {}},
      {"stock_commit", keys, {o1, "-5"}},
      {"stock_commit", keys, {o1, "ten"}},
      {"stock_commit", {keys[0], keys[1], keys[2]}, {o1, "60000"}},
      // stock_init
      {"stock_init", init_keys, {"init", "0", "10", "0", "0"}},
      {"stock_init", init_keys, {"create", "0", "10", "0", "0", "0"}},
      {"stock_init", init_keys, {"force", "-1", "10", "0", "0", "0"}},
      {"stock_init", init_keys, {"force", "0", "1000000001", "0", "0", "0"}},
      {"stock_init", init_keys, {"force", "0", "10", "1000001", "0", "0"}},
      {"stock_init", init_keys, {"force", "0", "10", "0", "2", "a", "1", "0"}},
      {"stock_init",
       init_keys,
       {"force", "0", "10", "0", "1", "a", "1", "0", "extra"}},
      {"stock_init",
       init_keys,
       {"force", "0", "10", "0", "2", "a", "1", "a", "2", "0"}},
      {"stock_init", init_keys, {"force", "0", "10", "0", "1", "a", "0", "0"}},
      {"stock_init", init_keys, {"force", "0", "10", "0", "1", "", "1", "0"}},
      {"stock_init",
       init_keys,
       {"force", "0", "10", "0", "1", "a", "1", "1", o1, "2", "a"}},
      {"stock_init",
       init_keys,
       {"force", "0", "10", "0", "1", "a", "2", "1", o1, "2", "b"}},
      {"stock_init",
       init_keys,
       {"force", "0", "10", "0", "1", "a", "4", "2", o1, "2", "a", o1, "2",
        "a"}},
      {"stock_init",
       init_keys,
       {"force", "0", "10", "0", "1", "a", "2", "1", "nocolon", "2", "a"}},
      {"stock_init",
       init_keys,
       {"force", "0", "10", "0", "1", "a", "2", "1", o1, "0", "a"}},
      {"stock_init",
       init_keys,
       {"force", "0", "10", "0", "1", "a", "2", "2", o1, "2", "a"}},
      {"stock_init", {keys[0], keys[1]}, {"force", "0", "10", "0", "0", "0"}},
      // stock_read
      {"stock_read", init_keys, {"x"}},
      {"stock_read", {keys[0], keys[1]}, {}},
  };
  for (const Case& c : cases) {
    const std::string reply = Eval(c.script, c.keys, c.args);
    std::string args;
    for (const auto& a : c.args) args += "[" + a + "]";
    EXPECT_EQ(reply.rfind("INVALID_ARGUMENT,", 0), 0u)
        << c.script << " " << args << " -> " << reply;
    EXPECT_EQ(SharedRedis().Snapshot(), before) << c.script << " " << args;
  }
  // The same arguments made valid are accepted (the cases fail for the
  // reason they test, not for something else).
  EXPECT_EQ(Eval("stock_reserve", keys, {o1, "bob", "1"}).rfind("OK,", 0), 0u);
  EXPECT_EQ(Eval("stock_init", init_keys,
                 {"force", "0", "10", "0", "1", "a", "4", "2", o1, "2", "a",
                  OwnerString(kG1), "2", "a"})
                .rfind("OK,", 0),
            0u);
}

TEST_F(StockGateTest, WrapperReportsInvalidArguments) {
  InitSku("sku-1", 10, 0);
  const auto before = SharedRedis().Snapshot();
  auto r = gate_->Reserve("sku-1", kG1, "alice", 0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kInvalidArgument);
  EXPECT_NE(r->message.find("quantity"), std::string::npos) << r->message;
  EXPECT_EQ(TryStatus(r->status, r->message).code(),
            absl::StatusCode::kInvalidArgument);
  r = gate_->Reserve("sku-1", kG1, "", 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kInvalidArgument);
  r = gate_->Reserve("sku{1}", kG1, "alice", 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kInvalidArgument);
  r = gate_->Reserve("sku-1", GateOwner{"", "inventory"}, "alice", 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kInvalidArgument);
  EXPECT_EQ(SharedRedis().Snapshot(), before);
}

}  // namespace
}  // namespace turnstile
