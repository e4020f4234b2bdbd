#include "services/gateway/ratelimit/rate_limit_flags.h"

#include <algorithm>
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "services/common/redis_flags.h"

ABSL_FLAG(std::string, rate_limits,
          std::string(turnstile::gateway::kDefaultRateLimits),
          "Rate limits per routed method: ';'-separated "
          "METHOD=user:RATE:BURST,ip:RATE:BURST[,fail_closed] with METHOD a "
          "full path or * (every other routed method), RATE tokens/s, BURST "
          "tokens, user:off / ip:off for no bucket. Empty: no limits");
ABSL_FLAG(int, rate_limit_timeout_ms, 100,
          "Timeout of one rate-limit call to Redis (connect included)");
ABSL_FLAG(int, rate_limit_backoff_ms, 500,
          "After Redis failed, how long the rate limiter decides by each "
          "method's fallback (fail_closed or open) without asking Redis");

namespace turnstile::gateway {

absl::StatusOr<std::vector<MethodLimits>> RateLimitsFromFlags() {
  return ParseRateLimits(absl::GetFlag(FLAGS_rate_limits));
}

absl::StatusOr<RateLimiterOptions> RateLimiterOptionsFromFlags() {
  const int timeout = absl::GetFlag(FLAGS_rate_limit_timeout_ms);
  const int backoff = absl::GetFlag(FLAGS_rate_limit_backoff_ms);
  if (timeout <= 0) {
    return absl::InvalidArgumentError("--rate_limit_timeout_ms must be > 0");
  }
  if (backoff <= 0) {
    return absl::InvalidArgumentError("--rate_limit_backoff_ms must be > 0");
  }
  RateLimiterOptions options;
  options.command_timeout = std::chrono::milliseconds(timeout);
  options.backoff = std::chrono::milliseconds(backoff);
  return options;
}

absl::StatusOr<RedisOptions> RateLimiterRedisOptionsFromFlags() {
  auto limiter = RateLimiterOptionsFromFlags();
  if (!limiter.ok()) return limiter.status();
  auto options = RedisOptionsFromFlags();
  if (!options.ok()) return options.status();
  const std::chrono::milliseconds t = limiter->command_timeout;
  options->connect_timeout = std::min(options->connect_timeout, t);
  options->command_timeout = std::min(options->command_timeout, t);
  options->acquire_timeout = std::min(options->acquire_timeout, t);
  return options;
}

}  // namespace turnstile::gateway
