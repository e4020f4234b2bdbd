// The gate's client-side pieces without a server: the embedded script table,
// argument building, address parsing, status names and mapping, and the
// reply parsers fed with real RESP through hiredis' own reader (documented
// shapes parse; anything else is INTERNAL/REDIS_BAD_REPLY, never a crash).
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/match.h"
#include "services/common/gate_scripts.h"
#include "services/common/lua_scripts.h"
#include "services/common/range_gate.h"
#include "services/common/redis_client.h"
#include "services/common/status.h"

namespace turnstile {
namespace {

using Elem = std::variant<std::string, int64_t>;

// RESP text of an array of bulk strings and integers.
std::string Resp(const std::vector<Elem>& elems) {
  std::string out = "*" + std::to_string(elems.size()) + "\r\n";
  for (const Elem& e : elems) {
    if (const auto* s = std::get_if<std::string>(&e)) {
      out += "$" + std::to_string(s->size()) + "\r\n" + *s + "\r\n";
    } else {
      out += ":" + std::to_string(std::get<int64_t>(e)) + "\r\n";
    }
  }
  return out;
}

// A real redisReply parsed by hiredis from RESP text.
RedisReplyPtr Parse(const std::string& resp) {
  redisReader* reader = redisReaderCreate();
  redisReaderFeed(reader, resp.data(), resp.size());
  void* reply = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader, &reply), REDIS_OK);
  redisReaderFree(reader);
  EXPECT_NE(reply, nullptr) << resp;
  return RedisReplyPtr(static_cast<redisReply*>(reply));
}

RedisReplyPtr Reply(const std::vector<Elem>& elems) {
  return Parse(Resp(elems));
}

bool IsBadReply(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInternal &&
         ReasonOf(status) == "REDIS_BAD_REPLY";
}

