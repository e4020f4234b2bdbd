// Admission control for the bounded queues and waits of a process (DESIGN.md
// §7: overload is refused early, not queued without bound). Every bounded
// place -- a PostgreSQL pool's waiters, the coordinator's group-commit queue
// and executor -- asks the pure decisions below (which take counts, hold no
// lock and do no I/O, so they are unit-tested alone) and, when there is no
// room, answers RefuseOverload: RESOURCE_EXHAUSTED, reason OVERLOADED, with
// the retry delay of --overload_retry_after_ms, counted in the metric
// turnstile_overload_refusals_total{queue}.
#pragma once

#include <chrono>
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace turnstile {

// True if one more item fits a queue that holds `queued` and may hold
// `bound`.
bool HasRoom(size_t queued, size_t bound);

// What a caller asking a connection pool for a connection does next.
enum class PoolStep {
  kUseIdle,  // take an idle connection
  kConnect,  // open a new one (the pool is below its size)
  kWait,     // join the waiters for a released connection
  kRefuse,   // too many waiters already: refuse at once
};
struct PoolCounts {
  int idle = 0;     // open connections not lent out
  int open = 0;     // connections lent out or idle (or being opened)
  int size = 0;     // the pool's size
  int waiting = 0;  // callers waiting now
};
PoolStep NextPoolStep(const PoolCounts& counts, int max_waiters);

// The retry delay a refusal advises (--overload_retry_after_ms).
std::chrono::milliseconds OverloadRetryAfter();

// Counts a refusal by `queue` (the metric's label, e.g. "pg_pool") and
// returns RESOURCE_EXHAUSTED/OVERLOADED with `message` and the retry delay.
absl::Status RefuseOverload(absl::string_view queue, absl::string_view message);

}  // namespace turnstile
