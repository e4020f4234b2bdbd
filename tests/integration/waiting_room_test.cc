// The flash-sale waiting room (issue 11 item 3) end to end: the real
// turnstile-gateway over the real mesh and its Redis, called over gRPC-web.
// Joining is idempotent per user and places follow join order; buyers are
// admitted at the configured rate (counted over time); the length cap
// refuses QUEUE_FULL with RetryInfo; a pass that lapses unused gives its
// slot to the next in line (a used one does not); bad or unauthorized
// ConfigureQueue calls change nothing in Redis; and the queues live in
// Redis, so a SIGKILLed gateway comes back with every place and pass.
// (PlaceOrder's pass check is waiting_room_pass_test.cc.)
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/gateway_process.h"
#include "tests/support/mesh_test.h"
#include "tests/support/waiting_room_client.h"

namespace turnstile::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class WaitingRoomTest : public MeshTest {
 protected:
  void StartGateway(const std::vector<std::string>& args = {}) {
    gateway_ = std::make_unique<GatewayProcess>(mesh());
    args_ = args;
    args_.push_back(kGenerousRateLimits);
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
  void Queue(const v1::QueuedProduct& p, double rate, int max_length = 0,
             int pass_ttl_s = 0) {
    const WebReply r =
        room_->Configure(admin_, p, rate, max_length, pass_ttl_s);
    ASSERT_EQ(r.code, 0) << r.reason << " " << r.http.body;
  }
  // Joins as `user`, expecting a place; its ticket.
  v1::QueueTicket JoinOk(const std::string& user, const v1::QueuedProduct& p) {
    v1::QueueTicket t;
    const WebReply r = room_->Join(Buyer(user), p, &t);
    EXPECT_EQ(r.code, 0) << user << ": " << r.reason;
    return t;
  }
  v1::QueueTicket TicketOf(const std::string& user,
                           const v1::QueuedProduct& p) {
    v1::QueueTicket t;
    const WebReply r = room_->Ticket(Buyer(user), p, &t);
    EXPECT_EQ(r.code, 0) << user << ": " << r.reason;
    return t;
  }
  // Every waiting-room key in Redis with its value (the rate limiter's
  // buckets, also in Redis, change with every call).
  std::map<std::string, std::string> QueueKeys() {
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : mesh().redis().Snapshot()) {
      if (key.rfind("ts:{q", 0) == 0) out[key] = value;
    }
    EXPECT_FALSE(out.empty());
    return out;
  }
  std::string Metrics() {
    return HttpCall(gateway_->metrics_port(), "GET", "/metrics", {}).body;
  }

  std::vector<std::string> args_;  // the gateway's flags
  std::unique_ptr<GatewayProcess> gateway_;
  std::unique_ptr<WaitingRoomClient> room_;
  std::string admin_;
};

