#include "txn-coordinator/group_commit.h"

#include <spdlog/spdlog.h>

#include <future>

#include "absl/strings/str_cat.h"
#include "services/common/overload.h"
#include "services/common/status.h"
#include "txn-coordinator/metrics.h"

namespace turnstile::coordinator {

GroupCommit::GroupCommit(const std::string& conninfo, PgPool::Prepare prepare,
                         GroupCommitOptions options)
    : pool_(conninfo, 1, std::move(prepare),
            PgPoolLimits::FromFlags("group_commit")),
      options_(options) {
  writer_ = std::thread([this] { Loop(); });
}

GroupCommit::~GroupCommit() { Stop(); }

void GroupCommit::Submit(Op op, Done done, Admit admit) {
  bool stopping = false;
  {
    std::lock_guard lock(mu_);
    stopping = stopping_;
    const bool room =
        admit == Admit::kAlways ||
        HasRoom(queue_.size(),
                static_cast<size_t>(std::max(0, options_.max_queue)));
    if (!stopping && room) {
      queue_.push_back(Item{std::move(op), std::move(done), Clock::now()});
      if (queue_.size() == 1 ||
          queue_.size() >= static_cast<size_t>(options_.max_batch)) {
        cv_.notify_one();
      }
      return;
    }
    if (!stopping) ++refused_;
  }
  // Answered outside the lock: `done` may reply to the client.
  if (stopping) {
    done(Error(absl::StatusCode::kUnavailable, "SHUTTING_DOWN",
               "coordinator is shutting down"));
  } else {
    done(RefuseOverload("group_commit",
                        "the coordinator log is overloaded; retry"));
  }
}

absl::Status GroupCommit::Run(Op op) {
  auto promise = std::make_shared<std::promise<absl::Status>>();
  auto future = promise->get_future();
  Submit(std::move(op),
         [promise](absl::Status status) { promise->set_value(status); });
  return future.get();
}

void GroupCommit::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (writer_.joinable()) writer_.join();
}

int64_t GroupCommit::batches() const {
  std::lock_guard lock(mu_);
  return batches_;
}

int64_t GroupCommit::largest_batch() const {
  std::lock_guard lock(mu_);
  return largest_;
}

int64_t GroupCommit::refused() const {
  std::lock_guard lock(mu_);
  return refused_;
}

void GroupCommit::Loop() {
  const size_t max_batch = static_cast<size_t>(std::max(1, options_.max_batch));
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    // The oldest op bounds the wait; ops that queued while the previous
    // batch was committing may already be overdue.
    const auto flush_at = queue_.front().queued + options_.max_wait;
    cv_.wait_until(lock, flush_at,
                   [&] { return stopping_ || queue_.size() >= max_batch; });
    std::deque<Item> batch;
    while (!queue_.empty() && batch.size() < max_batch) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    RunBatch(batch);
    lock.lock();
    ++batches_;
    largest_ = std::max<int64_t>(largest_, batch.size());
  }
}

void GroupCommit::RunBatch(std::deque<Item>& batch) {
  const auto start = Clock::now();
  std::vector<absl::Status> results(batch.size());
  absl::Status failure;
  auto lease = pool_.Acquire();
  if (!lease.ok()) {
    failure = lease.status();
  } else {
    try {
      pqxx::work tx(**lease);
      for (size_t i = 0; i < batch.size(); ++i) results[i] = batch[i].op(tx);
      tx.commit();
    } catch (const std::exception& e) {
      failure = StatusFromException(e);
    }
  }
  auto& m = M();
  m.gc_batches.Increment();
  m.gc_ops.Increment(static_cast<double>(batch.size()));
  m.gc_batch_size.Observe(static_cast<double>(batch.size()));
  m.gc_batch_seconds.Observe(
      std::chrono::duration<double>(Clock::now() - start).count());
  if (!failure.ok()) {
    m.gc_batches_failed.Increment();
    spdlog::warn("event=group_commit_failed ops={} error=\"{}\"", batch.size(),
                 std::string(failure.message()));
    // The failure's message is already generic (StatusFromException); its
    // correlation id leads to the details in this log.
    const absl::Status unavailable = WithCorrelationId(
        Error(
            absl::StatusCode::kUnavailable, "LOG_WRITE_FAILED",
            absl::StrCat("coordinator log write failed: ", failure.message())),
        CorrelationIdOf(failure));
    for (auto& item : batch) item.done(unavailable);
    return;
  }
  for (size_t i = 0; i < batch.size(); ++i) batch[i].done(results[i]);
}

}  // namespace turnstile::coordinator