TEST(EmbeddedScripts, EveryScriptIsThereWithItsHelpersAndSha1) {
  // One embedded script per lua/*.lua file, sorted by name.
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::string(TURNSTILE_SOURCE_DIR) + "/lua")) {
    if (entry.path().extension() == ".lua") {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  ASSERT_GE(names.size(), 22u);
  auto scripts = EmbeddedLuaScripts();
  ASSERT_EQ(scripts.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    const LuaScript& s = scripts[i];
    EXPECT_EQ(s.name, names[i]);
    EXPECT_EQ(FindLuaScript(names[i]), &s);
    ASSERT_EQ(s.sha1.size(), 40u);
    for (char c : s.sha1) {
      EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << s.name;
    }
    EXPECT_TRUE(absl::StrContains(s.source, "local function run(main)"))
        << s.name;
    EXPECT_TRUE(absl::StrContains(s.source, "-- " + names[i] + ".lua\n"))
        << s.name;
    EXPECT_TRUE(absl::StrContains(s.source, "return run(function()")) << s.name;
  }
  EXPECT_EQ(FindLuaScript("nope"), nullptr);
}

TEST(RedisArgs, BuildsArgumentsFromPiecesAndReusesTheBuffer) {
  static const LuaScript script{"x", "return 1",
                                "0123456789abcdef0123456789abcdef01234567"};
  RedisArgs args;
  args.StartEval(script, 2)
      .Add({"ts:{sku:", "a", "}:stock"})
      .Add("")
      .AddInt(-5)
      .AddInt(std::numeric_limits<int64_t>::max());
  ASSERT_EQ(args.size(), 7u);
  EXPECT_EQ(args[0], "EVALSHA");
  EXPECT_EQ(args[1], script.sha1);
  EXPECT_EQ(args[2], "2");
  EXPECT_EQ(args[3], "ts:{sku:a}:stock");
  EXPECT_EQ(args[4], "");
  EXPECT_EQ(args[5], "-5");
  EXPECT_EQ(args[6], "9223372036854775807");
  args.Clear().Add("PING");
  ASSERT_EQ(args.size(), 1u);
  EXPECT_EQ(args[0], "PING");
  // Binary-safe.
  args.Clear().Add(absl::string_view("a\0b", 3));
  EXPECT_EQ(args[0].size(), 3u);
}

TEST(RedisAddress, ParsesHostAndPort) {
  RedisOptions options;
  ASSERT_TRUE(ParseRedisAddress("10.0.0.5:6380", &options).ok());
  EXPECT_EQ(options.host, "10.0.0.5");
  EXPECT_EQ(options.port, 6380);
  ASSERT_TRUE(ParseRedisAddress("redis.local:1", &options).ok());
  EXPECT_EQ(options.host, "redis.local");
  for (const char* bad : {"", "host", ":6379", "host:", "host:0", "host:65536",
                          "host:http", "host:-1"}) {
    EXPECT_EQ(ParseRedisAddress(bad, &options).code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(GateStatusNames, RoundTrip) {
  for (GateStatus s :
       {GateStatus::kOk, GateStatus::kDuplicate, GateStatus::kCancelled,
        GateStatus::kCommitted, GateStatus::kNotFound, GateStatus::kSoldOut,
        GateStatus::kUserLimit, GateStatus::kSeatTaken, GateStatus::kNotOwner,
        GateStatus::kTaken, GateStatus::kExpired, GateStatus::kNotInitialized,
        GateStatus::kExists, GateStatus::kConflict,
        GateStatus::kInvalidArgument}) {
    GateStatus parsed = GateStatus::kOk;
    ASSERT_TRUE(ParseGateStatus(GateStatusName(s), &parsed))
        << GateStatusName(s);
    EXPECT_EQ(parsed, s);
  }
  GateStatus parsed;
  EXPECT_FALSE(ParseGateStatus("ok", &parsed));
  EXPECT_FALSE(ParseGateStatus("", &parsed));
}

TEST(GateStatusNames, TryStatusFollowsTheServiceConventions) {
  EXPECT_TRUE(TryStatus(GateStatus::kOk).ok());
  EXPECT_TRUE(TryStatus(GateStatus::kDuplicate).ok());
  struct Case {
    GateStatus status;
    absl::StatusCode code;
    const char* reason;
  };
  for (const Case& c : std::vector<Case>{
           {GateStatus::kSoldOut, absl::StatusCode::kFailedPrecondition,
            "SOLD_OUT"},
           {GateStatus::kUserLimit, absl::StatusCode::kFailedPrecondition,
            "USER_LIMIT"},
           {GateStatus::kSeatTaken, absl::StatusCode::kFailedPrecondition,
            "SEAT_TAKEN"},
           {GateStatus::kCancelled, absl::StatusCode::kAborted,
            "BRANCH_CANCELLED"},
           {GateStatus::kExpired, absl::StatusCode::kAborted, "TXN_DEADLINE"},
           {GateStatus::kNotInitialized, absl::StatusCode::kUnavailable,
            "GATE_NOT_INITIALIZED"},
           {GateStatus::kInvalidArgument, absl::StatusCode::kInvalidArgument,
            "INVALID_ARGUMENT"},
           {GateStatus::kNotOwner, absl::StatusCode::kInternal,
            "GATE_UNEXPECTED"},
       }) {
    const absl::Status s = TryStatus(c.status, "m");
    EXPECT_EQ(s.code(), c.code) << GateStatusName(c.status);
    EXPECT_EQ(ReasonOf(s), c.reason) << GateStatusName(c.status);
  }
  EXPECT_EQ(OwnerString({"g", "seat"}), "g:seat");
}

TEST(GateReplies, StockResults) {
  auto r = ParseStockReply(
      *Reply({std::string("OK"), int64_t{7}, int64_t{3}, int64_t{2}}));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->remaining, 7);
  EXPECT_EQ(r->user_units, 3);
  EXPECT_EQ(r->quantity, 2);

  r = ParseStockReply(
      *Reply({std::string("SOLD_OUT"), int64_t{0}, int64_t{-1}, int64_t{1}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kSoldOut);
  EXPECT_EQ(r->user_units, -1);

  r = ParseStockReply(*Reply(
      {std::string("INVALID_ARGUMENT"), std::string("quantity is missing")}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kInvalidArgument);
  EXPECT_EQ(r->message, "quantity is missing");

  for (const std::vector<Elem>& bad : std::vector<std::vector<Elem>>{
           {},
           {std::string("OK")},
           {std::string("OK"), int64_t{1}, int64_t{2}},
           {std::string("OK"), int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}},
           {std::string("OK"), std::string("1"), int64_t{2}, int64_t{3}},
           {std::string("WHAT"), int64_t{1}, int64_t{2}, int64_t{3}},
           {int64_t{1}, int64_t{1}, int64_t{2}, int64_t{3}},
           {std::string("INVALID_ARGUMENT")},
       }) {
    EXPECT_TRUE(IsBadReply(ParseStockReply(*Reply(bad)).status())) << Resp(bad);
  }
  // Not an array at all.
  EXPECT_TRUE(IsBadReply(ParseStockReply(*Parse(":1\r\n")).status()));
  EXPECT_TRUE(IsBadReply(ParseStockReply(*Parse("$2\r\nOK\r\n")).status()));
  EXPECT_TRUE(IsBadReply(ParseStockReply(*Parse("$-1\r\n")).status()));
}

TEST(GateReplies, StockInitAndRead) {
  auto init = ParseStockInitReply(
      *Reply({std::string("CONFLICT"), int64_t{8}, int64_t{2}, int64_t{5}}));
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->status, GateStatus::kConflict);
  EXPECT_EQ(init->remaining, 8);
  EXPECT_EQ(init->per_user_limit, 2);
  EXPECT_EQ(init->ver, 5);

  auto snap = ParseStockReadReply(*Reply(
      {std::string("OK"), int64_t{8}, int64_t{2}, int64_t{5}, int64_t{1000},
       int64_t{2}, std::string("alice"), int64_t{2}, std::string("bob"),
       int64_t{1}, int64_t{1}, std::string("g:inventory"), int64_t{2},
       std::string("alice"), int64_t{999}}));
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_EQ(snap->remaining, 8);
  EXPECT_EQ(snap->now_ms, 1000);
  ASSERT_EQ(snap->user_units.size(), 2u);
  EXPECT_EQ(snap->user_units[1].first, "bob");
  EXPECT_EQ(snap->user_units[1].second, 1);
  ASSERT_EQ(snap->reservations.size(), 1u);
  EXPECT_EQ(snap->reservations[0].owner, "g:inventory");
  EXPECT_EQ(snap->reservations[0].quantity, 2);
  EXPECT_EQ(snap->reservations[0].user_id, "alice");
  EXPECT_EQ(snap->reservations[0].created_ms, 999);

  snap = ParseStockReadReply(
      *Reply({std::string("NOT_INITIALIZED"), int64_t{0}, int64_t{0},
              int64_t{0}, int64_t{1000}, int64_t{0}, int64_t{0}}));
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap->status, GateStatus::kNotInitialized);

  // Counts that do not match the elements.
  for (const std::vector<Elem>& bad : std::vector<std::vector<Elem>>{
           {std::string("OK"), int64_t{8}, int64_t{2}, int64_t{5},
            int64_t{1000}, int64_t{3}, std::string("alice"), int64_t{2},
            int64_t{0}},
           {std::string("OK"), int64_t{8}, int64_t{2}, int64_t{5},
            int64_t{1000}, int64_t{-1}, int64_t{0}},
           {std::string("OK"), int64_t{8}, int64_t{2}, int64_t{5},
            int64_t{1000}, int64_t{0}, int64_t{1}},
           {std::string("OK"), int64_t{8}, int64_t{2}, int64_t{5},
            int64_t{1000}, int64_t{0}},
       }) {
    EXPECT_TRUE(IsBadReply(ParseStockReadReply(*Reply(bad)).status()))
        << Resp(bad);
  }
}

TEST(GateReplies, SeatResults) {
  auto hold = ParseSeatHoldReply(
      *Reply({std::string("OK"), int64_t{3}, int64_t{123456}}));
  ASSERT_TRUE(hold.ok());
  EXPECT_EQ(hold->seats, 3);
  EXPECT_EQ(hold->expiry_ms, 123456);
  hold = ParseSeatHoldReply(*Reply({std::string("SEAT_TAKEN"), int64_t{2},
                                    std::string("s1"), std::string("s9")}));
  ASSERT_TRUE(hold.ok());
  EXPECT_EQ(hold->status, GateStatus::kSeatTaken);
  EXPECT_EQ(hold->conflicts, (std::vector<std::string>{"s1", "s9"}));
  EXPECT_TRUE(IsBadReply(
      ParseSeatHoldReply(
          *Reply({std::string("SEAT_TAKEN"), int64_t{2}, std::string("s1")}))
          .status()));

  auto rel = ParseSeatReleaseReply(*Reply(
      {std::string("NOT_OWNER"), int64_t{1}, int64_t{1}, std::string("s3")}));
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->status, GateStatus::kNotOwner);
  EXPECT_EQ(rel->seats, 1);
  EXPECT_EQ(rel->conflicts, (std::vector<std::string>{"s3"}));
  EXPECT_TRUE(IsBadReply(
      ParseSeatReleaseReply(*Reply({std::string("OK"), int64_t{1}})).status()));

  auto commit = ParseSeatCommitReply(
      *Reply({std::string("OK"), int64_t{2}, int64_t{1}, int64_t{0}}));
  ASSERT_TRUE(commit.ok());
  EXPECT_EQ(commit->seats, 2);
  EXPECT_EQ(commit->reclaimed, 1);
  EXPECT_TRUE(commit->conflicts.empty());

  auto init = ParseSeatInitReply(
      *Reply({std::string("EXISTS"), int64_t{4}, int64_t{10}}));
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->status, GateStatus::kExists);
  EXPECT_EQ(init->ver, 4);
  EXPECT_EQ(init->seats, 10);

  auto read = ParseSeatReadReply(
      *Reply({std::string("OK"), int64_t{4}, int64_t{1000}, int64_t{2},
              std::string("s1"), std::string("H"), std::string("g:seat"),
              int64_t{2000}, std::string("s2"), std::string("S"),
              std::string("h:seat"), int64_t{0}}));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->seats.size(), 2u);
  EXPECT_EQ(read->seats[0].state, GateSeatState::kHeld);
  EXPECT_EQ(read->seats[0].expiry_ms, 2000);
  EXPECT_EQ(read->seats[1].state, GateSeatState::kSold);
  EXPECT_EQ(read->seats[1].owner, "h:seat");
  EXPECT_TRUE(
      IsBadReply(ParseSeatReadReply(
                     *Reply({std::string("OK"), int64_t{4}, int64_t{1000},
                             int64_t{1}, std::string("s1"), std::string("Z"),
                             std::string("g:seat"), int64_t{0}}))
                     .status()));
}

