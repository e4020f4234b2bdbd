// A background pass repeated at a fixed interval until stopped: the
// reconcilers' periodic repair of their Redis gates (seat, booking). The
// pass runs on a thread of its own, never concurrently with itself; Stop
// wakes the wait at once and joins (a pass in progress finishes first).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace turnstile {

class PeriodicPass {
 public:
  PeriodicPass() = default;
  PeriodicPass(const PeriodicPass&) = delete;
  PeriodicPass& operator=(const PeriodicPass&) = delete;
  ~PeriodicPass() { Stop(); }

  // Runs `pass` every `interval` (first after one interval). No-op if the
  // interval is not positive or a pass thread already runs.
  void Start(std::chrono::seconds interval, std::function<void()> pass);
  void Stop();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace turnstile
