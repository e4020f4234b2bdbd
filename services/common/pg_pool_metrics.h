// The Prometheus series of one PostgreSQL pool (pg_pool.h), labelled
// pool=<name>: its size, connections in use and idle, callers waiting, calls
// refused (why=max_waiters|max_wait) and how long callers that had to wait
// waited. What TurnstileDbPoolSaturated and the dashboard's pool panels read.
// Gauges move by deltas, so two pools of one name in a process add up and a
// destroyed pool takes its share away. All series exist from the pool's
// construction on (at 0), so a first refusal is visible to rate().
#pragma once

#include <string>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"

namespace turnstile {

struct PgPoolMetrics {
  prometheus::Gauge& size;     // turnstile_pg_pool_size
  prometheus::Gauge& in_use;   // turnstile_pg_pool_connections{state=in_use}
  prometheus::Gauge& idle;     // turnstile_pg_pool_connections{state=idle}
  prometheus::Gauge& waiters;  // turnstile_pg_pool_waiters
  prometheus::Counter& refused_max_waiters;  // turnstile_pg_pool_refused_total
  prometheus::Counter& refused_max_wait;
  prometheus::Histogram& wait_seconds;  // turnstile_pg_pool_wait_seconds

  // The series of pool `name` in the process registry.
  static PgPoolMetrics For(const std::string& name);
};

}  // namespace turnstile
