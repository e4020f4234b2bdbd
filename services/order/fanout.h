// Runs the Tries of one step of an order in parallel, each retried with
// capped exponential backoff and jitter while it fails transiently (safe: the
// barrier makes a Try idempotent) and the horizon allows. A business refusal
// is final and stops further attempts of the other Tries, since the
// transaction will be aborted anyway. Returns only when no attempt is in
// flight, so no callback outlives the call.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/common/backoff.h"
#include "services/order/flow_ports.h"

namespace turnstile::order {

// UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED (overload): worth
// another attempt of an idempotent call.
bool IsRetryable(const absl::Status& status);

struct RetryPolicy {
  BackoffPolicy backoff{std::chrono::milliseconds(50),
                        std::chrono::milliseconds(1000)};
  std::chrono::milliseconds call_timeout{2000};  // per attempt
};

struct TryTask {
  std::string branch;
  // Starts one attempt with the given per-call deadline; calls `done` exactly
  // once (inline or from another thread) with the attempt's status.
  std::function<void(Deadline, std::function<void(absl::Status)>)> start;
};

struct TryResult {
  absl::Status status;  // final status (last attempt's)
  int attempts = 0;
};

// Called before each retry (for logs and metrics).
using RetryObserver = std::function<void(
    const std::string& branch, const absl::Status& status, int attempt)>;

// Attempts start only before `until`; each call's deadline is
// min(now + call_timeout, until). Results are in task order.
std::vector<TryResult> RunTries(const std::vector<TryTask>& tasks,
                                const RetryPolicy& policy, Deadline until,
                                const RetryObserver& on_retry = nullptr);

}  // namespace turnstile::order