TEST(GateReplies, RangeResults) {
  using S = std::string;
  auto hold = ParseRangeHoldReply(*Reply({S("OK"), int64_t{3}, int64_t{99}}));
  ASSERT_TRUE(hold.ok());
  EXPECT_EQ(hold->status, GateStatus::kOk);
  EXPECT_EQ(hold->items, 3);
  EXPECT_EQ(hold->expiry_ms, 99);
  hold = ParseRangeHoldReply(
      *Reply({S("TAKEN"), int64_t{2}, S("m1"), int64_t{18}, int64_t{22},
              S("m2"), int64_t{0}, int64_t{4}}));
  ASSERT_TRUE(hold.ok()) << hold.status();
  EXPECT_EQ(hold->status, GateStatus::kTaken);
  EXPECT_EQ(hold->conflicts,
            (std::vector<RangeItem>{{"m1", 18, 22}, {"m2", 0, 4}}));
  hold = ParseRangeHoldReply(*Reply({S("USER_LIMIT"), int64_t{4}, int64_t{5}}));
  ASSERT_TRUE(hold.ok()) << hold.status();
  EXPECT_EQ(hold->status, GateStatus::kUserLimit);
  EXPECT_EQ(hold->user_items, 4);
  EXPECT_EQ(hold->user_limit, 5);
  hold = ParseRangeHoldReply(*Reply({S("INVALID_ARGUMENT"), S("bad from")}));
  ASSERT_TRUE(hold.ok());
  EXPECT_EQ(hold->status, GateStatus::kInvalidArgument);
  EXPECT_EQ(hold->message, "bad from");
  // Short, long, out-of-range units and wrong types are bad replies.
  for (const auto& bad : std::vector<std::vector<Elem>>{
           {S("TAKEN"), int64_t{1}, S("m1"), int64_t{18}},
           {S("TAKEN"), int64_t{1}, S("m1"), int64_t{18}, int64_t{300}},
           {S("TAKEN"), int64_t{1}, S("m1"), int64_t{-1}, int64_t{3}},
           {S("TAKEN"), int64_t{1}, S("m1"), S("18"), int64_t{22}},
           {S("OK"), int64_t{3}},
           {S("OK"), int64_t{3}, int64_t{99}, int64_t{0}},
           {S("USER_LIMIT"), int64_t{4}},
           {S("WHATEVER"), int64_t{3}, int64_t{99}},
       }) {
    EXPECT_TRUE(IsBadReply(ParseRangeHoldReply(*Reply(bad)).status()));
  }

  auto rel = ParseRangeReleaseReply(*Reply({S("NOT_FOUND"), int64_t{0}}));
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->status, GateStatus::kNotFound);
  EXPECT_TRUE(IsBadReply(
      ParseRangeReleaseReply(*Reply({S("OK"), int64_t{1}, int64_t{0}}))
          .status()));

  auto commit = ParseRangeCommitReply(
      *Reply({S("NOT_OWNER"), int64_t{1}, int64_t{1}, int64_t{1}, S("s2"),
              int64_t{0}, int64_t{4}}));
  ASSERT_TRUE(commit.ok()) << commit.status();
  EXPECT_EQ(commit->status, GateStatus::kNotOwner);
  EXPECT_EQ(commit->items, 1);
  EXPECT_EQ(commit->reclaimed, 1);
  EXPECT_EQ(commit->conflicts, (std::vector<RangeItem>{{"s2", 0, 4}}));
  EXPECT_TRUE(IsBadReply(ParseRangeCommitReply(*Reply({S("OK"), int64_t{1},
                                                       int64_t{0}, int64_t{1}}))
                             .status()));

  auto init =
      ParseRangeInitReply(*Reply({S("CONFLICT"), int64_t{7}, int64_t{12}}));
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(init->status, GateStatus::kConflict);
  EXPECT_EQ(init->ver, 7);
  EXPECT_EQ(init->count, 12);

  auto read = ParseRangeReadReply(*Reply(
      {S("OK"), int64_t{4}, int64_t{48}, int64_t{1000}, int64_t{2}, S("m1"),
       int64_t{18}, int64_t{22}, S("H"), S("g:booking"), int64_t{2000}, S("m1"),
       int64_t{22}, int64_t{24}, S("S"), S("h:booking"), int64_t{0}}));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->ver, 4);
  EXPECT_EQ(read->units, 48);
  EXPECT_EQ(read->now_ms, 1000);
  ASSERT_EQ(read->ranges.size(), 2u);
  EXPECT_EQ(read->ranges[0].state, GateRangeState::kHeld);
  EXPECT_EQ(read->ranges[0].from, 18);
  EXPECT_EQ(read->ranges[0].expiry_ms, 2000);
  EXPECT_EQ(read->ranges[1].state, GateRangeState::kSold);
  EXPECT_EQ(read->ranges[1].owner, "h:booking");
  read = ParseRangeReadReply(*Reply(
      {S("NOT_INITIALIZED"), int64_t{0}, int64_t{0}, int64_t{5}, int64_t{0}}));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->status, GateStatus::kNotInitialized);
  EXPECT_EQ(read->now_ms, 5);
  for (const auto& bad : std::vector<std::vector<Elem>>{
           // unknown state, empty range, too many entries announced
           {S("OK"), int64_t{4}, int64_t{48}, int64_t{1000}, int64_t{1},
            S("m1"), int64_t{1}, int64_t{2}, S("Z"), S("g:b"), int64_t{0}},
           {S("OK"), int64_t{4}, int64_t{48}, int64_t{1000}, int64_t{1},
            S("m1"), int64_t{2}, int64_t{2}, S("S"), S("g:b"), int64_t{0}},
           {S("OK"), int64_t{4}, int64_t{48}, int64_t{1000}, int64_t{2},
            S("m1"), int64_t{1}, int64_t{2}, S("S"), S("g:b"), int64_t{0}},
       }) {
    EXPECT_TRUE(IsBadReply(ParseRangeReadReply(*Reply(bad)).status()));
  }
}

