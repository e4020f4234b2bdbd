#include "services/gateway/gateway_metrics.h"

#include "absl/strings/str_cat.h"

namespace turnstile::gateway {
namespace {

const prometheus::Histogram::BucketBoundaries& Buckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return *buckets;
}

}  // namespace

GatewayMetrics::GatewayMetrics(prometheus::Registry& registry)
    : calls_(prometheus::BuildCounter()
                 .Name("turnstile_gateway_requests_total")
                 .Help("gRPC-web calls answered, by routed method (or "
                       "\"unrouted\") and gRPC status code")
                 .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("turnstile_gateway_request_duration_seconds")
                   .Help("gRPC-web call latency at the edge, by method")
                   .Register(registry)),
      auth_failed_(prometheus::BuildCounter()
                       .Name("turnstile_gateway_auth_failed_total")
                       .Help("Calls refused UNAUTHENTICATED at the edge, by "
                             "reason")
                       .Register(registry)),
      refused_(prometheus::BuildCounter()
                   .Name("turnstile_gateway_connections_refused_total")
                   .Help("Connections refused or closed by a bound, by "
                         "reason")
                   .Register(registry)),
      open_(&prometheus::BuildGauge()
                 .Name("turnstile_gateway_open_connections")
                 .Help("Open client connections")
                 .Register(registry)
                 .Add({})),
      inflight_(&prometheus::BuildGauge()
                     .Name("turnstile_gateway_inflight")
                     .Help("Calls forwarded to the mesh and not yet answered")
                     .Register(registry)
                     .Add({})) {
  histograms_[0] = &latency_.Add({{"method", "unrouted"}}, Buckets());
  for (const Route& route : Routes()) {
    histograms_[route.index + 1] =
        &latency_.Add({{"method", std::string(route.method)}}, Buckets());
  }
}

void GatewayMetrics::CountCall(const Route* route, int code, double seconds) {
  const int row = route == nullptr ? 0 : route->index + 1;
  if (code < 0 || code >= kCodes) code = 2;  // UNKNOWN
  prometheus::Counter* counter =
      call_counters_[row][code].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add is idempotent and locked: a race adds the same series.
    counter = &calls_.Add(
        {{"method", route == nullptr ? "unrouted" : std::string(route->method)},
         {"code", std::to_string(code)}});
    call_counters_[row][code].store(counter, std::memory_order_release);
  }
  counter->Increment();
  histograms_[row]->Observe(seconds);
}

prometheus::Counter& GatewayMetrics::Cached(
    prometheus::Family<prometheus::Counter>& family, absl::string_view reason) {
  std::string key =
      absl::StrCat(&family == &auth_failed_ ? "a:" : "r:", reason);
  std::lock_guard<std::mutex> lock(reasons_mu_);
  auto [it, inserted] = reasons_.try_emplace(std::move(key), nullptr);
  if (inserted) it->second = &family.Add({{"reason", std::string(reason)}});
  return *it->second;
}

void GatewayMetrics::CountAuthFailure(absl::string_view reason) {
  Cached(auth_failed_, reason).Increment();
}

void GatewayMetrics::CountConnectionRefused(absl::string_view reason) {
  Cached(refused_, reason).Increment();
}

}  // namespace turnstile::gateway
