#include "services/common/overload.h"

#include <string>

#include "absl/flags/flag.h"
#include "prometheus/counter.h"
#include "services/common/process.h"
#include "services/common/status.h"

ABSL_FLAG(int, overload_retry_after_ms, 50,
          "Retry delay (google.rpc.RetryInfo) advised with every "
          "RESOURCE_EXHAUSTED refusal of a full queue or connection pool");

namespace turnstile {

bool HasRoom(size_t queued, size_t bound) { return queued < bound; }

PoolStep NextPoolStep(const PoolCounts& c, int max_waiters) {
  if (c.idle > 0) return PoolStep::kUseIdle;
  if (c.open < c.size) return PoolStep::kConnect;
  if (HasRoom(static_cast<size_t>(std::max(0, c.waiting)),
              static_cast<size_t>(std::max(0, max_waiters)))) {
    return PoolStep::kWait;
  }
  return PoolStep::kRefuse;
}

std::chrono::milliseconds OverloadRetryAfter() {
  return std::chrono::milliseconds(
      std::max(1, absl::GetFlag(FLAGS_overload_retry_after_ms)));
}

absl::Status RefuseOverload(absl::string_view queue,
                            absl::string_view message) {
  static auto& family =
      prometheus::BuildCounter()
          .Name("turnstile_overload_refusals_total")
          .Help(
              "Calls refused with RESOURCE_EXHAUSTED because a bounded "
              "queue or connection pool was full, by queue")
          .Register(Metrics());
  family.Add({{"queue", std::string(queue)}}).Increment();
  return Overloaded("OVERLOADED", message, OverloadRetryAfter());
}

}  // namespace turnstile
