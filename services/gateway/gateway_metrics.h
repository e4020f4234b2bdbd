// The gateway's metrics, for an operator who must tell at a glance whether
// the edge refuses (and why), is saturated, or waits on the mesh: calls by
// routed method and gRPC code (everything unrouted under one "unrouted"
// label, so a scanner adds no series), their latency, refused connections
// by reason, open connections and calls in flight. Counters are looked up
// once and cached, so the hot path does no label hashing.
#pragma once

#include <array>
#include <atomic>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "services/gateway/routes.h"

namespace turnstile::gateway {

class GatewayMetrics {
 public:
  explicit GatewayMetrics(prometheus::Registry& registry);

  // A finished call of `route` (nullptr = unrouted) with gRPC `code`.
  void CountCall(const Route* route, int code, double seconds);
  // An edge refusal of authentication, by reason (a bounded set: the
  // verifier's reasons).
  void CountAuthFailure(absl::string_view reason);
  // A connection refused or dropped by a bound: "max_connections",
  // "max_connections_per_ip", "header_timeout", "header_too_large".
  void CountConnectionRefused(absl::string_view reason);
  void ConnectionOpened() { open_->Increment(); }
  void ConnectionClosed() { open_->Decrement(); }
  void CallStarted() { inflight_->Increment(); }
  void CallEnded() { inflight_->Decrement(); }

 private:
  static constexpr int kCodes = 17;
  static constexpr int kMaxRoutes = 64;
  prometheus::Family<prometheus::Counter>& calls_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Counter>& auth_failed_;
  prometheus::Family<prometheus::Counter>& refused_;
  prometheus::Gauge* open_;
  prometheus::Gauge* inflight_;
  // [route index + 1][code]; index 0 = unrouted.
  std::array<std::array<std::atomic<prometheus::Counter*>, kCodes>,
             kMaxRoutes + 1>
      call_counters_{};
  std::array<prometheus::Histogram*, kMaxRoutes + 1> histograms_{};
  // Few distinct reasons; looked up under a lock only on refusal paths.
  prometheus::Counter& Cached(prometheus::Family<prometheus::Counter>& family,
                              absl::string_view reason);
  std::mutex reasons_mu_;
  absl::flat_hash_map<std::string, prometheus::Counter*> reasons_;
};

}  // namespace turnstile::gateway
