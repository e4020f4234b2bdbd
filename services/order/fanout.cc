#include "services/order/fanout.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

#include "services/common/status.h"

namespace turnstile::order {

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

namespace {

// Completions handed from callback threads to the waiting caller.
struct Mailbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<absl::Status>> done;
};

enum class Phase { kWaiting, kInFlight, kDone };

}  // namespace

std::vector<TryResult> RunTries(const std::vector<TryTask>& tasks,
                                const RetryPolicy& policy, Deadline until,
                                const RetryObserver& on_retry) {
  const size_t n = tasks.size();
  std::vector<TryResult> results(n);
  std::vector<Phase> phase(n, Phase::kWaiting);
  std::vector<Deadline> start_at(n, Clock::now());
  auto mailbox = std::make_shared<Mailbox>();
  mailbox->done.resize(n);
  bool stop = false;  // a Try failed for good: start nothing new
  size_t finished = 0;

  while (finished < n) {
    // Start every attempt that is due. Never under the lock: `start` may
    // complete inline.
    Deadline now = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      if (phase[i] != Phase::kWaiting) continue;
      if (stop || now >= until) {
        if (results[i].attempts == 0) {
          results[i].status =
              stop ? absl::CancelledError("not attempted: another Try failed")
                   : Error(absl::StatusCode::kDeadlineExceeded, "TXN_DEADLINE",
                           "no time left to try");
        }
        phase[i] = Phase::kDone;
        ++finished;
        continue;
      }
      if (start_at[i] > now) continue;
      phase[i] = Phase::kInFlight;
      ++results[i].attempts;
      const Deadline call_deadline =
          std::min(Deadline(now + policy.call_timeout), until);
      tasks[i].start(call_deadline, [mailbox, i](absl::Status status) {
        std::lock_guard lock(mailbox->mu);
        mailbox->done[i] = std::move(status);
        mailbox->cv.notify_all();
      });
    }
    if (finished == n) break;

    // Sleep until a completion arrives or the next retry is due.
    std::vector<std::pair<size_t, absl::Status>> completed;
    {
      std::unique_lock lock(mailbox->mu);
      auto any_done = [&] {
        for (const auto& d : mailbox->done) {
          if (d.has_value()) return true;
        }
        return false;
      };
      Deadline wake = Clock::now() + std::chrono::seconds(1);
      for (size_t i = 0; i < n; ++i) {
        if (phase[i] == Phase::kWaiting) wake = std::min(wake, start_at[i]);
      }
      mailbox->cv.wait_until(lock, wake, any_done);
      for (size_t i = 0; i < n; ++i) {
        if (mailbox->done[i].has_value()) {
          completed.emplace_back(i, std::move(*mailbox->done[i]));
          mailbox->done[i].reset();
        }
      }
    }

    now = Clock::now();
    for (auto& [i, status] : completed) {
      results[i].status = status;
      if (status.ok()) {
        phase[i] = Phase::kDone;
        ++finished;
        continue;
      }
      if (IsRetryable(status) && !stop) {
        const Deadline next =
            now + BackoffDelay(policy.backoff, results[i].attempts);
        if (next < until) {
          if (on_retry) on_retry(tasks[i].branch, status, results[i].attempts);
          phase[i] = Phase::kWaiting;
          start_at[i] = next;
          continue;
        }
      }
      // Refused, or out of time: final. The others stop retrying too.
      phase[i] = Phase::kDone;
      ++finished;
      stop = true;
    }
  }
  return results;
}

std::optional<size_t> FirstFailure(const std::vector<TryResult>& results) {
  std::optional<size_t> transient, any;
  for (size_t i = 0; i < results.size(); ++i) {
    const absl::Status& s = results[i].status;
    if (s.ok()) continue;
    if (!any) any = i;
    if (s.code() == absl::StatusCode::kCancelled) continue;
    if (!IsRetryable(s)) return i;
    if (!transient) transient = i;
  }
  return transient ? transient : any;
}

}  // namespace turnstile::order