TEST(GateReplies, RangeFreeCount) {
  auto r = ParseRangeFreeReply(
      *Reply({std::string("OK"), int64_t{17}, int64_t{1000}}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->free, 17);
  EXPECT_EQ(r->now_ms, 1000);
  EXPECT_TRUE(IsBadReply(
      ParseRangeFreeReply(*Reply({std::string("OK"), int64_t{-1}, int64_t{5}}))
          .status()));
  EXPECT_TRUE(IsBadReply(
      ParseRangeFreeReply(*Reply({std::string("OK"), int64_t{1}})).status()));
}

TEST(GateStatusNames, RangeTryStatusNamesTheTakenReason) {
  absl::Status s = RangeTryStatus(GateStatus::kTaken, "SLOT_TAKEN");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), "SLOT_TAKEN");
  s = RangeTryStatus(GateStatus::kTaken, "SEAT_TAKEN", "m");
  EXPECT_EQ(ReasonOf(s), "SEAT_TAKEN");
  EXPECT_TRUE(RangeTryStatus(GateStatus::kDuplicate, "SLOT_TAKEN").ok());
  EXPECT_EQ(ReasonOf(RangeTryStatus(GateStatus::kCancelled, "SLOT_TAKEN")),
            "BRANCH_CANCELLED");
  EXPECT_EQ(ReasonOf(RangeTryStatus(GateStatus::kExpired, "SLOT_TAKEN")),
            "TXN_DEADLINE");
  // TAKEN is not a stock/seat answer.
  EXPECT_EQ(ReasonOf(TryStatus(GateStatus::kTaken)), "GATE_UNEXPECTED");
}

}  // namespace
}  // namespace turnstile
