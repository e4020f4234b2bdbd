// Order.PlaceOrder through the real gateway for queued products (issue 11
// item 3): refused FAILED_PRECONDITION NOT_ADMITTED before the order
// service is called -- without a pass, with a forged or tampered one, with
// another user's or another product's, with one signed by the right key but
// for no live admission, one that has expired, one naming another expiry --
// and accepted with the caller's valid pass, which serves retries and
// further orders of that product until it expires (bounded, not
// single-use). Orders of unqueued products, and of everything once the
// queue is removed or the waiting room is off, need no pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/gateway/jwt/base64url.h"
#include "services/gateway/jwt/jwt_mint.h"
#include "services/gateway/waiting_room/queue_pass.h"
#include "tests/support/gateway_process.h"
#include "tests/support/mesh_test.h"
#include "tests/support/waiting_room_client.h"

namespace turnstile::testing {
namespace {

class WaitingRoomPassTest : public MeshTest {
 protected:
  void StartGateway(const std::vector<std::string>& args = {}) {
    gateway_ = std::make_unique<GatewayProcess>(mesh());
    args_ = {kGenerousRateLimits};  // `args` may override it
    args_.insert(args_.end(), args.begin(), args.end());
    ASSERT_TRUE(gateway_->Start(args_));
    room_ = std::make_unique<WaitingRoomClient>(gateway_->port());
    admin_ = gateway_->Token("ops", /*admin=*/true);
  }
  void TearDown() override {
    if (HasFailure() && gateway_) gateway_->DumpLog(40);
    gateway_.reset();
    MeshTest::TearDown();
  }
  std::string Buyer(const std::string& user) { return gateway_->Token(user); }
  void Queue(const v1::QueuedProduct& p, double rate) {
    ASSERT_EQ(room_->Configure(admin_, p, rate, 0, 60).code, 0);
  }
  // Joins a fast queue and waits (at most 2 s) to be admitted; the pass.
  std::string Admit(const std::string& user, const v1::QueuedProduct& p) {
    v1::QueueTicket t;
    const WebReply r = room_->Join(Buyer(user), p, &t);
    EXPECT_EQ(r.code, 0) << r.reason;
    for (int i = 0; i < 100 && !t.admitted(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      room_->Ticket(Buyer(user), p, &t);
    }
    EXPECT_TRUE(t.admitted()) << user;
    return t.pass();
  }
  // A pass signed with the gateway's own (derived) key, as an attacker who
  // stole it could; the test then checks what Redis still demands.
  std::string SignedPass(const gateway::QueueProduct& p,
                         const std::string& user, int64_t expiry_ms) {
    auto secret = gateway::ReadHs256Secret(gateway_->secret_file());
    EXPECT_TRUE(secret.ok());
    auto signer = gateway::PassSigner::Create(gateway::DerivePassKey(*secret));
    return signer->Sign(p, user, expiry_ms);
  }
  std::string OrderCount() {
    return mesh().Query("order", "SELECT count(*) FROM orders");
  }
  std::string Metrics() {
    return HttpCall(gateway_->metrics_port(), "GET", "/metrics", {}).body;
  }
  void ExpectNotAdmitted(const WebReply& r, const std::string& why,
                         const std::string& what) {
    EXPECT_EQ(r.code, 9) << what << ": " << r.reason;
    EXPECT_EQ(r.reason, "NOT_ADMITTED") << what;
    EXPECT_EQ(r.meta("why"), why) << what;
  }

  std::vector<std::string> args_;  // the gateway's flags
  std::unique_ptr<GatewayProcess> gateway_;
  std::unique_ptr<WaitingRoomClient> room_;
  std::string admin_;
};

TEST_F(WaitingRoomPassTest, PlaceOrderNeedsTheCallersValidPassForThatProduct) {
  shop().CreateSku("wp-flash", 20);
  shop().CreateSku("wp-other", 20);
  shop().CreateSku("wp-plain", 20);
  for (const char* u : {"alice", "bob", "carol"}) shop().Deposit(u, 1000000);
  StartGateway();
  const auto flash = Sku("wp-flash");
  Queue(flash, 1000);
  Queue(Sku("wp-other"), 1000);
  const std::string alice = Admit("alice", flash);
  const std::string bob = Admit("bob", flash);
  const std::string alice_other = Admit("alice", Sku("wp-other"));
  const std::string token = Buyer("alice");
  auto order = [](int n) {
    return StockOrder(absl::StrCat("wp-", n), "wp-flash");
  };
  const gateway::QueueProduct flash_p{gateway::QueueProduct::kSku, "wp-flash"};
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  // A pass with its payload changed (another user) under the old MAC.
  std::string tampered = alice;
  {
    const size_t dot = tampered.find('.', 5);
    tampered = absl::StrCat("tsp1.",
                            gateway::Base64UrlEncode(absl::StrCat(
                                "sku:wp-flash|carol|", now_ms + 60000)),
                            tampered.substr(dot));
  }
  struct Case {
    const char* what;
    std::vector<std::string> passes;
    const char* why;
  };
  const std::vector<Case> refused = {
      {"no pass", {}, "NO_PASS"},
      {"garbage", {"not-a-pass"}, "NO_PASS"},
      {"forged", {"tsp1.c2t1Ondw|YWxpY2V8OTk5OTk5OTk5OTk5OQ.AAAA"}, "NO_PASS"},
      {"another user's", {bob}, "NO_PASS"},
      {"another product's", {alice_other}, "NO_PASS"},
      {"tampered payload", {tampered}, "NO_PASS"},
      {"truncated MAC", {alice.substr(0, alice.size() - 2)}, "NO_PASS"},
      {"signed, expired",
       {SignedPass(flash_p, "alice", now_ms - 1000)},
       "EXPIRED"},
      {"signed, another expiry",
       {SignedPass(flash_p, "alice", now_ms + 3600000)},
       "MISMATCH"},
  };
  for (const Case& c : refused) {
    ExpectNotAdmitted(room_->Place(token, order(0), c.passes), c.why, c.what);
  }
  // carol holds a validly signed pass but was never admitted.
  ExpectNotAdmitted(
      room_->Place(Buyer("carol"), order(0),
                   {SignedPass(flash_p, "carol", now_ms + 60000)}),
      "NOT_ADMITTED", "signed, never admitted");
  // A mixed order is refused whole.
  v1::PlaceOrderRequest mixed = StockOrder("wp-mixed", "wp-plain");
  auto* line = mixed.add_lines();
  line->set_sku_id("wp-flash");
  line->set_quantity(1);
  ExpectNotAdmitted(room_->Place(token, mixed), "NO_PASS", "mixed order");
  // None of these reached the order service.
  EXPECT_EQ(OrderCount(), "0");
  EXPECT_EQ(shop().GetSku("wp-flash").available(), 20);
  EXPECT_NE(Metrics().find("turnstile_gateway_queue_refused_total{reason="
                           "\"NOT_ADMITTED\"} 11"),
            std::string::npos)
      << Metrics();

  // The valid pass: accepted, also among other (bad) passes and as a
  // comma-separated list; and again for a retry and a second order until
  // it expires.
  EXPECT_EQ(room_->Place(token, order(1), {alice}).code, 0);
  EXPECT_EQ(room_->Place(token, order(1), {alice}).code, 0);  // retry
  EXPECT_EQ(room_->Place(token, order(2), {bob, "junk", alice}).code, 0);
  EXPECT_EQ(room_->Place(token, order(3), {bob + ", " + alice}).code, 0);
  EXPECT_EQ(room_->Place(token, mixed, {alice}).code, 0);
  EXPECT_EQ(OrderCount(), "4");
  EXPECT_EQ(shop().GetSku("wp-flash").available(), 16);
  EXPECT_NE(Metrics().find("turnstile_gateway_queue_passes_accepted_total 5"),
            std::string::npos);
  // Used, alice's slot is not given back when her pass expires.
  EXPECT_EQ(
      mesh().redis().Run({"HGET", "ts:{qs:wp-flash}:user", "alice"}).back(),
      '1');
  // Unqueued products need no pass; neither do seat-only orders.
  EXPECT_EQ(room_->Place(token, StockOrder("wp-plain-1", "wp-plain")).code, 0);
  shop().CreateEvent("wp-gig", 1, 2);
  v1::PlaceOrderRequest seats;
  seats.set_request_id("wp-seats-1");
  auto* seat_line = seats.add_lines();
  seat_line->set_event_id("wp-gig");
  seat_line->add_seat_ids("A-1-1");
  seats.set_pay_now(true);
  EXPECT_EQ(room_->Place(token, seats).code, 0);
  // Removing the queue lifts the check.
  ASSERT_EQ(room_->Configure(admin_, flash, 0, 0, 0, false).code, 0);
  EXPECT_EQ(room_->Place(Buyer("carol"), order(4)).code, 0);
}

TEST_F(WaitingRoomPassTest, QueuedTrainRunNeedsAPassForItsLegs) {
  StartGateway();
  const auto run = TrainRun("wp-run");
  Queue(run, 1000);
  v1::PlaceOrderRequest req;
  req.set_request_id("wp-leg-1");
  auto* leg = req.add_lines()->mutable_leg();
  leg->set_run_id("wp-run");
  leg->set_from_stop(0);
  leg->set_to_stop(1);
  leg->set_class_id("std");
  auto* passenger = leg->add_passengers();
  passenger->set_doc_id("D-1");
  const std::string token = Buyer("dana");
  ExpectNotAdmitted(room_->Place(token, req), "NO_PASS", "leg without pass");
  // A SKU's pass of the same id is not the run's.
  Queue(Sku("wp-run"), 1000);
  ExpectNotAdmitted(room_->Place(token, req, {Admit("dana", Sku("wp-run"))}),
                    "NO_PASS", "the SKU's pass");
  // With the run's pass the gateway lets it through: the order service
  // answers (this run does not exist there).
  const WebReply through = room_->Place(token, req, {Admit("dana", run)});
  EXPECT_NE(through.reason, "NOT_ADMITTED");
  EXPECT_NE(through.code, 9) << through.reason;
}

TEST_F(WaitingRoomPassTest, WaitingRoomOffServesNoQueueAndChecksNothing) {
  shop().CreateSku("wp-off", 5);
  shop().Deposit("erin", 100000);
  StartGateway();
  Queue(Sku("wp-off"), 0.1);
  EXPECT_EQ(room_->Place(Buyer("erin"), StockOrder("wp-off-1", "wp-off")).code,
            9);
  ASSERT_EQ(gateway_->Stop(), 0);
  ASSERT_TRUE(gateway_->Start({kGenerousRateLimits, "--waiting_room=false"}));
  const WebReply join = room_->Join(Buyer("erin"), Sku("wp-off"));
  EXPECT_EQ(join.code, 14);
  EXPECT_EQ(join.reason, "WAITING_ROOM_OFF");
  EXPECT_EQ(room_->Place(Buyer("erin"), StockOrder("wp-off-2", "wp-off")).code,
            0);
}

TEST_F(WaitingRoomPassTest, RedisDownClosesTheCheck) {
  shop().CreateSku("wp-down", 5);
  shop().Deposit("hal", 100000);
  // No rate limiter (it would refuse PlaceOrder first with Redis down), so
  // that the waiting room's own check meets the outage.
  StartGateway({"--rate_limits="});
  Queue(Sku("wp-down"), 1000);
  const std::string pass = Admit("hal", Sku("wp-down"));
  mesh().redis().Stop();
  for (const auto& passes : {std::vector<std::string>{}, {pass}}) {
    const WebReply r =
        room_->Place(Buyer("hal"), StockOrder("wp-down-1", "wp-down"), passes);
    EXPECT_EQ(r.code, 14) << r.reason;
    EXPECT_EQ(r.reason, "REDIS_UNAVAILABLE");
  }
  const WebReply join = room_->Join(Buyer("ivy"), Sku("wp-down"));
  EXPECT_EQ(join.code, 14);
  EXPECT_EQ(OrderCount(), "0");
  mesh().redis().StartAgain();
}

// turnstile_gateway_queue_order_checks_total{source} as a number.
double Checks(const std::string& metrics, const std::string& source) {
  const std::string key = absl::StrCat(
      "turnstile_gateway_queue_order_checks_total{source=\"", source, "\"} ");
  const size_t at = metrics.find(key);
  if (at == std::string::npos) return -1;
  return std::atof(metrics.c_str() + at + key.size());
}

TEST_F(WaitingRoomPassTest,
       UnqueuedProductsAskRedisOnceThenNotUntilTheCacheLapses) {
  shop().CreateSku("wp-cached", 1000);
  shop().Deposit("fay", 10000000);
  StartGateway();
  const std::string token = Buyer("fay");
  int n = 0;
  auto place = [&] {
    return room_->Place(token,
                        StockOrder(absl::StrCat("wp-c-", ++n), "wp-cached"));
  };
  ASSERT_EQ(place().code, 0);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(place().code, 0);
  std::string m = Metrics();
  EXPECT_EQ(Checks(m, "redis"), 1) << m;
  EXPECT_EQ(Checks(m, "local"), 5);
  // Seat-only orders never ask.
  shop().CreateEvent("wp-cgig", 1, 4);
  v1::PlaceOrderRequest seats;
  seats.set_request_id("wp-cseats");
  auto* line = seats.add_lines();
  line->set_event_id("wp-cgig");
  line->add_seat_ids("A-1-2");
  seats.set_pay_now(true);
  EXPECT_EQ(room_->Place(token, seats).code, 0);
  EXPECT_EQ(Checks(Metrics(), "redis"), 1);
  // Queued through another replica: this one refuses within the cache
  // time (1 s by default), never later.
  GatewayProcess other(mesh());
  ASSERT_TRUE(other.Start({kGenerousRateLimits}));
  ASSERT_EQ(WaitingRoomClient(other.port())
                .Configure(other.Token("ops", true), Sku("wp-cached"), 0.1)
                .code,
            0);
  const auto queued_at = std::chrono::steady_clock::now();
  WebReply r;
  while ((r = place()).code == 0 &&
         std::chrono::steady_clock::now() - queued_at <
             std::chrono::seconds(3)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(r.reason, "NOT_ADMITTED");
  EXPECT_LT(std::chrono::steady_clock::now() - queued_at,
            std::chrono::milliseconds(2000));
  // Configured through this gateway: it asks Redis at once.
  ASSERT_EQ(room_->Configure(admin_, Sku("wp-cached"), 0, 0, 0, false).code, 0);
  EXPECT_EQ(place().code, 0);
  ASSERT_EQ(room_->Configure(admin_, Sku("wp-cached"), 0.1).code, 0);
  EXPECT_EQ(place().reason, "NOT_ADMITTED");
}

// Not a pass/fail measurement (2 shared cores): PlaceOrder of an unqueued
// product through the gateway with the cache and with
// --queue_config_cache_ms=0 (a queue_use round trip every order), printed.
TEST_F(WaitingRoomPassTest, MeasuresUnqueuedPlaceOrderWithAndWithoutTheCache) {
  shop().CreateSku("wp-bench", 100000);
  shop().Deposit("gus", 1000000000);
  const std::string sku = "wp-bench";
  for (const std::string cache : {"1000", "0"}) {
    StartGateway({"--queue_config_cache_ms=" + cache});
    const std::string token = Buyer("gus");
    std::vector<double> ms;
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 60; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      const WebReply r = room_->Place(
          token, StockOrder(absl::StrCat("wp-b-", cache, "-", i), sku));
      ms.push_back(std::chrono::duration<double, std::milli>(
                       std::chrono::steady_clock::now() - t0)
                       .count());
      ASSERT_EQ(r.code, 0) << r.reason;
    }
    std::sort(ms.begin() + 10, ms.end());  // the first 10 warm up
    std::printf(
        "PlaceOrder unqueued, --queue_config_cache_ms=%s: median "
        "%.2f ms, p90 %.2f ms (50 calls); redis checks %.0f\n",
        cache.c_str(), ms[10 + 25], ms[10 + 45], Checks(Metrics(), "redis"));
    // With the cache: one Redis check per cache time (1 s) at most.
    const double seconds = std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - started)
                               .count();
    if (cache == "0") {
      EXPECT_EQ(Checks(Metrics(), "redis"), 60);
    } else {
      EXPECT_GE(Checks(Metrics(), "redis"), 1);
      EXPECT_LE(Checks(Metrics(), "redis"), 1 + std::floor(seconds));
    }
    gateway_.reset();
  }
}

}  // namespace
}  // namespace turnstile::testing
