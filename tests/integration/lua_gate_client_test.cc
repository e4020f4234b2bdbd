// The Redis client under the gate against a real redis-server: script
// loading and NOSCRIPT recovery, reconnection after a restart, timeouts,
// Redis down, error replies, and concurrent reservations that must never
// hand out more than there is.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "services/common/gate_scripts.h"
#include "services/common/redis_client.h"
#include "services/common/status.h"
#include "tests/support/metrics_reader.h"
#include "tests/support/redis_server.h"

namespace turnstile {
namespace {

using testing::SharedRedis;

std::string Key(const std::string& sku, const std::string& suffix) {
  return "ts:{sku:" + sku + "}:" + suffix;
}

std::string Gid(int i) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "0190a0b0-0000-7000-8000-%012d", i);
  return buf;
}

class GateClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SharedRedis().running()) SharedRedis().StartAgain();
    SharedRedis().FlushAll();
    ASSERT_EQ(SharedRedis().Run({"SCRIPT", "FLUSH"}), "OK");
  }

  static void InitSku(StockGate& gate, const std::string& sku,
                      int64_t remaining, int64_t limit) {
    StockInitSpec spec;
    spec.remaining = remaining;
    spec.per_user_limit = limit;
    auto r = gate.Init(sku, spec);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status, GateStatus::kOk);
  }
};

TEST_F(GateClientTest, LoadScriptsLoadsEveryEmbeddedScript) {
  // One embedded script per lua/*.lua file.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::string(TURNSTILE_SOURCE_DIR) + "/lua")) {
    if (entry.path().extension() == ".lua") ++files;
  }
  ASSERT_GE(files, 22u);
  ASSERT_EQ(EmbeddedLuaScripts().size(), files);
  RedisClient client(SharedRedis().Options());
  ASSERT_TRUE(client.LoadScripts(EmbeddedLuaScripts()).ok());
  std::vector<std::string> argv = {"SCRIPT", "EXISTS"};
  for (const LuaScript& s : EmbeddedLuaScripts()) {
    argv.emplace_back(s.sha1);
  }
  std::string loaded = "1";
  for (size_t i = 1; i < EmbeddedLuaScripts().size(); ++i) loaded += ",1";
  EXPECT_EQ(SharedRedis().Run(argv), loaded);
  EXPECT_EQ(client.script_reloads(), 0);
}

