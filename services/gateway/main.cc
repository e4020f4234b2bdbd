// turnstile-gateway: the browser's way into the mesh (DESIGN.md §9). Speaks
// gRPC-web over HTTP/1.1, verifies JWTs, applies rate limits in Redis,
// serves the web UI's static files, and forwards the public API to the
// services over mTLS as the `gateway` identity. Health (plaintext gRPC on
// --health_listen) and metrics like every process; SIGTERM stops accepting,
// lets calls in flight finish (--shutdown_grace_ms), then exits.
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "services/common/process.h"
#include "services/common/redis_flags.h"
#include "services/gateway/edge.h"
#include "services/gateway/http_server.h"
#include "services/gateway/jwt/jwt_flags.h"
#include "services/gateway/jwt/jwt_mint.h"
#include "services/gateway/ratelimit/rate_limit_flags.h"
#include "services/gateway/waiting_room/waiting_room_flags.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8080", "HTTP host:port (gRPC-web)");
ABSL_FLAG(int, io_threads, 0, "I/O threads (0 = one per core)");
ABSL_FLAG(int, backend_channels, 2,
          "TCP connections to each backend service, used in turn");
ABSL_FLAG(std::string, order, "127.0.0.1:50054", "order service address");
ABSL_FLAG(std::string, inventory, "127.0.0.1:50051", "inventory address");
ABSL_FLAG(std::string, seat, "127.0.0.1:50052", "seat service address");
ABSL_FLAG(std::string, payment, "127.0.0.1:50053", "payment address");
ABSL_FLAG(std::string, coordinator, "127.0.0.1:50050", "coordinator address");
ABSL_FLAG(std::string, booking, "127.0.0.1:50056",
          "booking service address (venues, runs, availability)");
ABSL_FLAG(std::string, allowed_origins, "",
          "comma-separated origins (scheme://host[:port]) whose pages may "
          "call the gateway; no wildcard");
ABSL_FLAG(std::string, static_dir, "", "directory of static files to serve");
ABSL_FLAG(int64_t, static_max_file_bytes, 16 << 20,
          "largest static file served");
ABSL_FLAG(int64_t, max_request_bytes, 4 << 20,
          "largest request message; more is RESOURCE_EXHAUSTED");
ABSL_FLAG(int64_t, max_response_bytes, 4 << 20,
          "largest response message; more is RESOURCE_EXHAUSTED");
ABSL_FLAG(int, max_header_bytes, 16384,
          "largest request header block; more is HTTP 431");
ABSL_FLAG(int, header_timeout_ms, 5000,
          "a client must send its whole request header within this");
ABSL_FLAG(int, body_timeout_ms, 15000,
          "a client must send its body (and read the answer) within this");
ABSL_FLAG(int, idle_timeout_ms, 60000, "idle keep-alive connections close");
ABSL_FLAG(int, max_connections, 10000, "open connections in all");
ABSL_FLAG(int, max_connections_per_ip, 256, "open connections per client IP");
ABSL_FLAG(int, max_inflight, 4096, "calls in flight to the mesh");
ABSL_FLAG(int64_t, max_buffered_body_bytes, 256 << 20,
          "request bodies being received, in all; beyond: RESOURCE_EXHAUSTED");
ABSL_FLAG(int, default_deadline_ms, 10000,
          "backend deadline of a call without grpc-timeout");
ABSL_FLAG(int, max_deadline_ms, 30000, "cap on any call's grpc-timeout");
ABSL_FLAG(bool, dev_token_endpoint, false,
          "Serve POST /dev/token, which mints a token for any user (local "
          "stacks and tests only: anyone who reaches it becomes anyone)");
ABSL_FLAG(bool, trust_forwarded_for, false,
          "take the client IP from the last X-Forwarded-For entry (only "
          "behind a proxy that sets it)");

