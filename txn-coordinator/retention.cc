#include "txn-coordinator/retention.h"

#include <spdlog/spdlog.h>

#include "txn-coordinator/metrics.h"

namespace turnstile::coordinator {

Retention::Retention(RetentionOptions options, LogStore* log)
    : options_(options), log_(log) {}

Retention::~Retention() { Stop(); }

void Retention::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, options_.every, [&] { return stopping_; })) {
      lock.unlock();
      RunOnce();
      lock.lock();
    }
  });
}

void Retention::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t Retention::RunOnce() {
  int64_t total = 0;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    auto deleted = log_->DeleteFinished(options_.keep, options_.batch);
    if (!deleted.ok()) {
      spdlog::warn("event=retention_failed error=\"{}\"",
                   std::string(deleted.status().message()));
      break;
    }
    total += *deleted;
    if (*deleted < options_.batch) break;
  }
  if (total > 0) {
    M().retention_deleted.Increment(static_cast<double>(total));
    spdlog::info("event=retention_deleted count={} keep_hours={}", total,
                 options_.keep.count());
  }
  return total;
}

}  // namespace turnstile::coordinator
