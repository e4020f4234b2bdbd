// The gateway's rate limiter (services/gateway/ratelimit/rate_limiter.h and
// lua/rate_limit.lua) against a real redis-server: bursts and refill, users
// independent and the IP bucket shared, all-or-nothing consumption, key
// expiry, every invalid script argument, concurrent callers, and the
// fallback when Redis is stopped or hangs (fast thanks to the backoff) and
// the recovery after it is back -- checking Redis itself and the metrics.
#include "services/gateway/ratelimit/rate_limiter.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "prometheus/registry.h"
#include "services/common/lua_scripts.h"
#include "services/common/redis_client.h"
#include "services/gateway/ratelimit/rate_limit_config.h"
#include "tests/support/redis_server.h"

namespace turnstile::gateway {
namespace {

using ::turnstile::testing::SharedRedis;
using Clock = std::chrono::steady_clock;
using Kind = RateLimiter::Decision::Kind;

constexpr char kWallet[] = "/turnstile.v1.Payment/GetWallet";
constexpr char kPlace[] = "/turnstile.v1.Order/PlaceOrder";
constexpr char kGetSku[] = "/turnstile.v1.Inventory/GetSku";
constexpr char kIpA[] = "203.0.113.1";
constexpr char kIpB[] = "203.0.113.2";

std::string UserKey(const std::string& full_name, const std::string& user) {
  return "ts:{rl:" + full_name + "}:u:" + user;
}
std::string IpKey(const std::string& full_name, const std::string& ip) {
  return "ts:{rl:" + full_name + "}:ip:" + ip;
}

int64_t Ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// A metric's value (counter or gauge) with exactly `labels`; -1 if absent.
double Metric(prometheus::Registry& registry, const std::string& name,
              const std::map<std::string, std::string>& labels = {}) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> l;
      for (const auto& pair : m.label) l[pair.name] = pair.value;
      if (l != labels) continue;
      return family.type == prometheus::MetricType::Counter ? m.counter.value
                                                            : m.gauge.value;
    }
  }
  return -1;
}

// Label sets of `name`.
std::vector<std::map<std::string, std::string>> Series(
    prometheus::Registry& registry, const std::string& name) {
  std::vector<std::map<std::string, std::string>> out;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      std::map<std::string, std::string> l;
      for (const auto& pair : m.label) l[pair.name] = pair.value;
      out.push_back(l);
    }
  }
  return out;
}

RedisOptions LimiterRedisOptions(RedisOptions options) {
  options.connect_timeout = std::chrono::milliseconds(100);
  options.command_timeout = std::chrono::milliseconds(100);
  options.acquire_timeout = std::chrono::milliseconds(100);
  return options;
}

class RateLimiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SharedRedis().running()) SharedRedis().StartAgain();
    SharedRedis().FlushAll();
    redis_ = std::make_shared<RedisClient>(
        LimiterRedisOptions(SharedRedis().Options(4)));
  }
  void TearDown() override {
    if (!SharedRedis().running()) SharedRedis().StartAgain();
  }

  void Make(const std::string& spec, RateLimiterOptions options = {}) {
    auto limits = ParseRateLimits(spec);
    ASSERT_TRUE(limits.ok()) << limits.status();
    limiter_ = std::make_unique<RateLimiter>(redis_, *std::move(limits),
                                             registry_, options);
  }

  RateLimiter::Decision Check(const std::string& method,
                              const std::string& user, const std::string& ip) {
    return limiter_->Check(method, user, ip);
  }

  // Runs the script by its source (EVAL), bypassing the C++ client.
  std::string Eval(const std::vector<std::string>& keys,
                   const std::vector<std::string>& args) {
    std::vector<std::string> argv = {
        "EVAL", std::string(FindLuaScript("rate_limit")->source),
        std::to_string(keys.size())};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return SharedRedis().Run(argv);
  }

  double Refused(const std::string& method, const std::string& scope) {
    return Metric(registry_, "turnstile_gateway_ratelimit_refused_total",
                  {{"method", method}, {"scope", scope}});
  }
  double Fallbacks(const std::string& mode) {
    return Metric(registry_, "turnstile_gateway_ratelimit_fallback_total",
                  {{"mode", mode}});
  }
  double Degraded() {
    return Metric(registry_, "turnstile_gateway_ratelimit_degraded");
  }

  std::shared_ptr<RedisClient> redis_;
  prometheus::Registry registry_;
  std::unique_ptr<RateLimiter> limiter_;
};

