// The waiting room's pure rules (services/gateway/waiting_room/
// queue_rules.h, queue_product.h), no server: products and their keys,
// ConfigureQueue's ranges and defaults, the queued products of a
// PlaceOrder, the x-turnstile-pass values, and the store's replies as the
// API's messages and refusals.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "google/protobuf/util/time_util.h"
#include "services/common/status.h"
#include "services/gateway/waiting_room/queue_rules.h"

namespace turnstile::gateway {
namespace {

using google::protobuf::util::TimeUtil;

v1::QueuedProduct Sku(const std::string& id) {
  v1::QueuedProduct p;
  p.set_sku_id(id);
  return p;
}

TEST(QueueProduct, ExactlyOneIdOfTheAlphabet) {
  auto sku = ProductOf(Sku("tee-1.a:B_2"));
  ASSERT_TRUE(sku.ok());
  EXPECT_EQ(sku->Name(), "sku:tee-1.a:B_2");
  v1::QueuedProduct run;
  run.set_run_id("ICE-7");
  auto r = ProductOf(run);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, QueueProduct::kRun);
  EXPECT_EQ(r->Name(), "run:ICE-7");
  EXPECT_EQ(r->Keys()[0], "ts:{qr:ICE-7}:cfg");
  EXPECT_EQ(r->Keys()[4], "ts:{qr:ICE-7}:pass");
  const auto keys = sku->Keys();
  const std::vector<std::string> want = {
      "ts:{qs:tee-1.a:B_2}:cfg", "ts:{qs:tee-1.a:B_2}:wait",
      "ts:{qs:tee-1.a:B_2}:seen", "ts:{qs:tee-1.a:B_2}:user",
      "ts:{qs:tee-1.a:B_2}:pass"};
  EXPECT_EQ(std::vector<std::string>(keys.begin(), keys.end()), want);
  v1::QueuedProduct back;
  r->ToProto(&back);
  EXPECT_EQ(back.run_id(), "ICE-7");
  EXPECT_TRUE(back.sku_id().empty());

  v1::QueuedProduct both = Sku("a");
  both.set_run_id("a");
  for (const v1::QueuedProduct& bad :
       {v1::QueuedProduct(), both, Sku("a b"), Sku("a}"), Sku("a{"), Sku("é"),
        Sku(std::string(65, 'a'))}) {
    auto out = ProductOf(bad);
    ASSERT_FALSE(out.ok()) << bad.ShortDebugString();
    EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ReasonOf(out.status()), "BAD_PRODUCT");
  }
  EXPECT_TRUE(ProductOf(Sku(std::string(64, 'a'))).ok());
}

v1::ConfigureQueueRequest Configure(double rate, int max_length, int ttl) {
  v1::ConfigureQueueRequest r;
  *r.mutable_product() = Sku("tee");
  r.set_enabled(true);
  r.set_admit_per_second(rate);
  r.set_max_length(max_length);
  r.set_pass_ttl_seconds(ttl);
  return r;
}

TEST(CheckConfigure, RangesAndDefaults) {
  auto s = CheckConfigure(Configure(2.5, 0, 0));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->enabled);
  EXPECT_EQ(s->rate_milli, 2500);
  EXPECT_EQ(s->max_length, 100000);
  EXPECT_EQ(s->pass_ttl_ms, 120000);
  s = CheckConfigure(Configure(0.1, 1, 5));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rate_milli, 100);
  EXPECT_EQ(s->max_length, 1);
  EXPECT_EQ(s->pass_ttl_ms, 5000);
  s = CheckConfigure(Configure(10000, 1000000, 3600));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rate_milli, 10000000);
  for (const auto& bad :
       {Configure(0, 1, 5), Configure(0.09, 1, 5), Configure(10000.5, 1, 5),
        Configure(-1, 1, 5), Configure(std::nan(""), 1, 5),
        Configure(std::numeric_limits<double>::infinity(), 1, 5),
        Configure(1, -1, 5), Configure(1, 1000001, 5), Configure(1, 1, 4),
        Configure(1, 1, 3601), Configure(1, 1, -1)}) {
    auto out = CheckConfigure(bad);
    ASSERT_FALSE(out.ok()) << bad.ShortDebugString();
    EXPECT_EQ(ReasonOf(out.status()), "BAD_QUEUE_CONFIG")
        << bad.ShortDebugString();
  }
  // Removal needs only a valid product; the numbers are ignored.
  v1::ConfigureQueueRequest off = Configure(0, -7, -7);
  off.set_enabled(false);
  s = CheckConfigure(off);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->enabled);
  off.clear_product();
  EXPECT_EQ(ReasonOf(CheckConfigure(off).status()), "BAD_PRODUCT");
}

