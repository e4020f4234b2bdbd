// The driver delivers the second phase (DESIGN.md §3.5): for a CONFIRMING or
// CANCELLING transaction whose lease this process holds, it calls Confirm or
// Cancel on every undelivered branch in parallel with the gRPC callback API
// (no thread waits on a participant), then records the round through group
// commit: delivered branches are done, failed ones get attempts, last_error
// and next_attempt_at = now + capped exponential backoff with full jitter.
// When no branch is left the transaction becomes CONFIRMED/CANCELLED;
// otherwise the lease is released and the recovery loop hands it back when
// the earliest branch is due, so retries go on forever and survive restarts.
// Each round runs in the transaction's stored trace (trace_scope.h): its log
// lines carry the trace id and every Confirm/Cancel sends it on.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "services/common/backoff.h"
#include "turnstile/v1/participant.grpc.pb.h"
#include "txn-coordinator/executor.h"
#include "txn-coordinator/group_commit.h"
#include "txn-coordinator/log_store.h"
#include "txn-coordinator/txn_ops.h"
#include "txn-coordinator/waiters.h"

namespace turnstile::coordinator {

struct DriverOptions {
  std::chrono::milliseconds rpc_timeout{3000};
  BackoffPolicy backoff{std::chrono::milliseconds(100),
                        std::chrono::milliseconds(30000)};
  // Transactions driven at once; recovery claims no more than this allows.
  int max_active = 4096;
};

// Delay before the next delivery to a branch that has now failed `attempts`
// times in total: full jitter in [0, min(max, initial * 2^(attempts-1))].
std::chrono::milliseconds RetryDelay(const BackoffPolicy& policy, int attempts);

class Driver {
 public:
  using Stubs = std::map<std::string, std::unique_ptr<v1::Participant::Stub>>;

  // `stubs` maps participant names to their clients.
  Driver(DriverOptions options, LogStore* log, GroupCommit* writer,
         Executor* executor, Waiters* waiters, Stubs stubs);
  ~Driver();
  Driver(const Driver&) = delete;
  Driver& operator=(const Driver&) = delete;

  // Runs one delivery round for `gid` after `delay`, unless this process is
  // already driving it. The caller holds the transaction's lease.
  void Drive(const std::string& gid,
             std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  // How many more transactions may be handed over now.
  int Capacity() const;
  // Stops taking work and waits up to `wait` for rounds in flight; anything
  // unfinished is left to recovery (its lease expires).
  void Stop(std::chrono::milliseconds wait);

 private:
  struct Round;
  void StartRound(const std::string& gid);
  void OnDelivered(const std::shared_ptr<Round>& round, size_t index,
                   const grpc::Status& status);
  void Record(const std::shared_ptr<Round>& round);
  void Finish(const std::string& gid);

  const DriverOptions options_;
  LogStore* log_;
  GroupCommit* writer_;
  Executor* executor_;
  Waiters* waiters_;
  const Stubs stubs_;

  mutable std::mutex mu_;
  std::condition_variable idle_;
  std::set<std::string> active_;  // scheduled or in flight here
  int in_flight_ = 0;             // rounds past their start delay
  bool stopping_ = false;
};

}  // namespace turnstile::coordinator
