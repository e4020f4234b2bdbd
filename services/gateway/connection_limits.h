// The gateway's admission bounds, so that no client can take more than its
// share before a request is even parsed: open connections in all, open
// connections per client IP, and calls in flight to the mesh. Counters
// only; the session asks before it accepts or forwards and refuses early
// (connection closed with a 503, or RESOURCE_EXHAUSTED with a retry delay).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace turnstile::gateway {

struct LimitSettings {
  int max_connections = 10000;
  int max_connections_per_ip = 256;
  int max_inflight = 4096;
};

class ConnectionLimits {
 public:
  explicit ConnectionLimits(LimitSettings settings) : settings_(settings) {}

  enum class Refusal { kNone, kTotal, kPerIp };
  // Counts a new connection from `ip` unless a bound is reached.
  Refusal TryOpen(absl::string_view ip);
  void Close(absl::string_view ip);

  // Counts a call to the mesh unless --max_inflight calls are running.
  bool TryStartCall();
  void EndCall();

  int open() const { return open_.load(std::memory_order_relaxed); }
  int inflight() const { return inflight_.load(std::memory_order_relaxed); }

 private:
  const LimitSettings settings_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, int> per_ip_;  // only IPs with >= 1
  std::atomic<int> open_{0};
  std::atomic<int> inflight_{0};
};

}  // namespace turnstile::gateway
