// A small fixed thread pool with delayed tasks. gRPC callback handlers and
// gRPC client callbacks must not block, so everything that waits on
// PostgreSQL (reads, the driver's load of a transaction) or on time (the
// test pause before a first delivery) is posted here instead. The queue of
// immediate tasks is bounded: past max_queue a Post is refused with
// RESOURCE_EXHAUSTED at once (services/common/overload.h) rather than left
// to wait behind thousands of others.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace turnstile::coordinator {

class Executor {
 public:
  using Task = std::function<void()>;

  // `max_queue`: immediate tasks waiting for a thread beyond which Post
  // refuses.
  explicit Executor(int threads, int max_queue = 1024);
  ~Executor();  // Stop()
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs `task` on a pool thread soon. The task is dropped and the answer
  // is RESOURCE_EXHAUSTED when max_queue tasks wait already, UNAVAILABLE
  // after Stop().
  absl::Status Post(Task task);
  // Runs `task` after `delay`, not bounded by max_queue: the driver's
  // deliveries, bounded by its own count of active transactions. Delayed
  // tasks not yet due at Stop() are dropped: whatever they would have done
  // is left to the recovery loop. False (dropped) after Stop().
  bool PostAfter(std::chrono::milliseconds delay, Task task);
  // Runs the queued immediate tasks, drops delayed ones, joins the threads.
  void Stop();

 private:
  using Clock = std::chrono::steady_clock;
  struct Delayed {
    Clock::time_point at;
    uint64_t seq;  // FIFO among equal times
    Task task;
    bool operator>(const Delayed& o) const {
      return at != o.at ? at > o.at : seq > o.seq;
    }
  };
  void Loop();

  const int max_queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> ready_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  uint64_t seq_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace turnstile::coordinator