TEST_F(WaitingRoomTest, JoinIsIdempotentPerUserAndPlacesFollowJoinOrder) {
  StartGateway();
  const auto p = Sku("wr-tee");
  // 0.1 admissions per second: nobody is admitted during this test.
  Queue(p, 0.1);
  const std::vector<std::string> users = {"ann", "ben", "cat", "dan"};
  std::vector<v1::QueueTicket> first;
  for (const auto& u : users) first.push_back(JoinOk(u, p));
  for (size_t i = 0; i < users.size(); ++i) {
    EXPECT_EQ(first[i].position(), static_cast<int64_t>(i + 1)) << users[i];
    EXPECT_FALSE(first[i].admitted());
    EXPECT_TRUE(first[i].pass().empty());
    EXPECT_EQ(first[i].product().sku_id(), "wr-tee");
    // About position x 10 s at 0.1 per second.
    EXPECT_GT(first[i].estimated_wait_ms(), (i + 1) * 9000) << users[i];
    EXPECT_LE(first[i].estimated_wait_ms(), (i + 1) * 10000) << users[i];
  }
  // Joining again keeps the place and the join time; nothing is added.
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < users.size(); ++i) {
      const v1::QueueTicket again = JoinOk(users[i], p);
      EXPECT_EQ(again.position(), static_cast<int64_t>(i + 1));
      EXPECT_EQ(again.joined_at().seconds(), first[i].joined_at().seconds());
      EXPECT_EQ(again.joined_at().nanos(), first[i].joined_at().nanos());
    }
  }
  EXPECT_EQ(TicketOf("cat", p).position(), 3);
  const v1::QueueConfig q = room_->Get(p);
  EXPECT_TRUE(q.enabled());
  EXPECT_EQ(q.waiting(), 4);
  EXPECT_EQ(q.admitted(), 0);
  EXPECT_EQ(mesh().redis().Run({"ZCARD", "ts:{qs:wr-tee}:wait"}), "4");
  EXPECT_EQ(mesh().redis().Run({"HGET", "ts:{qs:wr-tee}:cfg", "seq"}), "4");
  // One who never joined has no ticket; an unqueued product has no queue.
  const WebReply none = room_->Ticket(Buyer("eve"), p);
  EXPECT_EQ(none.code, 5);
  EXPECT_EQ(none.reason, "NOT_IN_QUEUE");
  const WebReply unqueued = room_->Join(Buyer("ann"), Sku("wr-plain"));
  EXPECT_EQ(unqueued.code, 9);
  EXPECT_EQ(unqueued.reason, "NOT_QUEUED");
  EXPECT_FALSE(room_->Get(Sku("wr-plain")).enabled());
  // Gauges for queues only (anyone may ask about any id).
  const std::string metrics = Metrics();
  EXPECT_NE(
      metrics.find("turnstile_gateway_queue_waiting{product=\"sku:wr-tee\"} 4"),
      std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("sku:wr-plain"), std::string::npos);
  // Only the token's subject joins: a buyer token is needed.
  EXPECT_EQ(room_->Join("", p).code, 16);
  EXPECT_NE(
      Metrics().find(
          "turnstile_gateway_queue_refused_total{reason=\"NOT_QUEUED\"} 1"),
      std::string::npos);
}

