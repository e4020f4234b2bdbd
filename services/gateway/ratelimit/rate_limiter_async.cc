// RateLimiter::CheckAsync: the limiter's calls of every I/O thread queued
// and sent to Redis in pipelined batches by one dispatcher thread. While a
// batch is on its way the next one gathers (like a group commit), so under
// load one write and one read carry many calls, and no I/O thread waits on
// Redis. A batch that fails decides its calls by their fallback, exactly as
// Check does.
#include <spdlog/spdlog.h>

#include "services/gateway/ratelimit/rate_limiter.h"

namespace turnstile::gateway {
namespace {

// Calls per pipelined batch: enough to amortize a round trip, small enough
// that one batch's replies stay a few kilobytes.
constexpr size_t kMaxBatch = 128;

}  // namespace

void RateLimiter::CheckAsync(absl::string_view method, absl::string_view user,
                             absl::string_view ip,
                             std::function<void(Decision)> done) {
  Queued item;
  const Prepared p = Prepare(method, user, ip, item.args);
  if (p.decided) return done(*p.decided);
  item.state = p.state;
  item.done = std::move(done);
  std::call_once(dispatcher_once_, [this] {
    dispatcher_ = std::thread([this] { DispatchLoop(); });
  });
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queue_.push_back(std::move(item));
  }
  queue_cv_.notify_one();
}

void RateLimiter::DispatchLoop() {
  std::vector<Queued> batch;
  std::vector<const RedisArgs*> calls;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      if (queue_.size() <= kMaxBatch) {
        batch.swap(queue_);
      } else {
        std::move(queue_.begin(), queue_.begin() + kMaxBatch,
                  std::back_inserter(batch));
        queue_.erase(queue_.begin(), queue_.begin() + kMaxBatch);
      }
    }
    calls.clear();
    for (const Queued& q : batch) calls.push_back(&q.args);
    // (Each call was let through by ShouldAsk when prepared; a failure
    // marks Redis down for the calls prepared after it.)
    auto replies = redis_->EvalBatch(script_, calls, options_.command_timeout);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].done(Interpret(*batch[i].state, replies[i]));
    }
    batch.clear();
  }
}

RateLimiter::~RateLimiter() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (dispatcher_.joinable()) dispatcher_.join();
}

}  // namespace turnstile::gateway