TEST(OrderedProducts, DistinctStockAndLegProductsInLineOrder) {
  v1::PlaceOrderRequest req;
  req.add_lines()->set_sku_id("b");
  req.add_lines()->set_event_id("gig");  // seats: never queued
  req.add_lines()->set_sku_id("a");
  req.add_lines()->mutable_leg()->set_run_id("b");
  req.add_lines()->mutable_slot();  // net cafe: never queued
  auto out = OrderedProducts(req);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].Name(), "sku:b");
  EXPECT_EQ((*out)[1].Name(), "sku:a");
  EXPECT_EQ((*out)[2].Name(), "run:b");
  req.add_lines()->set_sku_id("a");  // repeated: once
  EXPECT_EQ(OrderedProducts(req)->size(), 3u);
  v1::PlaceOrderRequest seats_only;
  seats_only.add_lines()->set_event_id("gig");
  EXPECT_TRUE(OrderedProducts(seats_only)->empty());
  // Every id the services accept ([A-Za-z0-9_.:@-]), '@' too, is a product.
  v1::PlaceOrderRequest at;
  at.add_lines()->set_sku_id("shop@tour:2027.v-1_a");
  ASSERT_TRUE(OrderedProducts(at).ok());
  EXPECT_EQ((*OrderedProducts(at))[0].Name(), "sku:shop@tour:2027.v-1_a");
  v1::PlaceOrderRequest bad;
  bad.add_lines()->set_sku_id("a b");
  EXPECT_EQ(ReasonOf(OrderedProducts(bad).status()), "BAD_PRODUCT");
  v1::PlaceOrderRequest bad_run;
  bad_run.add_lines()->mutable_leg()->set_run_id(std::string(65, 'r'));
  EXPECT_EQ(ReasonOf(OrderedProducts(bad_run).status()), "BAD_PRODUCT");
  v1::PlaceOrderRequest many;
  for (int i = 0; i < 21; ++i) many.add_lines()->set_sku_id("a");
  EXPECT_EQ(ReasonOf(OrderedProducts(many).status()), "TOO_MANY_LINES");
}

TEST(SplitPasses, RepeatedAndCommaSeparatedTrimmedBounded) {
  EXPECT_TRUE(SplitPasses({}).empty());
  EXPECT_TRUE(SplitPasses({"", " , ,"}).empty());
  EXPECT_EQ(SplitPasses({" p1 ,p2", "p3"}),
            (std::vector<std::string>{"p1", "p2", "p3"}));
  std::vector<std::string> many(12, "p");
  EXPECT_EQ(SplitPasses(many).size(), kMaxPasses);
  EXPECT_EQ(SplitPasses({"a,b,c,d,e,f,g,h,i,j"}).back(), "h");
}

TEST(ConfigMessage, QueuedOrNot) {
  const QueueProduct p{QueueProduct::kSku, "tee"};
  v1::QueueConfig off = ConfigMessage(p, QueueState{});
  EXPECT_FALSE(off.enabled());
  EXPECT_EQ(off.product().sku_id(), "tee");
  EXPECT_EQ(off.admit_per_second(), 0);
  QueueState s{.queued = true,
               .rate_milli = 2500,
               .max_length = 9,
               .pass_ttl_ms = 30000,
               .waiting = 4,
               .admitted = 7};
  v1::QueueConfig on = ConfigMessage(p, s);
  EXPECT_TRUE(on.enabled());
  EXPECT_DOUBLE_EQ(on.admit_per_second(), 2.5);
  EXPECT_EQ(on.max_length(), 9);
  EXPECT_EQ(on.pass_ttl_seconds(), 30);
  EXPECT_EQ(on.waiting(), 4);
  EXPECT_EQ(on.admitted(), 7);
}

TEST(TicketMessage, WaitingAdmittedAndRefusals) {
  const QueueProduct p{QueueProduct::kRun, "ICE-7"};
  auto signer = PassSigner::Create(std::string(32, 'k'));
  TicketReply waiting{.kind = TicketReply::kWaiting,
                      .position = 3,
                      .eta_ms = 1500,
                      .joined_ms = 1'800'000'000'123};
  auto w = TicketMessage(p, "ann", waiting, *signer);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->position(), 3);
  EXPECT_EQ(w->estimated_wait_ms(), 1500);
  EXPECT_FALSE(w->admitted());
  EXPECT_TRUE(w->pass().empty());
  EXPECT_EQ(TimeUtil::TimestampToMilliseconds(w->joined_at()),
            1'800'000'000'123);
  EXPECT_EQ(w->product().run_id(), "ICE-7");

  TicketReply admitted{.kind = TicketReply::kAdmitted,
                       .pass_expiry_ms = 1'800'000'060'000,
                       .joined_ms = 1'800'000'000'000};
  auto a = TicketMessage(p, "ann", admitted, *signer);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->admitted());
  EXPECT_EQ(a->position(), 0);
  EXPECT_EQ(signer->ExpiryFor(a->pass(), p, "ann"), 1'800'000'060'000);
  EXPECT_EQ(TimeUtil::TimestampToMilliseconds(a->pass_expires_at()),
            1'800'000'060'000);

  TicketReply full{.kind = TicketReply::kFull, .retry_after_ms = 2000};
  auto f = TicketMessage(p, "ann", full, *signer);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(f.status()), "QUEUE_FULL");
  EXPECT_EQ(RetryDelayOf(f.status()), std::chrono::milliseconds(2000));
  EXPECT_EQ(MetadataOf(f.status())["product"], "run:ICE-7");
  auto n = TicketMessage(p, "ann", {.kind = TicketReply::kNotInQueue}, *signer);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(n.status()), "NOT_IN_QUEUE");
  auto q = TicketMessage(p, "ann", {.kind = TicketReply::kNotQueued}, *signer);
  EXPECT_EQ(q.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(q.status()), "NOT_QUEUED");
}

TEST(NotAdmitted, FailedPreconditionWithProductAndWhy) {
  const absl::Status s = NotAdmitted({QueueProduct::kSku, "tee"}, "EXPIRED");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), "NOT_ADMITTED");
  EXPECT_EQ(MetadataOf(s)["product"], "sku:tee");
  EXPECT_EQ(MetadataOf(s)["why"], "EXPIRED");
}

}  // namespace
}  // namespace turnstile::gateway