namespace turnstile::gateway {
namespace {

int Run() {
  EdgeSettings settings;
  settings.max_request_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  settings.max_response_bytes = absl::GetFlag(FLAGS_max_response_bytes);
  settings.max_header_bytes = absl::GetFlag(FLAGS_max_header_bytes);
  settings.header_timeout =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_header_timeout_ms));
  settings.body_timeout =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_body_timeout_ms));
  settings.idle_timeout =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_idle_timeout_ms));
  settings.default_deadline =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_default_deadline_ms));
  settings.max_deadline =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_max_deadline_ms));
  settings.trust_forwarded_for = absl::GetFlag(FLAGS_trust_forwarded_for);
  settings.max_buffered_body_bytes =
      absl::GetFlag(FLAGS_max_buffered_body_bytes);
  if (settings.max_request_bytes <= 0 || settings.max_response_bytes <= 0 ||
      settings.max_buffered_body_bytes < settings.max_request_bytes ||
      settings.max_header_bytes < 1024 ||
      settings.header_timeout.count() <= 0 ||
      settings.body_timeout.count() <= 0 ||
      settings.idle_timeout.count() <= 0 ||
      settings.default_deadline.count() <= 0 ||
      settings.max_deadline.count() <= 0) {
    spdlog::critical(
        "event=bad_flags error=\"sizes and timeouts must be > 0 "
        "(--max_header_bytes >= 1024, --max_buffered_body_bytes >= "
        "--max_request_bytes)\"");
    return 2;
  }
  LimitSettings limits{absl::GetFlag(FLAGS_max_connections),
                       absl::GetFlag(FLAGS_max_connections_per_ip),
                       absl::GetFlag(FLAGS_max_inflight)};
  if (limits.max_connections <= 0 || limits.max_connections_per_ip <= 0 ||
      limits.max_inflight <= 0) {
    spdlog::critical("event=bad_flags error=\"connection bounds must be > 0\"");
    return 2;
  }
  auto cors = CorsPolicy::Parse(absl::GetFlag(FLAGS_allowed_origins));
  if (!cors.ok()) {
    spdlog::critical("event=bad_flags error=\"{}\"",
                     std::string(cors.status().message()));
    return 2;
  }
  Edge edge(settings, limits, *std::move(cors));
  edge.metrics = std::make_unique<GatewayMetrics>(Metrics());
  if (const auto dir = absl::GetFlag(FLAGS_static_dir); !dir.empty()) {
    auto files =
        StaticFiles::Open(dir, absl::GetFlag(FLAGS_static_max_file_bytes));
    if (!files.ok()) {
      spdlog::critical("event=bad_flags error=\"{}\"",
                       std::string(files.status().message()));
      return 2;
    }
    edge.static_files.emplace(*std::move(files));
  }
  auto verifier = JwtVerifier::Create(JwtSettingsFromFlags());
  if (!verifier.ok()) {
    spdlog::critical("event=jwt_config_error error=\"{}\"",
                     std::string(verifier.status().message()));
    return 2;
  }
  edge.verifier = *std::move(verifier);
  const JwtSettings jwt = JwtSettingsFromFlags();
  if (absl::GetFlag(FLAGS_dev_token_endpoint)) {
    auto secret =
        jwt.hs256_secret_file.empty()
            ? absl::StatusOr<std::string>(
                  absl::FailedPreconditionError("--dev_token_endpoint needs "
                                                "--jwt_hs256_secret_file"))
            : ReadHs256Secret(jwt.hs256_secret_file);
    if (!secret.ok()) {
      spdlog::critical("event=bad_flags error=\"{}\"",
                       std::string(secret.status().message()));
      return 2;
    }
    edge.dev_token =
        DevTokenConfig{*std::move(secret), jwt.issuer, jwt.audience};
    spdlog::warn(
        "event=dev_token_endpoint_on path=/dev/token warning=\"anyone who "
        "reaches this gateway can mint a token for any user, operators "
        "included: local stacks and tests only\"");
  }
  if (WaitingRoomEnabledFromFlags()) {
    auto options = WaitingRoomOptionsFromFlags();
    auto signer = PassSignerFromFlags(jwt.hs256_secret_file);
    auto redis_options = RedisOptionsFromFlags();
    if (!options.ok() || !signer.ok() || !redis_options.ok()) {
      spdlog::critical(
          "event=waiting_room_config_error error=\"{}\"",
          std::string(!options.ok()  ? options.status().message()
                      : !signer.ok() ? signer.status().message()
                                     : redis_options.status().message()));
      return 2;
    }
    redis_options->pool_size = options->threads;
    redis_options->command_timeout =
        std::min(redis_options->command_timeout, options->redis_timeout);
    redis_options->connect_timeout =
        std::min(redis_options->connect_timeout, options->redis_timeout);
    edge.waiting_room = std::make_unique<WaitingRoom>(
        std::make_shared<RedisClient>(*redis_options), *std::move(signer),
        *options, Metrics());
  }
  auto rate_limits = RateLimitsFromFlags();
  if (!rate_limits.ok()) {
    spdlog::critical("event=bad_flags error=\"{}\"",
                     std::string(rate_limits.status().message()));
    return 2;
  }
  if (!rate_limits->empty()) {
    auto redis_options = RateLimiterRedisOptionsFromFlags();
    auto limiter_options = RateLimiterOptionsFromFlags();
    if (!redis_options.ok() || !limiter_options.ok()) {
      spdlog::critical("event=rate_limit_config_error error=\"{}\"",
                       std::string(!redis_options.ok()
                                       ? redis_options.status().message()
                                       : limiter_options.status().message()));
      return 2;
    }
    auto redis = std::make_shared<RedisClient>(*redis_options);
    edge.limiter = std::make_unique<RateLimiter>(
        std::move(redis), *std::move(rate_limits), Metrics(), *limiter_options);
  }
  edge.forwarder = std::make_unique<Forwarder>(
      std::array<std::string, kBackendCount>{
          absl::GetFlag(FLAGS_order), absl::GetFlag(FLAGS_inventory),
          absl::GetFlag(FLAGS_seat), absl::GetFlag(FLAGS_payment),
          absl::GetFlag(FLAGS_coordinator), absl::GetFlag(FLAGS_booking)},
      settings.max_response_bytes);

  SideServers side;
  if (!side.Start()) return 1;
  int threads = absl::GetFlag(FLAGS_io_threads);
  if (threads <= 0) {
    threads =
        std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  }
  HttpServer server(edge, threads);
  const std::string listen = absl::GetFlag(FLAGS_listen);
  if (auto s = server.Start(listen); !s.ok()) {
    spdlog::critical("event=listen_failed listen={} error=\"{}\"", listen,
                     std::string(s.message()));
    return 1;
  }
  spdlog::info(
      "event=serving listen={} port={} io_threads={} static_dir={} "
      "rate_limits={} waiting_room={} dev_token={} backends_tls={}",
      listen, server.port(), threads, absl::GetFlag(FLAGS_static_dir),
      edge.limiter ? "on" : "off", edge.waiting_room ? "on" : "off",
      edge.dev_token ? "on" : "off", "mtls");

  const int sig = WaitForShutdownSignal();
  spdlog::info("event=shutdown_begin signal={} inflight={}", sig,
               edge.limits.inflight());
  side.SetServing(false);
  server.Shutdown(ShutdownGrace());
  side.Shutdown();
  spdlog::info("event=shutdown_done");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace
}  // namespace turnstile::gateway

int main(int argc, char** argv) {
  turnstile::InitProcess(argc, argv, "gateway");
  return turnstile::gateway::Run();
}
