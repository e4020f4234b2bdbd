// Runs the Tries of one step of an order in parallel, each retried with
// capped exponential backoff and jitter while it fails transiently (safe: the
// barrier makes a Try idempotent) and the horizon allows. A business refusal
// is final and stops further attempts of the other Tries, since the
// transaction will be aborted anyway. Returns only when no attempt is in
// flight, so no callback outlives the call.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
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

// The failure to report from a step: a refusal before a transient error
// before "not attempted"; nullopt if every task succeeded.
std::optional<size_t> FirstFailure(const std::vector<TryResult>& results);

// Wraps an asynchronous call `method(req, deadline, done)` as a task that
// stores the response in `out` on success. `req` and `out` must outlive the
// RunTries call.
template <typename Req, typename Resp, typename Method>
TryTask MakeTryTask(const std::string& branch, const Req& req, Resp& out,
                    Method method) {
  return TryTask{
      branch, [&req, &out, method](Deadline deadline,
                                   std::function<void(absl::Status)> done) {
        method(req, deadline,
               [&out, done = std::move(done)](absl::StatusOr<Resp> result) {
                 absl::Status status = result.status();
                 if (status.ok()) out = std::move(*result);
                 done(std::move(status));
               });
      }};
}

}  // namespace turnstile::order
