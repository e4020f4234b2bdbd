// The orphan sweep every holding participant runs (inventory, seat,
// payment; DESIGN.md §8). A Try can leave a hold nobody will ever cancel: the
// initiator crashed between its Try and Begin's log write, or the Try arrived
// after the coordinator had delivered its Cancel to an empty branch. Every
// --orphan_sweep_interval_s a thread asks the service for up to
// --orphan_batch holds still open past their stored deadline +
// --orphan_margin_s (the margin leaves the coordinator's own timeout and
// driver time to act first), asks the coordinator about each one
// (Coordinator.GetTransaction with this participant's certificate, so it
// sees only its own branches), decides with the pure Decide
// (orphan_decision.h), and releases through the participant's own Cancel
// (barrier included, so a later Try of that branch is refused). Each release
// is counted in turnstile_orphans_released_total{participant} and logged
// (event=orphan_released).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/orphan_decision.h"
#include "turnstile/v1/coordinator.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile {

struct OrphanSweepOptions {
  std::string coordinator;  // address; empty: no sweep
  std::chrono::seconds interval{30};
  std::chrono::seconds margin{60};
  int batch = 100;
  std::chrono::milliseconds rpc_timeout{2000};
};

// Options from --orphan_sweep_interval_s, --orphan_margin_s, --orphan_batch
// and --orphan_rpc_timeout_ms (orphan_flags.cc) with `coordinator` as the
// address; INVALID_ARGUMENT for values out of range.
absl::StatusOr<OrphanSweepOptions> OrphanSweepOptionsFromFlags(
    const std::string& coordinator);

class OrphanSweeper {
 public:
  struct Hooks {
    // Up to `limit` branches with a hold still open although their stored
    // deadline is more than `margin` ago (the store's SQL, oldest first).
    std::function<absl::StatusOr<std::vector<OverdueHold>>(
        std::chrono::seconds margin, int limit)>
        list_overdue;
    // Releases the branch the way Participant.Cancel does.
    std::function<absl::Status(const OverdueHold&)> release;
  };

  // `participant` names the service in logs and metrics.
  OrphanSweeper(std::string participant, OrphanSweepOptions options,
                Hooks hooks);
  ~OrphanSweeper();  // stops the thread

  // One round: lists, asks, releases; returns how many it released. Errors
  // of single holds are logged and left to the next round.
  absl::StatusOr<int> SweepOnce();

  // Runs SweepOnce every interval on a thread until Stop(); does nothing if
  // no coordinator is configured.
  void Start();
  void Stop();

 private:
  const std::string participant_;
  const OrphanSweepOptions options_;
  const Hooks hooks_;
  std::unique_ptr<v1::Coordinator::Stub> coordinator_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// The release hook for a participant whose Participant service is
// `participant`: calls its Cancel handler in process with reason
// CANCEL_REASON_DEADLINE, so the release runs exactly the code (barrier,
// phase counter, logs) a Cancel from the coordinator runs.
std::function<absl::Status(const OverdueHold&)> ReleaseThroughCancel(
    v1::Participant::Service* participant);

// The hooks of a holding participant (inventory, seat, payment): overdue
// holds from its store's ListOverdue, released through its own Cancel.
template <typename Store>
OrphanSweeper::Hooks ParticipantHooks(Store* store,
                                      v1::Participant::Service* participant) {
  return {[store](std::chrono::seconds margin, int limit) {
            return store->ListOverdue(margin, limit);
          },
          ReleaseThroughCancel(participant)};
}

}  // namespace turnstile
