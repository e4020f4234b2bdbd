// A budget of log lines per second, so that a flood of refused or failing
// calls (counted in full by metrics) never becomes a flood of log. Lock-free
// and safe from any thread; the window is the wall-clock second.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"

namespace turnstile {

class LogBudget {
 public:
  explicit constexpr LogBudget(int64_t lines_per_second)
      : per_second_(lines_per_second) {}

  // True if one more line may be written this second.
  bool Allow() {
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    int64_t seen = window_.load(std::memory_order_relaxed);
    if (seen != now && window_.compare_exchange_strong(seen, now)) {
      used_.store(0, std::memory_order_relaxed);
    }
    return used_.fetch_add(1, std::memory_order_relaxed) < per_second_;
  }

 private:
  const int64_t per_second_;
  std::atomic<int64_t> window_{0};
  std::atomic<int64_t> used_{0};
};

}  // namespace turnstile