TEST_F(GateClientTest, NoscriptReloadsAndRetriesOnce) {
  RedisClient client(SharedRedis().Options(2));
  StockGate gate(&client);
  // Nothing loaded yet: the first call loads on demand.
  InitSku(gate, "sku-1", 5, 0);
  EXPECT_EQ(client.script_reloads(), 1);

  auto r = gate.Reserve("sku-1", {Gid(1), "inventory"}, "alice", 1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(client.script_reloads(), 2);

  ASSERT_EQ(SharedRedis().Run({"SCRIPT", "FLUSH"}), "OK");
  r = gate.Reserve("sku-1", {Gid(2), "inventory"}, "bob", 2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(r->remaining, 2);
  EXPECT_EQ(client.script_reloads(), 3);
  // Applied exactly once despite the NOSCRIPT round trip.
  EXPECT_EQ(SharedRedis().Run({"HGET", Key("sku-1", "stock"), "remaining"}),
            "2");
  EXPECT_EQ(SharedRedis().Run({"HLEN", Key("sku-1", "res")}), "2");

  // Loaded now: no more reloads.
  r = gate.Reserve("sku-1", {Gid(3), "inventory"}, "carol", 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(client.script_reloads(), 3);
}

TEST_F(GateClientTest, ReconnectsAfterRedisRestart) {
  RedisClient client(SharedRedis().Options(4));
  StockGate gate(&client);
  InitSku(gate, "sku-1", 1000, 0);
  // Open several pooled connections.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto r = gate.Reserve("sku-1", {Gid(t * 100 + i), "inventory"}, "u", 1);
        if (r.ok() && r->status == GateStatus::kOk) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(ok.load(), 80);

  SharedRedis().Restart();  // comes back empty, script cache empty
  EXPECT_TRUE(SharedRedis().Snapshot().empty());
  // Every pooled connection is dead; the very next call still succeeds.
  auto r = gate.Reserve("sku-1", {Gid(999), "inventory"}, "u", 1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, GateStatus::kNotInitialized);
  for (int i = 0; i < 10; ++i) {
    auto again = gate.Read("sku-1");
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->status, GateStatus::kNotInitialized);
  }
  InitSku(gate, "sku-1", 3, 0);
  r = gate.Reserve("sku-1", {Gid(999), "inventory"}, "u", 1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(SharedRedis().Run({"HGET", Key("sku-1", "stock"), "remaining"}),
            "2");
}

TEST_F(GateClientTest, UnavailableWhileRedisIsDown) {
  RedisClient client(SharedRedis().Options(2));
  StockGate gate(&client);
  InitSku(gate, "sku-1", 10, 0);
  EXPECT_EQ(testing::LocalMetric("turnstile_redis_up"), 1);
  SharedRedis().Stop();
  const auto start = std::chrono::steady_clock::now();
  auto r = gate.Reserve("sku-1", {Gid(1), "inventory"}, "alice", 1);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(r.status()), "REDIS_UNAVAILABLE");
  EXPECT_TRUE(IsTransient(r.status()));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  // Again, now without any pooled connection.
  r = gate.Reserve("sku-1", {Gid(1), "inventory"}, "alice", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ReasonOf(r.status()), "REDIS_UNAVAILABLE");
  EXPECT_EQ(testing::LocalMetric("turnstile_redis_up"), 0);

  SharedRedis().StartAgain();
  InitSku(gate, "sku-1", 10, 0);
  r = gate.Reserve("sku-1", {Gid(1), "inventory"}, "alice", 1);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, GateStatus::kOk);
  EXPECT_EQ(testing::LocalMetric("turnstile_redis_up"), 1);
}

TEST_F(GateClientTest, CommandTimeoutIsUnavailableAndTheRetryIsIdempotent) {
  RedisOptions options = SharedRedis().Options(2);
  options.command_timeout = std::chrono::milliseconds(200);
  RedisClient client(options);
  StockGate gate(&client);
  InitSku(gate, "sku-1", 10, 0);
  ASSERT_TRUE(client.LoadScripts(EmbeddedLuaScripts()).ok());

  ASSERT_EQ(SharedRedis().Run({"CLIENT", "PAUSE", "1000", "ALL"}), "OK");
  const auto start = std::chrono::steady_clock::now();
  auto r = gate.Reserve("sku-1", {Gid(1), "inventory"}, "alice", 2);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(r.status()), "REDIS_UNAVAILABLE");
  EXPECT_LT(elapsed, std::chrono::milliseconds(900));

  // Whether the timed-out call ran is unknown to the caller (here Redis drops
  // it with the closed connection); retrying is safe either way.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  r = gate.Reserve("sku-1", {Gid(1), "inventory"}, "alice", 2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->status == GateStatus::kOk ||
              r->status == GateStatus::kDuplicate);
  r = gate.Reserve("sku-1", {Gid(1), "inventory"}, "alice", 2);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, GateStatus::kDuplicate);
  EXPECT_EQ(SharedRedis().Run({"HGET", Key("sku-1", "stock"), "remaining"}),
            "8");
}

