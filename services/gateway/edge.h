// Everything one gateway process shares among its connections: its
// settings, admission bounds, CORS policy, static files, JWT verifier, rate
// limiter, the forwarder into the mesh, the waiting room, the dev sign-in
// endpoint's key (if on) and the metrics. Built once in main
// and read-only afterwards except for the counters and the draining flag.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "services/gateway/connection_limits.h"
#include "services/gateway/cors.h"
#include "services/gateway/dev_token.h"
#include "services/gateway/forwarder.h"
#include "services/gateway/gateway_metrics.h"
#include "services/gateway/jwt/jwt_verifier.h"
#include "services/gateway/ratelimit/rate_limiter.h"
#include "services/gateway/static_files.h"
#include "services/gateway/waiting_room/waiting_room.h"

namespace turnstile::gateway {

struct EdgeSettings {
  int64_t max_request_bytes = 4 << 20;   // one gRPC message
  int64_t max_response_bytes = 4 << 20;  // one gRPC message
  int max_header_bytes = 16384;
  std::chrono::milliseconds header_timeout{5000};
  std::chrono::milliseconds body_timeout{15000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds max_deadline{30000};
  std::chrono::milliseconds default_deadline{10000};
  std::chrono::milliseconds overload_retry_after{1000};
  bool trust_forwarded_for = false;
  int64_t max_buffered_body_bytes = 256 << 20;  // all bodies being read
};

struct Edge {
  EdgeSettings settings;
  ConnectionLimits limits;
  CorsPolicy cors;
  std::optional<StaticFiles> static_files;
  std::unique_ptr<JwtVerifier> verifier;
  std::unique_ptr<RateLimiter> limiter;  // null = no rate limits
  std::unique_ptr<Forwarder> forwarder;
  std::unique_ptr<WaitingRoom> waiting_room;  // null = --waiting_room=false
  std::optional<DevTokenConfig> dev_token;    // set = --dev_token_endpoint
  std::unique_ptr<GatewayMetrics> metrics;
  std::atomic<bool> draining{false};
  // Requests read and not yet answered (written): the drain waits for them.
  std::atomic<int> active_requests{0};
  // Bytes of request bodies being received (reserved at the header).
  std::atomic<int64_t> body_bytes{0};

  Edge(EdgeSettings s, LimitSettings l, CorsPolicy c)
      : settings(s), limits(l), cors(std::move(c)) {}
};

}  // namespace turnstile::gateway
