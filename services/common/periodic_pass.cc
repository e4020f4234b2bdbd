#include "services/common/periodic_pass.h"

#include <utility>

namespace turnstile {

void PeriodicPass::Start(std::chrono::seconds interval,
                         std::function<void()> pass) {
  if (interval.count() <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this, interval, pass = std::move(pass)] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval, [this] { return stop_; })) {
      lock.unlock();
      pass();
      lock.lock();
    }
  });
}

void PeriodicPass::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace turnstile
