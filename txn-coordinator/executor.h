// A small fixed thread pool with delayed tasks. gRPC callback handlers and
// gRPC client callbacks must not block, so everything that waits on
// PostgreSQL (reads, the driver's load of a transaction) or on time (the
// test pause before a first delivery) is posted here instead.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace turnstile::coordinator {

class Executor {
 public:
  using Task = std::function<void()>;

  explicit Executor(int threads);
  ~Executor();  // Stop()
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs `task` on a pool thread soon. False (task dropped) after Stop().
  bool Post(Task task);
  // Runs `task` after `delay`. Delayed tasks not yet due at Stop() are
  // dropped: whatever they would have done is left to the recovery loop.
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

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> ready_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  uint64_t seq_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace turnstile::coordinator