TEST_F(RateLimiterTest, BurstThenLimitedThenOneTokenPerInterval) {
  Make(std::string(kWallet) + "=user:2:5,ip:off");
  const auto start = Clock::now();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Check(kWallet, "alice", kIpA).kind, Kind::kAllowed) << i;
  }
  int64_t retry = 0;
  Clock::time_point limited_at;
  for (int i = 0; i < 4; ++i) {
    limited_at = Clock::now();
    const auto d = Check(kWallet, "alice", kIpA);
    ASSERT_EQ(d.kind, Kind::kLimited) << i;
    EXPECT_EQ(d.scope, "user");
    retry = d.retry_after_ms;
  }
  // One token comes back every 1000 / rate = 500 ms; the burst took a few.
  const int64_t elapsed = Ms(Clock::now() - start);
  EXPECT_LE(retry, 500);
  EXPECT_GE(retry, 500 - elapsed - 1);
  EXPECT_GE(retry, 1);
  EXPECT_EQ(Refused(kWallet, "user"), 4);

  std::this_thread::sleep_for(std::chrono::milliseconds(retry));
  EXPECT_EQ(Check(kWallet, "alice", kIpA).kind, Kind::kAllowed);
  const auto d = Check(kWallet, "alice", kIpA);
  EXPECT_EQ(d.kind, Kind::kLimited);
  // A whole interval again, less what refilled after the token was back.
  const int64_t overshoot = Ms(Clock::now() - limited_at) - retry;
  EXPECT_GE(d.retry_after_ms, 500 - overshoot - 1);
  EXPECT_LE(d.retry_after_ms, 500);
  EXPECT_EQ(Refused(kWallet, "user"), 5);

  // The bucket in Redis: less than one token left, stamped with Redis time.
  const auto h =
      SharedRedis().HGetAll(UserKey("turnstile.v1.Payment.GetWallet", "alice"));
  ASSERT_EQ(h.size(), 2u);
  EXPECT_LT(std::stoll(h.at("utokens")), 1000000);
  EXPECT_GE(std::stoll(h.at("utokens")), 0);
  EXPECT_GT(std::stoll(h.at("ts_ms")), 1600000000000);
  // ip:off: no IP bucket at all.
  EXPECT_EQ(SharedRedis().RunList({"KEYS", "*"}).size(), 1u);
}

TEST_F(RateLimiterTest, UsersAreIndependentAndTheIpBucketIsShared) {
  Make("*=user:0.001:2,ip:0.001:3");
  // alice takes 2 of her 2 and 2 of the IP's 3.
  EXPECT_EQ(Check(kGetSku, "alice", kIpA).kind, Kind::kAllowed);
  EXPECT_EQ(Check(kGetSku, "alice", kIpA).kind, Kind::kAllowed);
  auto d = Check(kGetSku, "alice", kIpA);
  EXPECT_EQ(d.kind, Kind::kLimited);
  EXPECT_EQ(d.scope, "user");
  // bob has his own bucket but shares the IP: one left for him.
  EXPECT_EQ(Check(kGetSku, "bob", kIpA).kind, Kind::kAllowed);
  d = Check(kGetSku, "bob", kIpA);
  EXPECT_EQ(d.kind, Kind::kLimited);
  EXPECT_EQ(d.scope, "ip");
  // About 1000 s for one token at 0.001/s.
  EXPECT_GT(d.retry_after_ms, 990000);
  EXPECT_LE(d.retry_after_ms, 1000000);
  // Anonymous callers have only the IP bucket.
  EXPECT_EQ(Check(kGetSku, "", kIpA).kind, Kind::kLimited);
  // bob from another address is fine; so is an anonymous caller there.
  EXPECT_EQ(Check(kGetSku, "bob", kIpB).kind, Kind::kAllowed);
  EXPECT_EQ(Check(kGetSku, "", kIpB).kind, Kind::kAllowed);
  // Another method has buckets of its own (under "*" too).
  EXPECT_EQ(Check(kWallet, "alice", kIpA).kind, Kind::kAllowed);

  EXPECT_EQ(Refused(kGetSku, "user"), 1);
  EXPECT_EQ(Refused(kGetSku, "ip"), 2);
  const std::string m = "turnstile.v1.Inventory.GetSku";
  EXPECT_EQ(SharedRedis().Run({"EXISTS", UserKey(m, "alice"), UserKey(m, "bob"),
                               IpKey(m, kIpA), IpKey(m, kIpB)}),
            "4");
}

