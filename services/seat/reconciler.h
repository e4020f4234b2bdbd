// The seat reconciler (DESIGN.md §5, issue 3 item 4): makes the Redis seat
// gate of each event agree with PostgreSQL, the truth. It rebuilds a gate
// that is missing (Redis restarted empty, FLUSHALL) and repairs drift in one
// that exists, counting and logging every difference it fixes. It runs at
// start-up, every --reconcile_interval_s, on demand (Seat.Reconcile), and on
// the spot when a Try finds no gate.
//
// Correct while holds are in flight. One pass per event: (1) an atomic
// snapshot of the gate with its version (seat_read), (2) one REPEATABLE READ
// snapshot of PostgreSQL taken after it, (3) the gate the two imply
// (PlanRepair), (4) written only if it differs, with seat_init `repair`
// guarded by the version of (1), so that any hold, release or commit in
// between makes the write fail with CONFLICT and the pass start over.
// Because PostgreSQL is read after the gate, every PostgreSQL change that the
// gate already reflects is in (2). A gate hold without a PostgreSQL hold is a
// Try between its gate step and its PostgreSQL commit: it is kept until its
// expiry unless PostgreSQL has already decided its branch (confirm or cancel
// barrier row). A seat PostgreSQL has HELD or SOLD is never free in the
// repaired gate.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/gate_scripts.h"
#include "services/common/periodic_pass.h"
#include "services/seat/model.h"
#include "services/seat/store.h"

namespace turnstile::seat {

struct ReconcileOptions {
  // A seat PostgreSQL holds is held in the gate until its own expiry or, if
  // that has passed (the coordinator has not cancelled it yet), this long
  // from the pass; the next pass extends it again if still needed.
  std::chrono::milliseconds held_floor{std::chrono::minutes(5)};
  // CAS attempts per event before the pass gives up (GATE_BUSY).
  int max_attempts = 8;
  // Differences listed in a report (all are counted and logged).
  size_t max_listed = 1000;
};

// What one pass found and fixed.
struct ReconcileReport {
  int events_checked = 0;
  int keys_rebuilt = 0;  // gates that were missing and were rebuilt
  int64_t fixes = 0;     // seat entries repaired in gates that existed
  std::vector<std::string> differences;  // one line per fix (capped)

  void Merge(const ReconcileReport& other, size_t max_listed);
};

// The gate one event should have, derived from a gate snapshot and a later
// PostgreSQL snapshot (pure, for unit tests).
struct RepairPlan {
  bool rebuild = false;           // the gate was missing
  std::vector<GateSeat> desired;  // every non-free seat of the repaired gate
  // One line and one kind per seat entry fixed (a rebuild lists none).
  std::vector<std::string> differences;
  std::vector<std::string> kinds;
  int64_t held = 0;  // seats held / sold in `desired`
  int64_t sold = 0;

  bool changed() const { return rebuild || !differences.empty(); }
};

// `held_floor_ms` as in ReconcileOptions; lapse decisions use the gate's
// clock (gate.now_ms), as the gate scripts do.
RepairPlan PlanRepair(const std::string& event_id, const SeatSnapshot& gate,
                      const EventGateState& pg, int64_t held_floor_ms);

// The (gid, branch_id) of every live hold in the gate whose owner is
// well-formed: the branches to ask PostgreSQL about.
std::vector<std::pair<std::string, std::string>> LiveHoldOwners(
    const SeatSnapshot& gate);

// Splits "<gid>:<branch_id>"; false unless it is a UUID and a valid branch.
bool ParseOwner(const std::string& owner, std::string* gid,
                std::string* branch_id);

class Reconciler {
 public:
  Reconciler(SeatStore* store, SeatGate* gate, ReconcileOptions options = {});
  ~Reconciler();  // stops the periodic pass
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  // One pass over one event. NOT_FOUND (EVENT_NOT_FOUND) if PostgreSQL does
  // not know it; UNAVAILABLE if Redis or PostgreSQL is down or the gate kept
  // changing (GATE_BUSY).
  absl::StatusOr<ReconcileReport> ReconcileEvent(const std::string& event_id);
  // One pass over every event; the first error if some event failed (the
  // others are still done).
  absl::StatusOr<ReconcileReport> ReconcileAll();

  // For a Try that found no gate: rebuilds it, once per event even when many
  // Tries ask at the same moment.
  absl::Status EnsureGate(const std::string& event_id);
  // After CreateEvent committed: an empty gate for the new event, replacing
  // anything left under its key (it cannot belong to this event).
  absl::Status InitNewEvent(const std::string& event_id);

  // Runs ReconcileAll every `interval` on a thread until Stop().
  void StartPeriodic(std::chrono::seconds interval);
  void Stop();

 private:
  void Record(const std::string& event_id, const RepairPlan& plan,
              ReconcileReport* report);

  SeatStore* const store_;
  SeatGate* const gate_;
  const ReconcileOptions options_;

  std::mutex init_mu_;  // serializes on-the-spot rebuilds
  std::map<std::string, std::chrono::steady_clock::time_point> rebuilt_at_;

  PeriodicPass periodic_;
};

}  // namespace turnstile::seat
