// The rate limiter's flags: --rate_limits (the spec of rate_limit_config.h;
// default kDefaultRateLimits), --rate_limit_timeout_ms (one limiter call to
// Redis) and --rate_limit_backoff_ms (how long Redis is left alone after a
// failure), turned into the limiter's configuration. The Redis address and
// password are the shared --redis / --redis_password_file (redis_flags.h).
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "services/common/redis_client.h"
#include "services/gateway/ratelimit/rate_limit_config.h"
#include "services/gateway/ratelimit/rate_limiter.h"

namespace turnstile::gateway {

// ParseRateLimits(--rate_limits).
absl::StatusOr<std::vector<MethodLimits>> RateLimitsFromFlags();

// Timeout and backoff; INVALID_ARGUMENT if either is not positive.
absl::StatusOr<RateLimiterOptions> RateLimiterOptionsFromFlags();

// RedisOptionsFromFlags() for the limiter's own client: connect, command and
// pool-wait timeouts no longer than --rate_limit_timeout_ms, so that a dead
// or hung Redis costs a request at most that.
absl::StatusOr<RedisOptions> RateLimiterRedisOptionsFromFlags();

}  // namespace turnstile::gateway