TEST_F(RateLimiterTest, ARefusedCallConsumesNothingFromTheOtherBucket) {
  Make("*=user:0.001:1,ip:0.001:3");
  const std::string m = "turnstile.v1.Inventory.GetSku";
  ASSERT_EQ(Check(kGetSku, "alice", kIpA).kind, Kind::kAllowed);
  // alice is out of tokens; her refused calls leave the IP bucket alone.
  auto before = SharedRedis().Snapshot();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Check(kGetSku, "alice", kIpA).scope, "user");
  }
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  // So the IP still has 2 tokens for others.
  EXPECT_EQ(Check(kGetSku, "bob", kIpA).kind, Kind::kAllowed);
  EXPECT_EQ(Check(kGetSku, "carol", kIpA).kind, Kind::kAllowed);
  // Now the IP is empty: dave is refused by it, and his own bucket is not
  // even created.
  before = SharedRedis().Snapshot();
  const auto d = Check(kGetSku, "dave", kIpA);
  EXPECT_EQ(d.kind, Kind::kLimited);
  EXPECT_EQ(d.scope, "ip");
  EXPECT_EQ(SharedRedis().Snapshot(), before);
  EXPECT_EQ(SharedRedis().Run({"EXISTS", UserKey(m, "dave")}), "0");
  // dave elsewhere has his full bucket.
  EXPECT_EQ(Check(kGetSku, "dave", kIpB).kind, Kind::kAllowed);
}

TEST_F(RateLimiterTest, BothEmptyReportsTheLongerWait) {
  Make("*=user:0.5:1,ip:0.001:1");
  ASSERT_EQ(Check(kGetSku, "alice", kIpA).kind, Kind::kAllowed);
  const auto d = Check(kGetSku, "alice", kIpA);
  EXPECT_EQ(d.kind, Kind::kLimited);
  EXPECT_EQ(d.scope, "ip");  // 1000 s, not the user's 2 s
  EXPECT_GT(d.retry_after_ms, 990000);
}

TEST_F(RateLimiterTest, IdleBucketsExpire) {
  Make(std::string(kWallet) + "=user:2:5,ip:1:3;*=user:1000:1,ip:off");
  ASSERT_EQ(Check(kWallet, "alice", kIpA).kind, Kind::kAllowed);
  const std::string m = "turnstile.v1.Payment.GetWallet";
  // Full again after one interval (500 ms / 1000 ms) + the 1 s margin.
  const int64_t user_ttl =
      std::stoll(SharedRedis().Run({"PTTL", UserKey(m, "alice")}));
  const int64_t ip_ttl =
      std::stoll(SharedRedis().Run({"PTTL", IpKey(m, kIpA)}));
  EXPECT_GT(user_ttl, 1300);
  EXPECT_LE(user_ttl, 1500);
  EXPECT_GT(ip_ttl, 1800);
  EXPECT_LE(ip_ttl, 2000);
  // Each use moves the expiry out by what it took.
  ASSERT_EQ(Check(kWallet, "alice", kIpA).kind, Kind::kAllowed);
  EXPECT_GT(std::stoll(SharedRedis().Run({"PTTL", UserKey(m, "alice")})), 1800);

  // A fast bucket is gone about a second after its last use.
  ASSERT_EQ(Check(kGetSku, "bob", kIpA).kind, Kind::kAllowed);
  const std::string key = UserKey("turnstile.v1.Inventory.GetSku", "bob");
  EXPECT_EQ(SharedRedis().Run({"EXISTS", key}), "1");
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  while (SharedRedis().Run({"EXISTS", key}) == "1" && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(SharedRedis().Run({"EXISTS", key}), "0");
}

TEST_F(RateLimiterTest, UnlimitedCallsDoNotTouchRedis) {
  Make(std::string(kWallet) + "=user:1:1,ip:off");
  // Anonymous on a method with only a user bucket; a method without an
  // entry and no "*".
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(Check(kWallet, "", kIpA).kind, Kind::kAllowed);
    EXPECT_EQ(Check(kGetSku, "alice", kIpA).kind, Kind::kAllowed);
  }
  EXPECT_TRUE(SharedRedis().RunList({"KEYS", "*"}).empty());
  Make("");
  EXPECT_EQ(Check(kWallet, "alice", kIpA).kind, Kind::kAllowed);
  EXPECT_TRUE(SharedRedis().RunList({"KEYS", "*"}).empty());
}

