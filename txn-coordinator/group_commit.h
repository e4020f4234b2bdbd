// Group commit (DESIGN.md §3.5): one writer thread batches concurrent log
// writes (Begin, RegisterBranch, Commit, Abort, delivery results) into one
// PostgreSQL transaction, flushing when the batch is full or when its oldest
// op has waited max_wait. This is the coordinator's main throughput lever:
// one commit (one WAL flush) per batch instead of per request. The queue is
// bounded (max_queue): a client's op that finds it full is refused at once
// with RESOURCE_EXHAUSTED and a retry delay (services/common/overload.h), so
// an overloaded coordinator answers fast instead of queueing without end.
//
// Contract for ops: an op runs inside the shared transaction and must not
// raise SQL errors for expected conflicts (use ON CONFLICT DO NOTHING and
// conditional UPDATE ... RETURNING); it returns a status that is its own
// answer and does not roll back the batch, so it must decide before it
// writes. If the batch transaction fails (connection lost, commit failed, an
// op threw), every op in it is answered UNAVAILABLE and nothing is written.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "services/common/pg_pool.h"

namespace turnstile::coordinator {

struct GroupCommitOptions {
  int max_batch = 128;
  std::chrono::microseconds max_wait{1000};
  // Ops queued (not yet in a running batch) beyond which a client's op is
  // refused.
  int max_queue = 2048;
};

class GroupCommit {
 public:
  using Op = std::function<absl::Status(pqxx::work&)>;
  // Called on the writer thread after the batch committed (or failed), or
  // on the submitting thread when the op is refused; must not block.
  using Done = std::function<void(absl::Status)>;

  // Writes through its own connection to `conninfo`, prepared by `prepare`.
  GroupCommit(const std::string& conninfo, PgPool::Prepare prepare,
              GroupCommitOptions options);
  ~GroupCommit();  // Stop()
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Who an op serves: a client's request is refused when the queue is full;
  // the driver's record of a delivery round is always queued, since dropping
  // it would only make the round run again (its number is bounded by the
  // driver's active transactions).
  enum class Admit { kIfRoom, kAlways };

  // Queues `op`; `done` gets its status once the batch is durable. If the
  // queue is full (kIfRoom) `done` gets RESOURCE_EXHAUSTED at once, after
  // Stop() UNAVAILABLE, both on the calling thread.
  void Submit(Op op, Done done, Admit admit = Admit::kIfRoom);
  // Submit and wait.
  absl::Status Run(Op op);
  // Flushes everything queued, then joins the writer.
  void Stop();

  // Counters for tests and logs.
  int64_t batches() const;
  int64_t largest_batch() const;
  int64_t refused() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Item {
    Op op;
    Done done;
    Clock::time_point queued;
  };
  void Loop();
  void RunBatch(std::deque<Item>& batch);

  // Size 1: the writer's connection, reconnected on demand (metrics label
  // pool="group_commit").
  PgPool pool_;
  const GroupCommitOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  int64_t batches_ = 0;
  int64_t largest_ = 0;
  int64_t refused_ = 0;
  std::thread writer_;
};

}  // namespace turnstile::coordinator
