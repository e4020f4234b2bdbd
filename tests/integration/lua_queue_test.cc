// The waiting room's scripts (lua/queue_*.lua with lua/lib/queue.lua)
// against a real redis-server, called with EVAL exactly as embedded: bad
// keys and arguments of every script answer INVALID_ARGUMENT and change
// nothing; configuration is repeatable and keeps the line; joins are
// idempotent, ordered and capped; admission follows Redis time at the
// configured rate without an idle burst; places lapse and passes expire by
// Redis time, an unused pass returning its slot; queue_use checks the
// admission a pass names and marks it used.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/lua_scripts.h"
#include "tests/support/redis_server.h"

namespace turnstile {
namespace {

using std::chrono::milliseconds;
using testing::SharedRedis;

std::vector<std::string> Keys(const std::string& q) {
  return {q + ":cfg", q + ":wait", q + ":seen", q + ":user", q + ":pass"};
}

// EVAL of embedded script `name` with `keys` and `args`; the reply as
// RedisServer::Run writes it (array elements joined by ",").
std::string EvalKeys(const std::string& name,
                     const std::vector<std::string>& keys,
                     const std::vector<std::string>& args) {
  const LuaScript* script = FindLuaScript(name);
  EXPECT_NE(script, nullptr) << name;
  if (script == nullptr) return "";
  std::vector<std::string> argv = {"EVAL", std::string(script->source),
                                   std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return SharedRedis().Run(argv);
}

// The same on the five keys of queue `q` (e.g. "ts:{qs:tee}").
std::string Eval(const std::string& name, const std::string& q,
                 const std::vector<std::string>& args) {
  return EvalKeys(name, Keys(q), args);
}

std::vector<std::string> Fields(const std::string& reply) {
  return absl::StrSplit(reply, ',');
}

int64_t Field(const std::string& reply, size_t i) {
  const auto f = Fields(reply);
  int64_t v = -1;
  if (i < f.size()) (void)absl::SimpleAtoi(f[i], &v);
  return v;
}

constexpr char kQ[] = "ts:{qs:tee}";
constexpr char kPlaceTtl[] = "30000";

// rate in admissions per 1000 s.
std::string Configure(const std::string& q, int64_t rate, int64_t max_len = 100,
                      int64_t pass_ttl_ms = 60000) {
  return Eval("queue_config", q,
              {"set", std::to_string(rate), std::to_string(max_len),
               std::to_string(pass_ttl_ms), kPlaceTtl});
}
std::string Join(const std::string& q, const std::string& user,
                 const std::string& place_ttl = kPlaceTtl) {
  return Eval("queue_join", q, {user, place_ttl});
}
std::string Ticket(const std::string& q, const std::string& user,
                   const std::string& place_ttl = kPlaceTtl) {
  return Eval("queue_ticket", q, {user, place_ttl});
}
std::string Use(const std::string& q, const std::string& user, int64_t expiry) {
  return Eval("queue_use", q, {user, std::to_string(expiry)});
}
int64_t Admitted(const std::string& q) {
  return Field(Eval("queue_read", q, {kPlaceTtl}), 5);
}

class LuaQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { SharedRedis().FlushAll(); }
};

TEST_F(LuaQueueTest, BadKeysAndArgumentsChangeNothing) {
  ASSERT_EQ(Configure(kQ, 1000, 10), "OK,0,0,1");
  ASSERT_EQ(Field(Join(kQ, "ann"), 1), 1);
  const auto before = SharedRedis().Snapshot();
  const std::vector<std::string> wrong_keys[] = {
      {},
      {"ts:{qs:tee}:cfg"},
      {"ts:{sku:tee}:cfg", "ts:{sku:tee}:wait", "ts:{sku:tee}:seen",
       "ts:{sku:tee}:user", "ts:{sku:tee}:pass"},
      {"ts:{qs:tee}:cfg", "ts:{qs:tee}:wait", "ts:{qs:other}:seen",
       "ts:{qs:tee}:user", "ts:{qs:tee}:pass"},
      {"ts:{qr:tee}:cfg", "ts:{qs:tee}:wait", "ts:{qs:tee}:seen",
       "ts:{qs:tee}:user", "ts:{qs:tee}:pass"},
      {"ts:{qs:tee}:cfg", "ts:{qs:tee}:seen", "ts:{qs:tee}:wait",
       "ts:{qs:tee}:user", "ts:{qs:tee}:pass"},
      {"ts:{qs:t e}:cfg", "ts:{qs:t e}:wait", "ts:{qs:t e}:seen",
       "ts:{qs:t e}:user", "ts:{qs:t e}:pass"},
      {"ts:{qs:tee}:cfg", "ts:{qs:tee}:wait", "ts:{qs:tee}:seen",
       "ts:{qs:tee}:user", "ts:{qs:tee}:pass", "ts:{qs:tee}:x"},
  };
  const std::vector<std::pair<std::string, std::vector<std::string>>> good = {
      {"queue_config", {"set", "1000", "10", "60000", kPlaceTtl}},
      {"queue_config", {"remove"}},
      {"queue_join", {"bob", kPlaceTtl}},
      {"queue_ticket", {"ann", kPlaceTtl}},
      {"queue_read", {kPlaceTtl}},
      {"queue_use", {"ann", "0"}},
  };
  for (const auto& [name, args] : good) {
    for (const auto& keys : wrong_keys) {
      EXPECT_EQ(Fields(EvalKeys(name, keys, args))[0], "INVALID_ARGUMENT")
          << name << " keys " << keys.size();
    }
  }
  const std::string long_id(65, 'u');
  const std::vector<std::pair<std::string, std::vector<std::string>>> bad = {
      {"queue_config", {}},
      {"queue_config", {"put", "1000", "10", "60000", kPlaceTtl}},
      {"queue_config", {"set", "99", "10", "60000", kPlaceTtl}},
      {"queue_config", {"set", "10000001", "10", "60000", kPlaceTtl}},
      {"queue_config", {"set", "1.5", "10", "60000", kPlaceTtl}},
      {"queue_config", {"set", "-1000", "10", "60000", kPlaceTtl}},
      {"queue_config", {"set", "1000", "0", "60000", kPlaceTtl}},
      {"queue_config", {"set", "1000", "1000001", "60000", kPlaceTtl}},
      {"queue_config", {"set", "1000", "10", "4999", kPlaceTtl}},
      {"queue_config", {"set", "1000", "10", "3600001", kPlaceTtl}},
      {"queue_config", {"set", "1000", "10", "60000", "999"}},
      {"queue_config", {"set", "1000", "10", "60000", "3600001"}},
      {"queue_config", {"set", "1000", "10", "60000"}},
      {"queue_config", {"set", "1000", "10", "60000", kPlaceTtl, "x"}},
      {"queue_config", {"remove", "x"}},
      {"queue_join", {"bob"}},
      {"queue_join", {"", kPlaceTtl}},
      {"queue_join", {"b b", kPlaceTtl}},
      {"queue_join", {long_id, kPlaceTtl}},
      {"queue_join", {"bob", "0"}},
      {"queue_join", {"bob", kPlaceTtl, "x"}},
      {"queue_ticket", {"ann"}},
      {"queue_ticket", {"a}n", kPlaceTtl}},
      {"queue_ticket", {"ann", "abc"}},
      {"queue_read", {}},
      {"queue_read", {"500"}},
      {"queue_use", {"ann"}},
      {"queue_use", {"ann", "-1"}},
      {"queue_use", {"ann", "1e9"}},
      {"queue_use", {"ann", "4503599627370497"}},
      {"queue_use", {"", "0"}},
  };
  for (const auto& [name, args] : bad) {
    EXPECT_EQ(Fields(Eval(name, kQ, args))[0], "INVALID_ARGUMENT")
        << name << " " << absl::StrJoin(args, " ");
  }
  EXPECT_EQ(SharedRedis().Snapshot(), before);
}

TEST_F(LuaQueueTest, ConfigurationIsRepeatableKeepsTheLineAndRemovesAll) {
  EXPECT_EQ(Configure(kQ, 100), "OK,0,0,1");
  for (const char* u : {"a", "b", "c"}) Join(kQ, u);
  EXPECT_EQ(Configure(kQ, 100), "OK,3,0,2");
  EXPECT_EQ(Configure(kQ, 200, 5, 5000), "OK,3,0,3");
  EXPECT_EQ(Field(Ticket(kQ, "c"), 1), 3);
  const auto cfg = SharedRedis().HGetAll("ts:{qs:tee}:cfg");
  EXPECT_EQ(cfg.at("rate"), "200");
  EXPECT_EQ(cfg.at("max_len"), "5");
  EXPECT_EQ(cfg.at("pass_ttl_ms"), "5000");
  EXPECT_EQ(cfg.at("seq"), "3");
  // Remove deletes every key of the queue, and is repeatable.
  EXPECT_EQ(Eval("queue_config", kQ, {"remove"}), "OK,0,0,0");
  EXPECT_TRUE(SharedRedis().RunList({"KEYS", "*"}).empty());
  EXPECT_EQ(Eval("queue_config", kQ, {"remove"}), "OK,0,0,0");
  // An unqueued product: every script says so and creates nothing.
  EXPECT_EQ(Join(kQ, "a"), "NOT_QUEUED");
  EXPECT_EQ(Ticket(kQ, "a"), "NOT_QUEUED");
  EXPECT_EQ(Eval("queue_read", kQ, {kPlaceTtl}), "NOT_QUEUED");
  EXPECT_EQ(Use(kQ, "a", 0), "NOT_QUEUED");
  EXPECT_TRUE(SharedRedis().RunList({"KEYS", "*"}).empty());
}

TEST_F(LuaQueueTest, JoinsAreIdempotentOrderedAndCapped) {
  ASSERT_EQ(Configure(kQ, 100, 3), "OK,0,0,1");  // 0.1 per second
  for (const char* u : {"a", "b", "c"}) {
    EXPECT_EQ(Fields(Join(kQ, u))[0], "WAITING") << u;
  }
  const std::string a = Join(kQ, "a");
  EXPECT_EQ(Field(a, 1), 1);
  EXPECT_EQ(Field(Join(kQ, "b"), 1), 2);
  EXPECT_EQ(Field(Join(kQ, "a"), 3), Field(a, 3));  // the first join time
  // ETA: position x 10 s, less the credit already there.
  EXPECT_GT(Field(Join(kQ, "c"), 2), 29000);
  EXPECT_LE(Field(Join(kQ, "c"), 2), 30000);
  const std::string full = Join(kQ, "d");
  EXPECT_EQ(Fields(full)[0], "QUEUE_FULL");
  EXPECT_GE(Field(full, 1), 1000);
  EXPECT_EQ(Field(full, 2), 3);
  EXPECT_EQ(Ticket(kQ, "d"), "NOT_IN_QUEUE");
  EXPECT_EQ(SharedRedis().Run({"ZRANGE", "ts:{qs:tee}:wait", "0", "-1"}),
            "a,b,c");
  EXPECT_EQ(SharedRedis().Run({"HGET", "ts:{qs:tee}:cfg", "seq"}), "3");
}

TEST_F(LuaQueueTest, AdmitsByRedisTimeAtTheRateWithoutAnIdleBurst) {
  // 20 per second, idle for a second first: the idle queue holds one
  // admission of credit, not twenty.
  ASSERT_EQ(Configure(kQ, 20000), "OK,0,0,1");
  std::this_thread::sleep_for(milliseconds(1000));
  std::vector<std::string> users;
  for (int i = 0; i < 30; ++i) users.push_back(absl::StrCat("u", i));
  for (const auto& u : users) Join(kQ, u);
  EXPECT_LE(Admitted(kQ), 2);
  EXPECT_EQ(Fields(Ticket(kQ, "u0"))[0], "ADMITTED");
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(milliseconds(500));
  const int64_t admitted = Admitted(kQ);
  const double t =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  // 1 + 20 x t, give or take one.
  EXPECT_GE(admitted, static_cast<int64_t>(20 * t));
  EXPECT_LE(admitted, static_cast<int64_t>(20 * t) + 3);
  // In join order: passes for a prefix of the line (it may grow while
  // this loop asks), places for the rest.
  bool waiting_seen = false;
  for (size_t i = 0; i < users.size(); ++i) {
    const std::string r = Ticket(kQ, users[i]);
    if (static_cast<int64_t>(i) < admitted) {
      EXPECT_EQ(Fields(r)[0], "ADMITTED") << users[i];
    }
    if (waiting_seen) EXPECT_EQ(Fields(r)[0], "WAITING") << users[i];
    waiting_seen |= Fields(r)[0] == "WAITING";
  }
  EXPECT_TRUE(waiting_seen);
}

TEST_F(LuaQueueTest, PlacesLapseByRedisTimeUnlessAskedFor) {
  ASSERT_EQ(Configure(kQ, 100), "OK,0,0,1");
  Join(kQ, "gone", "1000");
  Join(kQ, "kept", "1000");
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(milliseconds(350));
    EXPECT_EQ(Fields(Ticket(kQ, "kept", "1000"))[0], "WAITING");
  }
  EXPECT_EQ(Ticket(kQ, "gone", "1000"), "NOT_IN_QUEUE");
  EXPECT_EQ(Field(Ticket(kQ, "kept", "1000"), 1), 1);
  EXPECT_EQ(SharedRedis().Run({"HEXISTS", "ts:{qs:tee}:user", "gone"}), "0");
  // Joining again puts the lapsed buyer at the back.
  EXPECT_EQ(Field(Join(kQ, "gone", "1000"), 1), 2);
}

TEST_F(LuaQueueTest, UseChecksTheAdmissionAndPassesExpireByRedisTime) {
  // Two queues: in "used" the first admitted orders, in "lapse" not.
  const std::string used = "ts:{qs:used}", lapse = "ts:{qr:lapse}";
  for (const auto& q : {used, lapse}) {
    ASSERT_EQ(Fields(Configure(q, 10000000, 100, 5000))[0], "OK");
    std::this_thread::sleep_for(milliseconds(5));  // credit accrues per ms
    ASSERT_EQ(Fields(Join(q, "first"))[0], "ADMITTED");
    std::this_thread::sleep_for(milliseconds(5));
    // Slow now: the next is admitted from the idle credit, the third waits.
    ASSERT_EQ(Fields(Configure(q, 100, 100, 5000))[0], "OK");
    ASSERT_EQ(Fields(Join(q, "second"))[0], "ADMITTED") << q;
    ASSERT_EQ(Fields(Join(q, "third"))[0], "WAITING") << q;
  }
  const int64_t expiry = Field(Ticket(used, "first"), 1);
  EXPECT_EQ(Use(used, "first", 0), "NOT_ADMITTED,NO_PASS");
  EXPECT_EQ(Use(used, "first", expiry + 1), "NOT_ADMITTED,MISMATCH");
  EXPECT_EQ(Use(used, "third", expiry), "NOT_ADMITTED,NOT_ADMITTED");
  EXPECT_EQ(Use(used, "nobody", expiry), "NOT_ADMITTED,NOT_ADMITTED");
  EXPECT_EQ(Use(used, "first", 1000), "NOT_ADMITTED,EXPIRED");
  const auto before = SharedRedis().Snapshot();
  EXPECT_EQ(Use(used, "first", expiry), absl::StrCat("OK,", expiry));
  EXPECT_NE(SharedRedis().Snapshot(), before);  // marked used
  EXPECT_EQ(SharedRedis().Run({"HGET", "ts:{qs:used}:user", "first"}).back(),
            '1');
  // Repeats are fine until the expiry.
  EXPECT_EQ(Use(used, "first", expiry), absl::StrCat("OK,", expiry));
  const int64_t second = Field(Ticket(used, "second"), 1);
  EXPECT_EQ(Use(used, "second", second), absl::StrCat("OK,", second));
  std::this_thread::sleep_for(milliseconds(5200));
  EXPECT_EQ(Use(used, "first", expiry), "NOT_ADMITTED,EXPIRED");
  // The unused pass gave its slot to "third"; the used one did not.
  EXPECT_EQ(Fields(Ticket(lapse, "third"))[0], "ADMITTED");
  EXPECT_EQ(Fields(Ticket(used, "third"))[0], "WAITING");
  EXPECT_EQ(Ticket(used, "first"), "NOT_IN_QUEUE");
  EXPECT_EQ(Ticket(lapse, "first"), "NOT_IN_QUEUE");
  EXPECT_EQ(SharedRedis().Run({"ZSCORE", "ts:{qr:lapse}:pass", "first"}),
            "(nil)");
  EXPECT_EQ(Admitted(lapse), 3);
  EXPECT_EQ(Admitted(used), 2);
}

}  // namespace
}  // namespace turnstile
