// Capped exponential backoff with full jitter, used by every retry loop
// (coordinator driver, order-service Try retries, optimistic reservations).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace turnstile {

struct BackoffPolicy {
  std::chrono::milliseconds initial{50};
  std::chrono::milliseconds max{10000};
};

// Delay before retry number `attempt` (1 = first retry): uniform in
// [0, min(max, initial * 2^(attempt-1))].
inline std::chrono::milliseconds BackoffDelay(const BackoffPolicy& policy,
                                              int attempt) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const int shift = std::clamp(attempt - 1, 0, 30);
  const int64_t cap =
      std::min<int64_t>(policy.max.count(), policy.initial.count() << shift);
  std::uniform_int_distribution<int64_t> dist(0, std::max<int64_t>(cap, 1));
  return std::chrono::milliseconds(dist(rng));
}

}  // namespace turnstile
