// The Redis flags shared by every process that uses the gate (inventory,
// seat, order): --redis host:port and --redis_pool_size, turned into
// RedisOptions.
#pragma once

#include "absl/status/statusor.h"
#include "services/common/redis_client.h"

namespace turnstile {

// Options from --redis / --redis_pool_size / --redis_timeout_ms;
// INVALID_ARGUMENT for a malformed address.
absl::StatusOr<RedisOptions> RedisOptionsFromFlags();

}  // namespace turnstile