TEST_F(WaitingRoomTest, AdmitsInJoinOrderAtTheConfiguredRate) {
  StartGateway();
  const auto p = TrainRun("wr-run-1");
  constexpr double kRate = 4;  // per second
  Queue(p, kRate);
  const auto start = steady_clock::now();
  std::vector<std::string> users;
  for (int i = 0; i < 40; ++i) users.push_back(absl::StrCat("r", i));
  for (const auto& u : users) JoinOk(u, p);
  // The admitted count as GetQueue sees it, sampled for 3 s.
  struct Sample {
    double t;
    int64_t admitted;
  };
  std::vector<Sample> samples;
  while (steady_clock::now() - start < milliseconds(3200)) {
    const v1::QueueConfig q = room_->Get(p);
    const double t =
        std::chrono::duration<double>(steady_clock::now() - start).count();
    samples.push_back({t, q.admitted()});
    EXPECT_EQ(q.waiting() + q.admitted(), 40);
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_GE(samples.size(), 10u);
  for (const Sample& s : samples) {
    // rate x t, give or take one admission (and the time of the call).
    EXPECT_LE(s.admitted, std::floor(kRate * s.t) + 1) << "t=" << s.t;
    EXPECT_GE(s.admitted, std::floor(kRate * (s.t - 0.3)) - 1) << "t=" << s.t;
  }
  const Sample& last = samples.back();
  EXPECT_GE(last.admitted, 10);
  EXPECT_LE(last.admitted, 15);
  // Those admitted are exactly the first in line, each with a pass.
  int admitted = 0;
  for (size_t i = 0; i < users.size(); ++i) {
    const v1::QueueTicket t = TicketOf(users[i], p);
    if (t.admitted()) {
      EXPECT_EQ(admitted, static_cast<int>(i)) << users[i] << " jumped";
      ++admitted;
      EXPECT_EQ(t.position(), 0);
      EXPECT_TRUE(t.pass().rfind("tsp1.", 0) == 0) << t.pass();
      EXPECT_TRUE(t.has_pass_expires_at());
    } else {
      EXPECT_EQ(t.position(), static_cast<int64_t>(i - admitted + 1));
    }
  }
  EXPECT_GE(admitted, 10);
  std::printf("admitted %lld in %.2f s at %.1f/s\n",
              static_cast<long long>(last.admitted), last.t, kRate);
}

TEST_F(WaitingRoomTest, LengthCapRefusesQueueFullWithRetryInfo) {
  StartGateway();
  const auto p = Sku("wr-cap");
  Queue(p, 0.1, /*max_length=*/3);
  for (const char* u : {"u1", "u2", "u3"}) JoinOk(u, p);
  const WebReply full = room_->Join(Buyer("u4"), p);
  EXPECT_EQ(full.code, 8);
  EXPECT_EQ(full.reason, "QUEUE_FULL");
  EXPECT_GE(full.retry_ms, 1000);
  EXPECT_EQ(full.meta("product"), "sku:wr-cap");
  // Those in line keep their places (a repeat is no new join).
  EXPECT_EQ(JoinOk("u2", p).position(), 2);
  EXPECT_EQ(room_->Ticket(Buyer("u4"), p).reason, "NOT_IN_QUEUE");
  EXPECT_EQ(room_->Get(p).waiting(), 3);
  EXPECT_EQ(mesh().redis().Run({"HEXISTS", "ts:{qs:wr-cap}:user", "u4"}), "0");
  EXPECT_NE(
      Metrics().find(
          "turnstile_gateway_queue_refused_total{reason=\"QUEUE_FULL\"} 1"),
      std::string::npos);
  // Raising the cap lets the next one in, behind the others.
  Queue(p, 0.1, /*max_length=*/4);
  EXPECT_EQ(JoinOk("u4", p).position(), 4);
}

TEST_F(WaitingRoomTest, APassThatLapsesUnusedGivesItsSlotToTheNextInLine) {
  shop().CreateSku("wr-used", 10);
  shop().Deposit("a2", 100000);
  StartGateway();
  // One admission every 5 s, passes good for 5 s. Two queues side by side:
  // in "lapse" the first buyer never orders, in "used" the first orders.
  const auto lapse = Sku("wr-lapse");
  const auto used = Sku("wr-used");
  Queue(lapse, 0.2, 0, 5);
  Queue(used, 0.2, 0, 5);
  const auto start = steady_clock::now();
  for (const char* u : {"a1", "b1", "c1"}) JoinOk(u, lapse);
  for (const char* u : {"a2", "b2", "c2"}) JoinOk(u, used);
  // The heads are admitted after about 5 s.
  v1::QueueTicket a1, a2;
  while (steady_clock::now() - start < milliseconds(7000) &&
         !(a1.admitted() && a2.admitted())) {
    std::this_thread::sleep_for(milliseconds(100));
    a1 = TicketOf("a1", lapse);
    a2 = TicketOf("a2", used);
    TicketOf("b1", lapse);  // the others stay seen
    TicketOf("c1", lapse);
    TicketOf("b2", used);
    TicketOf("c2", used);
  }
  ASSERT_TRUE(a1.admitted() && a2.admitted());
  EXPECT_GE(steady_clock::now() - start, milliseconds(4500));
  const WebReply order = room_->Place(
      Buyer("a2"), StockOrder("wr-used-1", "wr-used"), {a2.pass()});
  ASSERT_EQ(order.code, 0) << order.reason;
  // At about 10 s both passes have lapsed and the second admission is due:
  // "used" admits b2 only; "lapse" admits b1 and, in a1's unused slot, c1.
  while (steady_clock::now() - start < milliseconds(12000)) {
    std::this_thread::sleep_for(milliseconds(200));
    for (const char* u : {"b1", "c1"}) TicketOf(u, lapse);
    for (const char* u : {"b2", "c2"}) TicketOf(u, used);
  }
  EXPECT_TRUE(TicketOf("b1", lapse).admitted());
  EXPECT_TRUE(TicketOf("c1", lapse).admitted());
  EXPECT_TRUE(TicketOf("b2", used).admitted());
  const v1::QueueTicket c2 = TicketOf("c2", used);
  EXPECT_FALSE(c2.admitted());
  EXPECT_EQ(c2.position(), 1);
  // The lapsed passes are gone: no ticket, and the pass is refused.
  EXPECT_EQ(room_->Ticket(Buyer("a1"), lapse).reason, "NOT_IN_QUEUE");
  shop().CreateSku("wr-lapse", 10);
  shop().Deposit("a1", 100000);
  const WebReply late = room_->Place(
      Buyer("a1"), StockOrder("wr-lapse-1", "wr-lapse"), {a1.pass()});
  EXPECT_EQ(late.code, 9);
  EXPECT_EQ(late.reason, "NOT_ADMITTED");
  EXPECT_EQ(late.meta("why"), "EXPIRED");
  EXPECT_EQ(room_->Get(lapse).admitted(), 3);
  EXPECT_EQ(room_->Get(used).admitted(), 2);
  // The lapsed buyer may join again, at the back.
  EXPECT_EQ(JoinOk("a1", lapse).position(), 1);
}

TEST_F(WaitingRoomTest, BadOrUnauthorizedConfigureChangesNothing) {
  StartGateway();
  const auto p = Sku("wr-conf");
  Queue(p, 2, 50, 30);
  JoinOk("w1", p);
  const auto before = QueueKeys();
  struct Bad {
    const char* what;
    v1::ConfigureQueueRequest req;
  };
  auto req = [&](double rate, int max_length, int ttl) {
    v1::ConfigureQueueRequest r;
    *r.mutable_product() = p;
    r.set_enabled(true);
    r.set_admit_per_second(rate);
    r.set_max_length(max_length);
    r.set_pass_ttl_seconds(ttl);
    return r;
  };
  std::vector<Bad> bad = {
      {"rate 0", req(0, 10, 30)},
      {"rate below 0.1", req(0.05, 10, 30)},
      {"rate above 10000", req(10001, 10, 30)},
      {"rate NaN", req(std::nan(""), 10, 30)},
      {"rate inf", req(std::numeric_limits<double>::infinity(), 10, 30)},
      {"negative rate", req(-1, 10, 30)},
      {"negative length", req(1, -1, 30)},
      {"length above 10^6", req(1, 1000001, 30)},
      {"pass ttl 4 s", req(1, 10, 4)},
      {"pass ttl above 1 h", req(1, 10, 3601)},
      {"negative pass ttl", req(1, 10, -5)},
  };
  v1::ConfigureQueueRequest no_product = req(1, 10, 30);
  no_product.clear_product();
  bad.push_back({"no product", no_product});
  v1::ConfigureQueueRequest both = req(1, 10, 30);
  both.mutable_product()->set_run_id("wr-conf");
  bad.push_back({"both ids", both});
  v1::ConfigureQueueRequest alphabet = req(1, 10, 30);
  alphabet.mutable_product()->set_sku_id("wr conf}");
  bad.push_back({"id outside the alphabet", alphabet});
  v1::ConfigureQueueRequest long_id = req(1, 10, 30);
  long_id.mutable_product()->set_sku_id(std::string(65, 'x'));
  bad.push_back({"id of 65 chars", long_id});
  v1::ConfigureQueueRequest removal_without_product;
  removal_without_product.set_enabled(false);
  bad.push_back({"removal without a product", removal_without_product});
  for (const Bad& b : bad) {
    const WebReply r = room_->Configure(admin_, b.req);
    EXPECT_EQ(r.code, 3) << b.what;
    EXPECT_TRUE(r.reason == "BAD_QUEUE_CONFIG" || r.reason == "BAD_PRODUCT")
        << b.what << ": " << r.reason;
  }
  // A message that does not parse.
  const HttpResult garbage =
      GrpcWebCall(gateway_->port(), "/turnstile.v1.WaitingRoom/ConfigureQueue",
                  std::string("\xff\xff\xff", 3), admin_);
  EXPECT_EQ(GrpcStatusOf(garbage), 3);
  // Buyers and anonymous callers may not configure, nor remove, a queue.
  for (bool enabled : {true, false}) {
    EXPECT_EQ(room_->Configure(Buyer("w1"), p, 1000, 10, 5, enabled).code, 7);
    EXPECT_EQ(room_->Configure("", p, 1000, 10, 5, enabled).code, 16);
    EXPECT_EQ(
        room_->Configure(Buyer("w1"), Sku("wr-new"), 1, 10, 5, enabled).code,
        7);
  }
  EXPECT_EQ(QueueKeys(), before);
  const v1::QueueConfig q = room_->Get(p);
  EXPECT_EQ(q.admit_per_second(), 2);
  EXPECT_EQ(q.max_length(), 50);
  EXPECT_EQ(q.pass_ttl_seconds(), 30);
  // Defaults, then removal: every key goes, and GetQueue says not queued.
  Queue(Sku("wr-defaults"), 1);
  const v1::QueueConfig d = room_->Get(Sku("wr-defaults"));
  EXPECT_EQ(d.max_length(), 100000);
  EXPECT_EQ(d.pass_ttl_seconds(), 120);
  ASSERT_EQ(room_->Configure(admin_, p, 0, 0, 0, /*enabled=*/false).code, 0);
  EXPECT_FALSE(room_->Get(p).enabled());
  EXPECT_TRUE(mesh().redis().RunList({"KEYS", "ts:{qs:wr-conf}*"}).empty());
}

TEST_F(WaitingRoomTest, AKilledGatewayComesBackWithEveryPlaceAndPass) {
  shop().CreateSku("wr-keep", 10);
  shop().Deposit("k0", 100000);
  StartGateway();
  const auto p = Sku("wr-keep");
  // A fast queue admits k0 at once; then a slow one keeps the rest waiting.
  Queue(p, 1000, 0, 60);
  // A new queue starts without credit: at 1000/s one ms earns an admission.
  std::this_thread::sleep_for(milliseconds(5));
  const v1::QueueTicket k0 = JoinOk("k0", p);
  ASSERT_TRUE(k0.admitted());
  Queue(p, 0.1, 0, 60);
  std::this_thread::sleep_for(milliseconds(20));
  // The idle queue's one admission of credit may let k1 in at once.
  std::vector<v1::QueueTicket> before;
  for (const char* u : {"k1", "k2", "k3", "k4"}) before.push_back(JoinOk(u, p));
  gateway_->Kill();
  ASSERT_TRUE(gateway_->Start(args_));
  for (size_t i = 0; i < before.size(); ++i) {
    const std::string user = absl::StrCat("k", i + 1);
    const v1::QueueTicket after = TicketOf(user, p);
    EXPECT_EQ(after.admitted(), before[i].admitted()) << user;
    EXPECT_EQ(after.position(), before[i].position()) << user;
    EXPECT_EQ(after.joined_at().seconds(), before[i].joined_at().seconds());
  }
  EXPECT_EQ(JoinOk("k5", p).position(), before.back().position() + 1);
  // The pass from before the restart still works (same key).
  const WebReply order = room_->Place(
      Buyer("k0"), StockOrder("wr-keep-1", "wr-keep"), {k0.pass()});
  EXPECT_EQ(order.code, 0) << order.reason;
}

}  // namespace
}  // namespace turnstile::testing
