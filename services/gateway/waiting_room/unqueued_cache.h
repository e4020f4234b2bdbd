// What this gateway has lately seen to be NOT queued, so that PlaceOrder of
// ordinary products pays no Redis round trip (nor a hop to the waiting
// room's threads) for the waiting-room check: a product whose queue_use
// answered NOT_QUEUED is remembered for `ttl` (--queue_config_cache_ms),
// and forgotten at once when this gateway configures its queue. A queue
// created through another replica therefore takes effect here within
// `ttl`. Only absence is cached: a queued product is checked in Redis on
// every order (the admission lives there). Bounded: at most `max_entries`
// products; when full, all are dropped (the next orders ask Redis again).
// Thread-safe; the clock is the caller's, so tests drive it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "services/gateway/waiting_room/queue_product.h"

namespace turnstile::gateway {

class UnqueuedCache {
 public:
  using Clock = std::chrono::steady_clock;

  // ttl 0: nothing is ever remembered.
  UnqueuedCache(std::chrono::milliseconds ttl, size_t max_entries = 10000)
      : ttl_(ttl), max_entries_(max_entries) {}

  // True if every product was seen unqueued less than ttl before `now`
  // (true for none).
  bool AllUnqueued(absl::Span<const QueueProduct> products,
                   Clock::time_point now);
  // Bumped by every Forget: take it before asking Redis and pass it to
  // NoteUnqueued, so that an answer from before a (re)configuration of
  // this gateway is not remembered after it.
  uint64_t generation();
  void NoteUnqueued(const QueueProduct& product, Clock::time_point now,
                    uint64_t generation);
  void Forget(const QueueProduct& product);
  size_t size();

 private:
  const std::chrono::milliseconds ttl_;
  const size_t max_entries_;
  std::mutex mu_;
  // product name -> when it was seen unqueued; guarded by mu_.
  absl::flat_hash_map<std::string, Clock::time_point> seen_;
  uint64_t generation_ = 0;  // guarded by mu_
};

}  // namespace turnstile::gateway