TEST_F(RateLimiterTest, AUserIdThatCannotBeAKeyKeepsTheIpBucket) {
  Make("*=user:0.001:1,ip:0.001:2");
  // The JWT check refuses such subjects; should one slip through, it is
  // still limited by its address.
  for (const std::string& user :
       {std::string("bad user"), std::string(65, 'a')}) {
    EXPECT_EQ(Check(kGetSku, user, kIpA).kind, Kind::kAllowed);
  }
  const auto d = Check(kGetSku, "{x}", kIpA);
  EXPECT_EQ(d.kind, Kind::kLimited);
  EXPECT_EQ(d.scope, "ip");
  EXPECT_EQ(
      SharedRedis().RunList({"KEYS", "*"}),
      std::vector<std::string>{IpKey("turnstile.v1.Inventory.GetSku", kIpA)});
}

TEST_F(RateLimiterTest, Ipv6ClientsOfOnePrefixShareABucket) {
  Make("*=user:off,ip:0.001:2");
  EXPECT_EQ(Check(kGetSku, "", "2001:db8:1:2::1").kind, Kind::kAllowed);
  EXPECT_EQ(Check(kGetSku, "", "[2001:db8:1:2:ffff::9]").kind, Kind::kAllowed);
  EXPECT_EQ(Check(kGetSku, "", "2001:db8:1:2::3").kind, Kind::kLimited);
  EXPECT_EQ(Check(kGetSku, "", "2001:db8:1:3::1").kind, Kind::kAllowed);
  EXPECT_EQ(
      SharedRedis().Run(
          {"EXISTS", IpKey("turnstile.v1.Inventory.GetSku", "2001:db8:1:2::"),
           IpKey("turnstile.v1.Inventory.GetSku", "2001:db8:1:3::")}),
      "2");
}

TEST_F(RateLimiterTest, ConcurrentCallersGetExactlyTheBurst) {
  Make("*=user:0.001:37,ip:off");
  std::atomic<int> allowed{0}, limited{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        const auto d = limiter_->Check(kGetSku, "alice", kIpA);
        (d.kind == Kind::kAllowed ? allowed : limited).fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 37);
  EXPECT_EQ(limited.load(), 63);
  EXPECT_EQ(Refused(kGetSku, "user"), 63);
}

