// --rate_limits parsing (services/gateway/ratelimit/rate_limit_config.h):
// the default spec, every accepted form, and a clear INVALID_ARGUMENT naming
// the entry for every kind of mistake; the flags' defaults and checks; and
// the limiter's pure helpers (the method key pieces and the client IP id).
#include "services/gateway/ratelimit/rate_limit_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "services/gateway/ratelimit/rate_limit_flags.h"
#include "services/gateway/ratelimit/rate_limiter.h"

ABSL_DECLARE_FLAG(std::string, rate_limits);
ABSL_DECLARE_FLAG(int, rate_limit_timeout_ms);
ABSL_DECLARE_FLAG(int, rate_limit_backoff_ms);

namespace turnstile::gateway {
namespace {

std::vector<MethodLimits> Parse(const std::string& spec) {
  auto r = ParseRateLimits(spec);
  EXPECT_TRUE(r.ok()) << spec << ": " << r.status();
  return r.ok() ? *r : std::vector<MethodLimits>{};
}

// The error of a spec that must be refused.
std::string Error(const std::string& spec) {
  auto r = ParseRateLimits(spec);
  EXPECT_FALSE(r.ok()) << spec << " was accepted";
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << spec;
  return std::string(r.status().message());
}

TEST(RateLimitConfig, DefaultSpec) {
  const auto limits = Parse(std::string(kDefaultRateLimits));
  ASSERT_EQ(limits.size(), 2u);
  EXPECT_EQ(limits[0].method, "/turnstile.v1.Order/PlaceOrder");
  EXPECT_DOUBLE_EQ(limits[0].per_user.rate_per_s, 1);
  EXPECT_EQ(limits[0].per_user.burst, 5);
  EXPECT_DOUBLE_EQ(limits[0].per_ip.rate_per_s, 100);
  EXPECT_EQ(limits[0].per_ip.burst, 200);
  EXPECT_TRUE(limits[0].fail_closed);
  EXPECT_EQ(limits[1].method, "*");
  EXPECT_DOUBLE_EQ(limits[1].per_user.rate_per_s, 20);
  EXPECT_EQ(limits[1].per_user.burst, 50);
  EXPECT_DOUBLE_EQ(limits[1].per_ip.rate_per_s, 500);
  EXPECT_EQ(limits[1].per_ip.burst, 1000);
  EXPECT_FALSE(limits[1].fail_closed);
}

TEST(RateLimitConfig, OffScopesDecimalsBlanksAndOrder) {
  const auto limits = Parse(
      " /turnstile.v1.Payment/GetWallet = ip:off , user:2:5 ;"
      "/turnstile.v1.Seat/GetSeatMap=user:off,ip:0.5:3,fail_closed;"
      "/turnstile.v1.Inventory/GetSku=user:0.001:1,ip:1000000:1000000000");
  ASSERT_EQ(limits.size(), 3u);
  EXPECT_EQ(limits[0].method, "/turnstile.v1.Payment/GetWallet");
  EXPECT_TRUE(limits[0].per_user.enabled());
  EXPECT_DOUBLE_EQ(limits[0].per_user.rate_per_s, 2);
  EXPECT_EQ(limits[0].per_user.burst, 5);
  EXPECT_FALSE(limits[0].per_ip.enabled());
  EXPECT_FALSE(limits[0].fail_closed);

  EXPECT_FALSE(limits[1].per_user.enabled());
  EXPECT_DOUBLE_EQ(limits[1].per_ip.rate_per_s, 0.5);
  EXPECT_EQ(limits[1].per_ip.burst, 3);
  EXPECT_TRUE(limits[1].fail_closed);

  EXPECT_DOUBLE_EQ(limits[2].per_user.rate_per_s, 0.001);
  EXPECT_EQ(limits[2].per_user.burst, 1);
  EXPECT_DOUBLE_EQ(limits[2].per_ip.rate_per_s, 1000000);
  EXPECT_EQ(limits[2].per_ip.burst, 1000000000);
}

TEST(RateLimitConfig, EmptySpecMeansNoLimits) {
  EXPECT_TRUE(Parse("").empty());
  EXPECT_TRUE(Parse("  ").empty());
}

TEST(RateLimitConfig, BadRates) {
  for (const char* rate :
       {"0", "0.0", "0.0001", "-1", "+1", "1e3", "abc", "", "1.", ".5",
        "1.2345", "1000000.001", "10000000", "inf", "nan", " 1x", "0x10"}) {
    const std::string spec = std::string("*=user:") + rate + ":5,ip:off";
    const std::string e = Error(spec);
    EXPECT_TRUE(absl::StrContains(e, "rate")) << spec << ": " << e;
    EXPECT_TRUE(absl::StrContains(e, "entry 1")) << e;
  }
}

TEST(RateLimitConfig, BadBursts) {
  for (const char* burst :
       {"0", "00", "-1", "1.5", "", "x", "1000000001", "99999999999", "1e3"}) {
    const std::string spec = std::string("*=user:off,ip:1:") + burst;
    const std::string e = Error(spec);
    EXPECT_TRUE(absl::StrContains(e, "burst")) << spec << ": " << e;
  }
}

TEST(RateLimitConfig, ZeroBurstNamesTheEntry) {
  const std::string e =
      Error("*=user:1:5,ip:1:5;/turnstile.v1.Order/PlaceOrder=user:1:0,ip:off");
  EXPECT_TRUE(absl::StrContains(e, "entry 2")) << e;
  EXPECT_TRUE(absl::StrContains(e, "/turnstile.v1.Order/PlaceOrder")) << e;
  EXPECT_TRUE(absl::StrContains(e, "burst \"0\"")) << e;
}

TEST(RateLimitConfig, UnknownScopeOrOption) {
  EXPECT_TRUE(absl::StrContains(Error("*=user:1:5,ip:1:5,session:1:5"),
                                "unknown part \"session:1:5\""));
  EXPECT_TRUE(
      absl::StrContains(Error("*=user:1:5,ip:1:5,fail_shut"), "unknown part"));
  EXPECT_TRUE(absl::StrContains(Error("*=users:1:5,ip:1:5"), "unknown part"));
  EXPECT_TRUE(absl::StrContains(Error("*=user:1:5,ip:1:5,"), "unknown part"));
}

TEST(RateLimitConfig, MissingOrRepeatedParts) {
  EXPECT_TRUE(
      absl::StrContains(Error("*=user:1:5"), "ip bucket is missing (ip:off"));
  EXPECT_TRUE(absl::StrContains(Error("*=ip:1:5"), "user bucket is missing"));
  EXPECT_TRUE(absl::StrContains(Error("*=user:1:5,user:2:5,ip:off"),
                                "user is repeated"));
  EXPECT_TRUE(
      absl::StrContains(Error("*=user:1:5,ip:off,fail_closed,fail_closed"),
                        "fail_closed is repeated"));
  EXPECT_TRUE(absl::StrContains(Error("*=user:1,ip:off"), "user:RATE:BURST"));
  EXPECT_TRUE(
      absl::StrContains(Error("*=user:1:5:6,ip:off"), "user:RATE:BURST"));
  EXPECT_TRUE(absl::StrContains(Error("*=user:on,ip:off"), "user:RATE:BURST"));
}

TEST(RateLimitConfig, DuplicateMethod) {
  std::string e = Error(
      "/turnstile.v1.Order/PlaceOrder=user:1:5,ip:off;"
      "/turnstile.v1.Order/PlaceOrder=user:2:5,ip:off");
  EXPECT_TRUE(absl::StrContains(e, "entry 2")) << e;
  EXPECT_TRUE(absl::StrContains(e, "given twice")) << e;
  e = Error("*=user:1:5,ip:off;*=user:1:5,ip:off");
  EXPECT_TRUE(absl::StrContains(e, "given twice")) << e;
}

TEST(RateLimitConfig, BadMethods) {
  for (const char* method :
       {"turnstile.v1.Order/PlaceOrder", "/turnstile.v1.Order", "/Order/",
        "//PlaceOrder", "/a/b/c", "/turnstile.v1.Order/Place.Order",
        "/turnstile v1.Order/PlaceOrder", "**", "", "/x{y}/z",
        "/turnstile.v1.AVeryLongServiceNameThatGoesOnAndOn/"
        "AndAnEvenLongerMethodX"}) {
    const std::string spec = std::string(method) + "=user:1:5,ip:off";
    const std::string e = Error(spec);
    EXPECT_TRUE(absl::StrContains(e, "method")) << spec << ": " << e;
  }
}

TEST(RateLimitConfig, Garbage) {
  for (const char* spec :
       {"garbage", "=", "*", "*=", ";", "*=user:1:5,ip:off;",
        ";*=user:1:5,ip:off", "*=;", "\x01\x02", "*=user:1:5,ip:off,,"}) {
    Error(spec);
  }
  EXPECT_TRUE(absl::StrContains(Error("garbage"), "expected METHOD="));
  EXPECT_TRUE(absl::StrContains(Error("*=user:1:5,ip:off;"), "empty entry"));
}

TEST(RateLimitConfig, MethodPieces) {
  EXPECT_TRUE(IsLimitableMethod("/turnstile.v1.Order/PlaceOrder"));
  EXPECT_TRUE(IsLimitableMethod("/a/b"));
  EXPECT_FALSE(IsLimitableMethod("/a/"));
  EXPECT_FALSE(IsLimitableMethod("*"));
  // 65 chars: the full name (64) is the longest a Redis id may be.
  const std::string longest = "/" + std::string(59, 's') + "/mmmm";
  ASSERT_EQ(longest.size(), 65u);
  EXPECT_TRUE(IsLimitableMethod(longest));
  EXPECT_FALSE(IsLimitableMethod("/" + std::string(60, 's') + "/mmmm"));
  const MethodName n = SplitMethod("/turnstile.v1.Order/PlaceOrder");
  EXPECT_EQ(n.service, "turnstile.v1.Order");
  EXPECT_EQ(n.method, "PlaceOrder");
}

TEST(RateLimitFlags, DefaultsAndErrors) {
  auto limits = RateLimitsFromFlags();
  ASSERT_TRUE(limits.ok()) << limits.status();
  ASSERT_EQ(limits->size(), 2u);
  EXPECT_EQ((*limits)[0].method, "/turnstile.v1.Order/PlaceOrder");
  auto options = RateLimiterOptionsFromFlags();
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->command_timeout.count(), 100);
  EXPECT_EQ(options->backoff.count(), 500);
  auto redis = RateLimiterRedisOptionsFromFlags();
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_EQ(redis->connect_timeout.count(), 100);
  EXPECT_EQ(redis->command_timeout.count(), 100);
  EXPECT_EQ(redis->acquire_timeout.count(), 100);

