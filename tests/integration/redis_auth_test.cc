// Redis AUTH: the test servers require a password like the local stack's
// (tests/support/redis_server.h). A client without it, or with a wrong one,
// is refused and sees UNAVAILABLE (the gate is unusable, as if Redis were
// down) without the password in any message; RedisClient with it works and
// authenticates again on the new connections after a Redis restart; and
// turnstile-inventory with --redis_password_file uses the gate, while
// without it a Try is refused before PostgreSQL changes anything.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>

#include "services/common/redis_client.h"
#include "services/common/status.h"
#include "services/common/uuid.h"
#include "tests/support/inventory_harness.h"
#include "tests/support/redis_server.h"

namespace turnstile {
namespace {

using testing::SharedRedis;

TEST(RedisAuthTest, ServerRefusesAClientWithoutThePassword) {
  timeval tv{5, 0};
  redisContext* ctx =
      redisConnectWithTimeout("127.0.0.1", SharedRedis().port(), tv);
  ASSERT_TRUE(ctx != nullptr && ctx->err == 0);
  RedisReplyPtr reply(static_cast<redisReply*>(redisCommand(ctx, "PING")));
  redisFree(ctx);
  ASSERT_NE(reply, nullptr);
  EXPECT_EQ(reply->type, REDIS_REPLY_ERROR);
  EXPECT_EQ(RedisErrorText(*reply).substr(0, 6), "NOAUTH");

  RedisOptions options = SharedRedis().Options(1);
  options.password.clear();
  RedisClient client(options);
  auto ping = client.Command({"PING"});
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(ping.status()), "REDIS_UNAVAILABLE");
  // Redis's own text (NOAUTH ...) stays in the log: clients get a ref.
  EXPECT_FALSE(CorrelationIdOf(ping.status()).empty()) << ping.status();
}

TEST(RedisAuthTest, WrongPasswordIsRefusedAndNotEchoed) {
  RedisOptions options = SharedRedis().Options(1);
  options.password = "wrong-" + SharedRedis().password();
  RedisClient client(options);
  auto ping = client.Command({"PING"});
  ASSERT_FALSE(ping.ok());
  EXPECT_EQ(ping.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(ping.status()), "REDIS_UNAVAILABLE");
  EXPECT_EQ(ping.status().message().find(SharedRedis().password()),
            absl::string_view::npos);
}

TEST(RedisAuthTest, ClientWithThePasswordAuthenticatesAgainAfterARestart) {
  auto redis = testing::RedisServer::Start();
  RedisClient client(redis->Options(2));
  auto set = client.Command({"SET", "k", "v"});
  ASSERT_TRUE(set.ok()) << set.status();
  redis->Restart();  // every pooled connection is now dead
  // A fresh connection, so a fresh AUTH: the key is gone (no persistence),
  // the command works.
  auto get = client.Command({"GET", "k"});
  ASSERT_TRUE(get.ok()) << get.status();
  EXPECT_EQ((*get)->type, REDIS_REPLY_NIL);
  auto set_again = client.Command({"SET", "k", "w"});
  ASSERT_TRUE(set_again.ok()) << set_again.status();
  EXPECT_EQ(redis->Run({"GET", "k"}), "w");
}

class InventoryRedisAuthTest : public testing::InventoryHarness {
 protected:
  InventoryRedisAuthTest() : InventoryHarness("inventory_rauth", 40) {}
};

constexpr auto OK = grpc::StatusCode::OK;

TEST_F(InventoryRedisAuthTest, ServiceWithThePasswordFileUsesTheGate) {
  // Launch adds --redis_password_file of SharedRedis().
  Launch({"--metrics_listen=", RedisFlag(), "--pg_pool_size=4"});
  ASSERT_EQ(CreateSku(testing::SkuRequest("tee", 5)).code, OK);
  ASSERT_EQ(
      Reserve(testing::ReserveRequest(NewUuidV7(), "u1", {{"tee", 1}})).code,
      OK);
  EXPECT_EQ(SharedRedis().HGetAll("ts:{sku:tee}:stock").at("remaining"), "4");
  EXPECT_EQ(Stock("tee"), "4/1/0/5");
}

TEST_F(InventoryRedisAuthTest, ServiceWithoutThePasswordCannotPassTheGate) {
  // The last --redis_password_file wins: none.
  Launch({"--metrics_listen=", RedisFlag(), "--pg_pool_size=4",
          "--redis_password_file="});
  ASSERT_EQ(CreateSku(testing::SkuRequest("tee", 5)).code, OK);
  const testing::Outcome outcome =
      Reserve(testing::ReserveRequest(NewUuidV7(), "u1", {{"tee", 1}}));
  EXPECT_EQ(outcome.code, grpc::StatusCode::UNAVAILABLE) << outcome;
  EXPECT_EQ(Stock("tee"), "5/0/0/5");
  EXPECT_TRUE(SharedRedis().HGetAll("ts:{sku:tee}:stock").empty());
  EXPECT_EQ(Count("SELECT count(*) FROM reservation"), 0);
}

}  // namespace
}  // namespace turnstile
