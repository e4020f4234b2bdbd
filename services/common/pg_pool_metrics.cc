#include "services/common/pg_pool_metrics.h"

#include "services/common/process.h"

namespace turnstile {

PgPoolMetrics PgPoolMetrics::For(const std::string& name) {
  static auto& size = prometheus::BuildGauge()
                          .Name("turnstile_pg_pool_size")
                          .Help("PostgreSQL connections a pool may open")
                          .Register(Metrics());
  static auto& connections =
      prometheus::BuildGauge()
          .Name("turnstile_pg_pool_connections")
          .Help(
              "Open PostgreSQL connections of a pool, by state (in_use "
              "includes one being opened)")
          .Register(Metrics());
  static auto& waiters =
      prometheus::BuildGauge()
          .Name("turnstile_pg_pool_waiters")
          .Help("Callers waiting for a free PostgreSQL connection now")
          .Register(Metrics());
  static auto& refused =
      prometheus::BuildCounter()
          .Name("turnstile_pg_pool_refused_total")
          .Help(
              "Calls refused (RESOURCE_EXHAUSTED) for want of a connection: "
              "why=max_waiters (too many waiting already) or max_wait (none "
              "became free in time)")
          .Register(Metrics());
  static auto& wait = prometheus::BuildHistogram()
                          .Name("turnstile_pg_pool_wait_seconds")
                          .Help(
                              "How long callers that found no free "
                              "connection waited (granted or refused)")
                          .Register(Metrics());
  return PgPoolMetrics{
      size.Add({{"pool", name}}),
      connections.Add({{"pool", name}, {"state", "in_use"}}),
      connections.Add({{"pool", name}, {"state", "idle"}}),
      waiters.Add({{"pool", name}}),
      refused.Add({{"pool", name}, {"why", "max_waiters"}}),
      refused.Add({{"pool", name}, {"why", "max_wait"}}),
      wait.Add({{"pool", name}},
               prometheus::Histogram::BucketBoundaries{
                   0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}),
  };
}

}  // namespace turnstile
