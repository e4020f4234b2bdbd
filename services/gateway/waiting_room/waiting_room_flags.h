// The waiting room's flags: --waiting_room (on by default; off: the
// WaitingRoom routes are UNAVAILABLE and PlaceOrder asks no pass),
// --queue_place_ttl_s (a waiting buyer who does not ask for this long loses
// the place), --queue_pass_key_file (the passes' HMAC key; empty: derived
// from --jwt_hs256_secret_file, queue_pass.h), --queue_threads,
// --queue_max_pending, --queue_redis_timeout_ms and --queue_config_cache_ms
// (how long PlaceOrder trusts that a product is not queued,
// unqueued_cache.h). The Redis address and
// password are the shared --redis / --redis_password_file.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/gateway/waiting_room/queue_pass.h"
#include "services/gateway/waiting_room/waiting_room.h"

namespace turnstile::gateway {

bool WaitingRoomEnabledFromFlags();
absl::StatusOr<WaitingRoomOptions> WaitingRoomOptionsFromFlags();
// The pass signer from --queue_pass_key_file or the HS256 secret file
// `jwt_secret_file`; FAILED_PRECONDITION if neither gives a key.
absl::StatusOr<std::unique_ptr<PassSigner>> PassSignerFromFlags(
    const std::string& jwt_secret_file);

}  // namespace turnstile::gateway