// The asynchronous path batches the calls of many threads into pipelined
// round trips; the decisions are the same as Check's.
TEST_F(RateLimiterTest, AsyncBatchesGiveExactlyTheBurst) {
  Make("*=user:0.001:37,ip:0.001:1000");
  std::atomic<int> allowed{0}, limited{0}, pending{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        pending.fetch_add(1);
        limiter_->CheckAsync(
            kGetSku, "alice", kIpA, [&](RateLimiter::Decision d) {
              (d.kind == Kind::kAllowed ? allowed : limited).fetch_add(1);
              pending.fetch_sub(1);
            });
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto deadline = Clock::now() + std::chrono::seconds(5);
  while (pending.load() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(pending.load(), 0);
  EXPECT_EQ(allowed.load(), 37);
  EXPECT_EQ(limited.load(), 163);
  // The IP bucket lost exactly one token per allowed call.
  const std::string tokens = SharedRedis().Run(
      {"HGET", "ts:{rl:turnstile.v1.Inventory.GetSku}:ip:203.0.113.1",
       "utokens"});
  EXPECT_NEAR(std::stod(tokens) / 1e6, 1000 - 37, 0.5);
}

TEST_F(RateLimiterTest, AsyncBatchReloadsAFlushedScript) {
  Make("*=user:1:5,ip:off");
  auto wait = [&](const char* user) {
    std::promise<RateLimiter::Decision> p;
    limiter_->CheckAsync(kGetSku, user, kIpA,
                         [&](RateLimiter::Decision d) { p.set_value(d); });
    return p.get_future().get();
  };
  EXPECT_EQ(wait("alice").kind, Kind::kAllowed);
  SharedRedis().Run({"SCRIPT", "FLUSH"});
  const int64_t reloads = redis_->script_reloads();
  EXPECT_EQ(wait("bob").kind, Kind::kAllowed);
  EXPECT_EQ(redis_->script_reloads(), reloads + 1);
  // It ran once: bob has 4 tokens left.
  const std::string tokens = SharedRedis().Run(
      {"HGET", "ts:{rl:turnstile.v1.Inventory.GetSku}:u:bob", "utokens"});
  EXPECT_NEAR(std::stod(tokens) / 1e6, 4, 0.01);
}

TEST_F(RateLimiterTest, AsyncFallsBackWhenRedisIsStopped) {
  Make(std::string(kPlace) + "=user:1:2,ip:off,fail_closed;*=user:1:2,ip:off");
  SharedRedis().Stop();
  std::promise<RateLimiter::Decision> closed, open;
  limiter_->CheckAsync(kPlace, "alice", kIpA,
                       [&](RateLimiter::Decision d) { closed.set_value(d); });
  const auto c = closed.get_future().get();
  EXPECT_EQ(c.kind, Kind::kUnavailable);
  limiter_->CheckAsync(kGetSku, "alice", kIpA,
                       [&](RateLimiter::Decision d) { open.set_value(d); });
  EXPECT_EQ(open.get_future().get().kind, Kind::kAllowed);
  EXPECT_TRUE(limiter_->degraded());
}

TEST_F(RateLimiterTest, MethodLabelsAreBounded) {
  Make(std::string(kPlace) + "=user:1:1,ip:off,fail_closed;*=user:1:1,ip:off");
  // Configured methods are labelled from the start; methods under "*" when
  // first checked; a path that cannot be a method never.
  EXPECT_EQ(Refused(kPlace, "user"), 0);
  EXPECT_EQ(Refused(kGetSku, "user"), -1);
  Check(kGetSku, "alice", kIpA);
  EXPECT_EQ(Refused(kGetSku, "user"), 0);
  Check("/not a method", "alice", kIpA);
  Check("", "alice", kIpA);
  for (const auto& labels :
       Series(registry_, "turnstile_gateway_ratelimit_refused_total")) {
    EXPECT_TRUE(labels.at("method") == kPlace || labels.at("method") == kGetSku)
        << labels.at("method");
  }
  // Those bad paths were decided by the "*" fallback (open), not keyed.
  EXPECT_EQ(Fallbacks("open"), 2);
  EXPECT_EQ(SharedRedis().RunList({"KEYS", "*"}).size(), 1u);
}

TEST_F(RateLimiterTest, ScriptRefusesInvalidArgumentsAndChangesNothing) {
  const std::string m = "turnstile.v1.Order.PlaceOrder";
  const std::string ku = UserKey(m, "alice"), ki = IpKey(m, "10.0.0.1");
  // A bucket exists, so "changes nothing" covers an update too.
  ASSERT_TRUE(absl::StartsWith(Eval({ku, ki}, {"user", "alice", "1000", "5",
                                               "ip", "10.0.0.1", "1000", "5"}),
                               "OK,4"));
  const auto before = SharedRedis().Snapshot();
  ASSERT_EQ(before.size(), 2u);
  struct Case {
    std::vector<std::string> keys, args;
  };
  const std::vector<Case> cases = {
      {{}, {}},
      {{ku, ki, ku}, {}},
      {{ku}, {"user", "alice", "1000"}},
      {{ku}, {"user", "alice", "1000", "5", "x"}},
      {{ku}, {"session", "alice", "1000", "5"}},
      {{ku}, {"User", "alice", "1000", "5"}},
      {{ku}, {"user", "", "1000", "5"}},
      {{ku}, {"user", "al ice", "1000", "5"}},
      {{ku}, {"user", std::string(65, 'a'), "1000", "5"}},
      {{ku}, {"user", "alice", "0", "5"}},
      {{ku}, {"user", "alice", "-1", "5"}},
      {{ku}, {"user", "alice", "1.5", "5"}},
      {{ku}, {"user", "alice", "1e3", "5"}},
      {{ku}, {"user", "alice", "1000000001", "5"}},
      {{ku}, {"user", "alice", "1000", "0"}},
      {{ku}, {"user", "alice", "1000", "1000000001"}},
      {{ku}, {"user", "alice", "1000", " 5"}},
      // Keys that do not match the arguments or the layout.
      {{ku}, {"user", "bob", "1000", "5"}},
      {{ku}, {"ip", "alice", "1000", "5"}},
      {{ki, ku}, {"user", "alice", "1000", "5", "ip", "10.0.0.1", "1000", "5"}},
      {{ku, ku}, {"user", "alice", "1000", "5", "user", "alice", "1000", "5"}},
      {{ku, IpKey("turnstile.v1.Seat.GetSeatMap", "10.0.0.1")},
       {"user", "alice", "1000", "5", "ip", "10.0.0.1", "1000", "5"}},
      {{"ts:{rl:bad/method}:u:alice"}, {"user", "alice", "1000", "5"}},
      {{"ts:{sku:" + m + "}:u:alice"}, {"user", "alice", "1000", "5"}},
      {{"rl:" + m + ":u:alice"}, {"user", "alice", "1000", "5"}},
      {{ku + "x"}, {"user", "alice", "1000", "5"}},
  };
  for (const Case& c : cases) {
    const std::string reply = Eval(c.keys, c.args);
    EXPECT_TRUE(absl::StartsWith(reply, "INVALID_ARGUMENT,"))
        << reply << " for " << c.args.size() << " args";
  }
  EXPECT_EQ(SharedRedis().Snapshot(), before);
}

TEST_F(RateLimiterTest, ScriptRepliesAndState) {
  const std::string ku = UserKey("a.B", "u1");
  // 1 token/s (1000 micro-tokens/ms), burst 3.
  EXPECT_EQ(Eval({ku}, {"user", "u1", "1000", "3"}), "OK,2");
  EXPECT_EQ(Eval({ku}, {"user", "u1", "1000", "3"}), "OK,1");
  EXPECT_EQ(Eval({ku}, {"user", "u1", "1000", "3"}), "OK,0");
  const std::string limited = Eval({ku}, {"user", "u1", "1000", "3"});
  ASSERT_TRUE(absl::StartsWith(limited, "LIMITED,")) << limited;
  EXPECT_TRUE(absl::EndsWith(limited, ",user")) << limited;
  // A smaller burst than the stored tokens caps them (config change).
  SharedRedis().Run({"HSET", ku, "utokens", "9000000"});
  EXPECT_EQ(Eval({ku}, {"user", "u1", "1000", "2"}), "OK,1");
  // Corrupt fields read as a full bucket; another type is a Redis error.
  SharedRedis().Run({"HSET", ku, "utokens", "abc"});
  EXPECT_EQ(Eval({ku}, {"user", "u1", "1000", "2"}), "OK,1");
  SharedRedis().Run({"DEL", ku});
  SharedRedis().Run({"SET", ku, "x"});
  EXPECT_TRUE(
      absl::StartsWith(Eval({ku}, {"user", "u1", "1000", "2"}), "error: "));
}

TEST_F(RateLimiterTest, WrongTypeKeyFallsBackWithoutBackoff) {
  Make(std::string(kPlace) + "=user:1:1,ip:off,fail_closed");
  SharedRedis().Run(
      {"SET", UserKey("turnstile.v1.Order.PlaceOrder", "alice"), "x"});
  const auto d = Check(kPlace, "alice", kIpA);
  EXPECT_EQ(d.kind, Kind::kUnavailable);
  EXPECT_FALSE(limiter_->degraded());
  // Others are still limited by Redis.
  EXPECT_EQ(Check(kPlace, "bob", kIpA).kind, Kind::kAllowed);
  EXPECT_EQ(Check(kPlace, "bob", kIpA).kind, Kind::kLimited);
  EXPECT_EQ(Fallbacks("closed"), 1);
}

TEST_F(RateLimiterTest, RedisStoppedFallsBackFastAndRecovers) {
  RateLimiterOptions options;
  options.backoff = std::chrono::milliseconds(500);
  Make(std::string(kPlace) + "=user:1:2,ip:off,fail_closed;*=user:1:2,ip:off",
       options);
  ASSERT_EQ(Check(kPlace, "alice", kIpA).kind, Kind::kAllowed);
  EXPECT_EQ(Degraded(), 0);

  SharedRedis().Stop();
  const auto start = Clock::now();
  int open = 0, closed = 0;
  for (int i = 0; i < 100; ++i) {
    const auto d = Check(i % 2 ? kPlace : kGetSku, "alice", kIpA);
    if (i % 2) {
      ASSERT_EQ(d.kind, Kind::kUnavailable) << i;
      EXPECT_EQ(d.retry_after_ms, 500);
      ++closed;
    } else {
      ASSERT_EQ(d.kind, Kind::kAllowed) << i;
      ++open;
    }
  }
  const int64_t took = Ms(Clock::now() - start);
  std::printf("100 calls with redis stopped: %lld ms\n",
              static_cast<long long>(took));
  // One failed attempt (connection refused), then the backoff.
  EXPECT_LT(took, 250);
  EXPECT_EQ(Fallbacks("open"), open);
  EXPECT_EQ(Fallbacks("closed"), closed);
  EXPECT_EQ(Degraded(), 1);
  EXPECT_TRUE(limiter_->degraded());

  // After the backoff one call probes, fails, and the backoff starts over.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(Check(kPlace, "alice", kIpA).kind, Kind::kUnavailable);
  EXPECT_EQ(Degraded(), 1);

  // Back (empty, scripts flushed): within a backoff the limits apply again.
  SharedRedis().StartAgain();
  const auto deadline = Clock::now() + std::chrono::seconds(3);
  RateLimiter::Decision d;
  while ((d = Check(kPlace, "alice", kIpA)).kind == Kind::kUnavailable &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(d.kind, Kind::kAllowed);
  EXPECT_EQ(Degraded(), 0);
  EXPECT_FALSE(limiter_->degraded());
  EXPECT_EQ(Check(kPlace, "alice", kIpA).kind, Kind::kAllowed);
  d = Check(kPlace, "alice", kIpA);
  EXPECT_EQ(d.kind, Kind::kLimited);
  EXPECT_EQ(d.scope, "user");
  EXPECT_GE(redis_->script_reloads(), 1);
}

// A server that accepts connections and never answers (a hung Redis).
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(fd_, 64) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::abort();
    }
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(RateLimiterTest, HungRedisCostsOneTimeoutPerBackoff) {
  SilentServer silent;
  RedisOptions o = LimiterRedisOptions(SharedRedis().Options(4));
  o.port = silent.port();
  redis_ = std::make_shared<RedisClient>(o);
  RateLimiterOptions options;
  options.command_timeout = std::chrono::milliseconds(100);
  options.backoff = std::chrono::milliseconds(1000);
  Make(std::string(kPlace) + "=user:1:2,ip:off,fail_closed;*=user:1:2,ip:off",
       options);

  // Four IO threads at once: the first calls each wait for the timeout,
  // everything after that is decided at once.
  const auto start = Clock::now();
  std::atomic<int> unavailable{0}, allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const auto d = limiter_->Check(t % 2 ? kPlace : kGetSku, "alice", kIpA);
        (d.kind == Kind::kUnavailable ? unavailable : allowed).fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  const int64_t took = Ms(Clock::now() - start);
  std::printf("100 calls on 4 threads with redis hung: %lld ms\n",
              static_cast<long long>(took));
  EXPECT_LT(took, 400);
  EXPECT_GE(took, 90);  // somebody did wait for the timeout
  EXPECT_EQ(unavailable.load(), 50);
  EXPECT_EQ(allowed.load(), 50);
  EXPECT_EQ(Fallbacks("open") + Fallbacks("closed"), 100);
  EXPECT_EQ(Degraded(), 1);
}

TEST_F(RateLimiterTest, CostOfOneCheck) {
  Make("*=user:1000000:1000000000,ip:1000000:1000000000");
  for (int i = 0; i < 200; ++i) Check(kGetSku, "alice", kIpA);  // warm up
  constexpr int kCalls = 3000;
  const auto start = Clock::now();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_EQ(Check(kGetSku, "alice", kIpA).kind, Kind::kAllowed);
  }
  const double us =
      std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
      kCalls;
  std::printf("one Check (user + ip buckets, loopback redis): %.1f us\n", us);
  EXPECT_LT(us, 5000);
}

}  // namespace
}  // namespace turnstile::gateway