TEST_F(GateClientTest, ScriptErrorsAreInternal) {
  RedisClient client(SharedRedis().Options(1));
  StockGate gate(&client);
  ASSERT_EQ(SharedRedis().Run({"SET", Key("sku-1", "stock"), "not a hash"}),
            "OK");
  auto r = gate.Reserve("sku-1", {Gid(1), "inventory"}, "alice", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReasonOf(r.status()), "REDIS_ERROR");
  // Redis's own text goes to the log only, under the correlation id.
  EXPECT_EQ(r.status().message().find("WRONGTYPE"), std::string::npos)
      << r.status();
  EXPECT_FALSE(CorrelationIdOf(r.status()).empty()) << r.status();
  EXPECT_EQ(SharedRedis().Run({"GET", Key("sku-1", "stock")}), "not a hash");
}

TEST_F(GateClientTest, TwoHundredBuyersOfFiftyUnits) {
  RedisClient client(SharedRedis().Options(16));
  StockGate gate(&client);
  InitSku(gate, "hot", 50, 0);
  std::atomic<int> ok{0}, sold_out{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 200; ++t) {
    threads.emplace_back([&, t] {
      auto r = gate.Reserve("hot", {Gid(t), "inventory"},
                            "user-" + std::to_string(t), 1);
      if (!r.ok()) {
        ++other;
      } else if (r->status == GateStatus::kOk) {
        ++ok;
      } else if (r->status == GateStatus::kSoldOut) {
        ++sold_out;
      } else {
        ++other;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 50);
  EXPECT_EQ(sold_out.load(), 150);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(SharedRedis().Run({"HGET", Key("hot", "stock"), "remaining"}), "0");
  EXPECT_EQ(SharedRedis().Run({"HLEN", Key("hot", "res")}), "50");
  const auto users = SharedRedis().HGetAll(Key("hot", "users"));
  EXPECT_EQ(users.size(), 50u);
  for (const auto& [user, units] : users) EXPECT_EQ(units, "1") << user;
}

TEST_F(GateClientTest, ConcurrentBuyersNeverPassTheirLimit) {
  RedisClient client(SharedRedis().Options(16));
  StockGate gate(&client);
  InitSku(gate, "hot", 1000, 3);
  std::atomic<int> ok{0}, limited{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 200; ++t) {
    threads.emplace_back([&, t] {
      auto r = gate.Reserve("hot", {Gid(t), "inventory"},
                            "user-" + std::to_string(t % 20), 1);
      if (r.ok() && r->status == GateStatus::kOk) ++ok;
      if (r.ok() && r->status == GateStatus::kUserLimit) ++limited;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 60);
  EXPECT_EQ(limited.load(), 140);
  EXPECT_EQ(SharedRedis().Run({"HGET", Key("hot", "stock"), "remaining"}),
            "940");
  const auto users = SharedRedis().HGetAll(Key("hot", "users"));
  EXPECT_EQ(users.size(), 20u);
  for (const auto& [user, units] : users) EXPECT_EQ(units, "3") << user;
}

TEST_F(GateClientTest, ConcurrentRepeatsOfOneBranchApplyOnce) {
  RedisClient client(SharedRedis().Options(16));
  StockGate gate(&client);
  InitSku(gate, "hot", 100, 0);
  std::atomic<int> ok{0}, dup{0}, released{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 50; ++t) {
    threads.emplace_back([&] {
      auto r = gate.Reserve("hot", {Gid(7), "inventory"}, "alice", 5);
      if (r.ok() && r->status == GateStatus::kOk) ++ok;
      if (r.ok() && r->status == GateStatus::kDuplicate) ++dup;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(dup.load(), 49);
  EXPECT_EQ(SharedRedis().Run({"HGET", Key("hot", "stock"), "remaining"}),
            "95");
  threads.clear();
  for (int t = 0; t < 50; ++t) {
    threads.emplace_back([&] {
      auto r = gate.Release("hot", {Gid(7), "inventory"});
      if (r.ok() && r->status == GateStatus::kOk) ++released;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(released.load(), 1);
  EXPECT_EQ(SharedRedis().Run({"HGET", Key("hot", "stock"), "remaining"}),
            "100");
}

}  // namespace
}  // namespace turnstile