  absl::SetFlag(&FLAGS_rate_limits, "*=user:1:0,ip:off");
  EXPECT_FALSE(RateLimitsFromFlags().ok());
  absl::SetFlag(&FLAGS_rate_limits, std::string(kDefaultRateLimits));
  absl::SetFlag(&FLAGS_rate_limit_timeout_ms, 0);
  EXPECT_FALSE(RateLimiterOptionsFromFlags().ok());
  EXPECT_FALSE(RateLimiterRedisOptionsFromFlags().ok());
  absl::SetFlag(&FLAGS_rate_limit_timeout_ms, 100);
  absl::SetFlag(&FLAGS_rate_limit_backoff_ms, -1);
  EXPECT_FALSE(RateLimiterOptionsFromFlags().ok());
  absl::SetFlag(&FLAGS_rate_limit_backoff_ms, 500);
}

std::string IpId(const std::string& ip) {
  IpIdBuffer buf;
  return std::string(ClientIpId(ip, buf));
}

TEST(ClientIpId, CanonicalIpv4AndIpv6Prefix) {
  EXPECT_EQ(IpId("203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(IpId("127.0.0.1"), "127.0.0.1");
  // IPv4-mapped IPv6 is the IPv4 client.
  EXPECT_EQ(IpId("::ffff:203.0.113.7"), "203.0.113.7");
  EXPECT_EQ(IpId("[::ffff:cb00:7107]"), "203.0.113.7");
  // IPv6 by /64, whatever the spelling.
  EXPECT_EQ(IpId("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::");
  EXPECT_EQ(IpId("2001:0DB8:0001:0002::ffff"), "2001:db8:1:2::");
  EXPECT_EQ(IpId("[2001:db8:1:2::9]"), "2001:db8:1:2::");
  EXPECT_EQ(IpId("fe80::1%eth0"), "fe80::");
  EXPECT_EQ(IpId("::1"), "::");
  EXPECT_EQ(IpId("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            "ffff:ffff:ffff:ffff::");
}

TEST(ClientIpId, AnythingElseIsUnparsed) {
  for (const char* ip :
       {"", "localhost", "1.2.3", "1.2.3.4:80", "01.2.3.4", "1.2.3.256", "[]",
        "::g", "1.2.3.4 ", "2001:db8::1::2", "x%y"}) {
    EXPECT_EQ(IpId(ip), "unparsed") << ip;
  }
  EXPECT_EQ(IpId(std::string(200, '1')), "unparsed");
}

}  // namespace
}  // namespace turnstile::gateway
