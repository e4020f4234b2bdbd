// The gateway's abuse limits as configured (--rate_limits, see
// /work/briefs/contract.md): per routed method a token bucket per user and
// one per client IP, and what to do when Redis cannot be asked. This file
// only parses and checks the spec -- no I/O -- so that a typo stops the
// gateway at start-up with a message naming the entry, instead of silently
// running without limits. rate_limiter.h applies the result.
//
// Syntax: `;`-separated entries `METHOD=user:RATE:BURST,ip:RATE:BURST
// [,fail_closed]`, METHOD a full path (/turnstile.v1.Order/PlaceOrder) or `*`
// (every other routed method; each still gets buckets of its own). RATE is
// tokens per second, a decimal > 0 with at most 3 decimals (0.001 ..
// 1000000); BURST an integer 1 .. 10^9; `user:off` / `ip:off` = no bucket
// of that scope. Both scopes must be given. Blanks around entries and parts
// are ignored; an empty spec means no limits at all, and without a `*`
// entry unlisted methods are not limited.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace turnstile::gateway {

struct BucketSpec {
  double rate_per_s = 0;  // refill, tokens per second
  int64_t burst = 0;      // capacity, tokens; 0 = no bucket
  bool enabled() const { return burst > 0; }
};

struct MethodLimits {
  std::string method;  // full path or "*"
  BucketSpec per_user, per_ip;
  // Redis unreachable: refuse (UNAVAILABLE) instead of letting calls pass.
  bool fail_closed = false;
};

// The method every unlisted routed method falls under.
inline constexpr absl::string_view kDefaultMethod = "*";

// The default of --rate_limits.
inline constexpr absl::string_view kDefaultRateLimits =
    "/turnstile.v1.Order/PlaceOrder=user:1:5,ip:100:200,fail_closed;"
    "*=user:20:50,ip:500:1000";

// Bounds of a bucket (the Lua script checks the same).
inline constexpr double kMinRatePerS = 0.001;
inline constexpr double kMaxRatePerS = 1000000;
inline constexpr int64_t kMaxBurst = 1000000000;

// The limits of `spec`, in its order; INVALID_ARGUMENT naming the entry and
// what is wrong with it (bad rate, burst < 1, unknown scope or option, a
// scope missing or given twice, a method given twice, a malformed method).
absl::StatusOr<std::vector<MethodLimits>> ParseRateLimits(
    absl::string_view spec);

// True for a method path the limiter can key: "/<service>/<method>" with
// <service> of [A-Za-z0-9_.] and <method> of [A-Za-z0-9_], at most 65 chars
// (its protobuf full name, the Redis key's hash tag, is at most 64).
bool IsLimitableMethod(absl::string_view path);

// The protobuf full name of a method path ("/turnstile.v1.Order/PlaceOrder"
// -> "turnstile.v1.Order.PlaceOrder") as the two pieces around the '.' that
// replaces the second '/': {"turnstile.v1.Order", "PlaceOrder"}. Requires
// IsLimitableMethod(path).
struct MethodName {
  absl::string_view service;
  absl::string_view method;
};
MethodName SplitMethod(absl::string_view path);

}  // namespace turnstile::gateway
