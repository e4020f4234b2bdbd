// Group commit (DESIGN.md §3.5): one writer thread batches concurrent log
// writes (Begin, RegisterBranch, Commit, Abort, delivery results) into one
// PostgreSQL transaction, flushing when the batch is full or when its oldest
// op has waited max_wait. This is the coordinator's main throughput lever:
// one commit (one WAL flush) per batch instead of per request.
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
};

class GroupCommit {
 public:
  using Op = std::function<absl::Status(pqxx::work&)>;
  // Called on the writer thread after the batch committed (or failed); must
  // not block.
  using Done = std::function<void(absl::Status)>;

  // Writes through its own connection to `conninfo`, prepared by `prepare`.
  GroupCommit(const std::string& conninfo, PgPool::Prepare prepare,
              GroupCommitOptions options);
  ~GroupCommit();  // Stop()
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Queues `op`; `done` gets its status once the batch is durable. After
  // Stop(), `done` gets UNAVAILABLE at once.
  void Submit(Op op, Done done);
  // Submit and wait.
  absl::Status Run(Op op);
  // Flushes everything queued, then joins the writer.
  void Stop();

  // Counters for tests and logs.
  int64_t batches() const;
  int64_t largest_batch() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Item {
    Op op;
    Done done;
    Clock::time_point queued;
  };
  void Loop();
  void RunBatch(std::deque<Item>& batch);

  PgPool pool_;  // size 1: the writer's connection, reconnected on demand
  const GroupCommitOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  int64_t batches_ = 0;
  int64_t largest_ = 0;
  std::thread writer_;
};

}  // namespace turnstile::coordinator
