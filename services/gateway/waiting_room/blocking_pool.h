// A few threads for the waiting room's blocking Redis calls, so that an I/O
// thread of the gateway never waits on Redis (DESIGN.md §7): tasks go into
// a queue of at most `max_pending`; a task that does not fit is refused at
// once (Submit returns false and the caller answers RESOURCE_EXHAUSTED),
// never queued without bound. The destructor runs what is queued, then
// joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace turnstile::gateway {

class BlockingPool {
 public:
  BlockingPool(int threads, size_t max_pending);
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // False (task dropped, not run) if max_pending tasks already wait.
  bool Submit(std::function<void()> task);

 private:
  void Loop();

  const size_t max_pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace turnstile::gateway
