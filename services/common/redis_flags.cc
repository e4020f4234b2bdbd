#include "services/common/redis_flags.h"

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"

// Defined in process.cc so that every binary accepts them.
ABSL_DECLARE_FLAG(std::string, redis);
ABSL_DECLARE_FLAG(int, redis_pool_size);
ABSL_DECLARE_FLAG(int, redis_timeout_ms);

namespace turnstile {

absl::StatusOr<RedisOptions> RedisOptionsFromFlags() {
  RedisOptions options;
  if (auto s = ParseRedisAddress(absl::GetFlag(FLAGS_redis), &options);
      !s.ok()) {
    return s;
  }
  options.pool_size = absl::GetFlag(FLAGS_redis_pool_size);
  options.command_timeout =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_redis_timeout_ms));
  return options;
}

}  // namespace turnstile
