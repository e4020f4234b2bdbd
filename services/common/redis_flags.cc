#include "services/common/redis_flags.h"

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "services/common/secret_file.h"

// Defined in process.cc so that every binary accepts them.
ABSL_DECLARE_FLAG(std::string, redis);
ABSL_DECLARE_FLAG(int, redis_pool_size);
ABSL_DECLARE_FLAG(int, redis_timeout_ms);

// Here rather than next to --redis: only the processes that talk to Redis
// link this file, so the others refuse the flag instead of ignoring it.
ABSL_FLAG(std::string, redis_password_file, "",
          "File holding the Redis password (requirepass), sent with AUTH on "
          "every new connection, reconnects included; its content without "
          "the trailing newline. Empty: no AUTH");

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
  if (const std::string path = absl::GetFlag(FLAGS_redis_password_file);
      !path.empty()) {
    auto password = ReadSecretFile(path);
    if (!password.ok()) return password.status();
    options.password = *std::move(password);
  }
  return options;
}

}  // namespace turnstile
