#include "txn-coordinator/executor.h"

#include <spdlog/spdlog.h>

#include <exception>

#include "services/common/overload.h"
#include "services/common/status.h"

namespace turnstile::coordinator {

Executor::Executor(int threads, int max_queue) : max_queue_(max_queue) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

Executor::~Executor() { Stop(); }

absl::Status Executor::Post(Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      return Error(absl::StatusCode::kUnavailable, "SHUTTING_DOWN",
                   "coordinator is shutting down");
    }
    if (!HasRoom(ready_.size(), static_cast<size_t>(std::max(0, max_queue_)))) {
      return RefuseOverload("executor", "the coordinator is overloaded; retry");
    }
    ready_.push_back(std::move(task));
  }
  cv_.notify_one();
  return absl::OkStatus();
}

bool Executor::PostAfter(std::chrono::milliseconds delay, Task task) {
  if (delay.count() <= 0) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return false;
      ready_.push_back(std::move(task));  // not bounded, see the header
    }
    cv_.notify_one();
    return true;
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    delayed_.push(Delayed{Clock::now() + delay, seq_++, std::move(task)});
  }
  // Every waiter must re-evaluate its wake-up time.
  cv_.notify_all();
  return true;
}

void Executor::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    while (!delayed_.empty()) delayed_.pop();
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Executor::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    const auto now = Clock::now();
    while (!delayed_.empty() && delayed_.top().at <= now) {
      // priority_queue::top is const; the task is moved out before pop.
      ready_.push_back(std::move(const_cast<Delayed&>(delayed_.top()).task));
      delayed_.pop();
    }
    if (!ready_.empty()) {
      Task task = std::move(ready_.front());
      ready_.pop_front();
      lock.unlock();
      try {
        task();
      } catch (const std::exception& e) {
        spdlog::error("event=executor_task_failed error=\"{}\"", e.what());
      }
      lock.lock();
      continue;
    }
    if (stopping_) return;
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, delayed_.top().at);
    }
  }
}

}  // namespace turnstile::coordinator
