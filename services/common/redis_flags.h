// The Redis flags shared by every process that uses the gate (inventory,
// seat, order, turnstile-bench): --redis host:port, --redis_pool_size,
// --redis_timeout_ms and --redis_password_file (the password sent with AUTH
// on every connection, read from a file so that it is in no command line),
// turned into RedisOptions.
#pragma once

#include "absl/status/statusor.h"
#include "services/common/redis_client.h"

namespace turnstile {

// Options from --redis / --redis_pool_size / --redis_timeout_ms /
// --redis_password_file; INVALID_ARGUMENT for a malformed address,
// FAILED_PRECONDITION if the password file cannot be read.
absl::StatusOr<RedisOptions> RedisOptionsFromFlags();

}  // namespace turnstile
