#include "services/gateway/waiting_room/waiting_room_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "services/common/secret_file.h"
#include "services/gateway/jwt/jwt_mint.h"

ABSL_FLAG(bool, waiting_room, true,
          "Serve turnstile.v1.WaitingRoom and require a pass for PlaceOrder "
          "of queued products (Redis: --redis)");
ABSL_FLAG(int, queue_place_ttl_s, 30,
          "A waiting buyer who calls neither JoinQueue nor GetTicket for "
          "this long loses the place (1..3600)");
ABSL_FLAG(std::string, queue_pass_key_file, "",
          "File with the waiting-room passes' HMAC key (>= 32 bytes). "
          "Empty: derived from --jwt_hs256_secret_file");
ABSL_FLAG(int, queue_threads, 4, "Threads for the waiting room's Redis calls");
ABSL_FLAG(int, queue_max_pending, 1024,
          "Waiting-room calls queued for those threads; more: "
          "RESOURCE_EXHAUSTED");
ABSL_FLAG(int, queue_redis_timeout_ms, 250,
          "Timeout of one waiting-room call to Redis");
ABSL_FLAG(int, queue_config_cache_ms, 1000,
          "How long PlaceOrder remembers that a product is not queued "
          "(no Redis call meanwhile); a queue created through another "
          "gateway replica applies here within this long. 0: ask every "
          "time (0..60000)");

namespace turnstile::gateway {

bool WaitingRoomEnabledFromFlags() { return absl::GetFlag(FLAGS_waiting_room); }

absl::StatusOr<WaitingRoomOptions> WaitingRoomOptionsFromFlags() {
  WaitingRoomOptions o;
  const int ttl = absl::GetFlag(FLAGS_queue_place_ttl_s);
  const int threads = absl::GetFlag(FLAGS_queue_threads);
  const int pending = absl::GetFlag(FLAGS_queue_max_pending);
  const int timeout = absl::GetFlag(FLAGS_queue_redis_timeout_ms);
  const int cache = absl::GetFlag(FLAGS_queue_config_cache_ms);
  if (cache < 0 || cache > 60000) {
    return absl::InvalidArgumentError(
        "--queue_config_cache_ms must be 0..60000");
  }
  o.unqueued_cache = std::chrono::milliseconds(cache);
  if (ttl < 1 || ttl > 3600) {
    return absl::InvalidArgumentError("--queue_place_ttl_s must be 1..3600");
  }
  if (threads < 1 || threads > 64 || pending < 1 || timeout < 1) {
    return absl::InvalidArgumentError(
        "--queue_threads (1..64), --queue_max_pending and "
        "--queue_redis_timeout_ms must be > 0");
  }
  o.place_ttl = std::chrono::seconds(ttl);
  o.threads = threads;
  o.max_pending = static_cast<size_t>(pending);
  o.redis_timeout = std::chrono::milliseconds(timeout);
  return o;
}

absl::StatusOr<std::unique_ptr<PassSigner>> PassSignerFromFlags(
    const std::string& jwt_secret_file) {
  std::string key;
  if (const std::string file = absl::GetFlag(FLAGS_queue_pass_key_file);
      !file.empty()) {
    auto secret = ReadSecretFile(file);
    if (!secret.ok()) return secret.status();
    absl::StripTrailingAsciiWhitespace(&*secret);
    key = *std::move(secret);
  } else if (!jwt_secret_file.empty()) {
    auto secret = ReadHs256Secret(jwt_secret_file);
    if (!secret.ok()) return secret.status();
    key = DerivePassKey(*secret);
  } else {
    return absl::FailedPreconditionError(
        "the waiting room needs --queue_pass_key_file or "
        "--jwt_hs256_secret_file (or --waiting_room=false)");
  }
  auto signer = PassSigner::Create(std::move(key));
  if (signer == nullptr) {
    return absl::FailedPreconditionError(
        "the waiting-room pass key must be at least 32 bytes");
  }
  return signer;
}

}  // namespace turnstile::gateway
