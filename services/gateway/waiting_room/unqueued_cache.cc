#include "services/gateway/waiting_room/unqueued_cache.h"

namespace turnstile::gateway {

bool UnqueuedCache::AllUnqueued(absl::Span<const QueueProduct> products,
                                Clock::time_point now) {
  if (ttl_.count() <= 0) return products.empty();
  std::lock_guard<std::mutex> lock(mu_);
  for (const QueueProduct& product : products) {
    auto it = seen_.find(product.Name());
    if (it == seen_.end()) return false;
    if (now - it->second >= ttl_ || now < it->second) {
      seen_.erase(it);
      return false;
    }
  }
  return true;
}

uint64_t UnqueuedCache::generation() {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

void UnqueuedCache::NoteUnqueued(const QueueProduct& product,
                                 Clock::time_point now, uint64_t generation) {
  if (ttl_.count() <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (generation != generation_) return;
  if (seen_.size() >= max_entries_) seen_.clear();
  seen_[product.Name()] = now;
}

void UnqueuedCache::Forget(const QueueProduct& product) {
  std::lock_guard<std::mutex> lock(mu_);
  ++generation_;
  seen_.erase(product.Name());
}

size_t UnqueuedCache::size() {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_.size();
}

}  // namespace turnstile::gateway
