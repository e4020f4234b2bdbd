#include "services/gateway/connection_limits.h"

namespace turnstile::gateway {

ConnectionLimits::Refusal ConnectionLimits::TryOpen(absl::string_view ip) {
  std::lock_guard<std::mutex> lock(mu_);
  if (open_.load(std::memory_order_relaxed) >= settings_.max_connections) {
    return Refusal::kTotal;
  }
  int& count = per_ip_[ip];
  if (count >= settings_.max_connections_per_ip) return Refusal::kPerIp;
  ++count;
  open_.fetch_add(1, std::memory_order_relaxed);
  return Refusal::kNone;
}

void ConnectionLimits::Close(absl::string_view ip) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second <= 0) per_ip_.erase(it);
  open_.fetch_sub(1, std::memory_order_relaxed);
}

bool ConnectionLimits::TryStartCall() {
  if (inflight_.fetch_add(1, std::memory_order_relaxed) >=
      settings_.max_inflight) {
    inflight_.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void ConnectionLimits::EndCall() {
  inflight_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace turnstile::gateway
