// The range reconciler of the booking participant (DESIGN.md §11, issue 10
// item 4): makes each Redis range gate (a venue-day or a run) agree with
// PostgreSQL, the truth, like the seat reconciler (services/seat/
// reconciler.h) does for events. It rebuilds a gate that is missing (Redis
// restarted empty, FLUSHALL) and repairs drift in one that exists, counting
// and logging every difference it fixes. It runs at start-up, every
// --reconcile_interval_s, on demand (Booking.Reconcile), and on the spot
// when a Try or an availability read finds no gate.
//
// Correct while holds are in flight. One pass per gate: (1) an atomic
// snapshot of the gate with its version (range_read), (2) one REPEATABLE
// READ snapshot of PostgreSQL taken AFTER it (BookingStore::GateRows, with
// the decision times of the gate's live owners), (3) the gate the two imply
// (PlanRangeGate, reconcile_plan.h), (4) written only if it differs: Init
// kInit when the gate is absent, kRepair guarded by the version of (1)
// otherwise, so that any hold, release or commit in between makes the
// write fail with CONFLICT (or EXISTS) and the pass start over. The gate's
// units come from the catalogue: the venue-day's slot count, the run's
// legs. The day-limit gates (day_limits.h) are reconciled in the same
// passes; their differences are listed with the prefix "limit ".
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/booking/catalog.h"
#include "services/booking/reconcile_plan.h"
#include "services/booking/store.h"
#include "services/common/periodic_pass.h"
#include "services/common/range_gate.h"

namespace turnstile::booking {

class DayLimits;

struct ReconcileOptions {
  RangePlanOptions plan;
  // CAS attempts per gate before the pass gives up (GATE_BUSY).
  int max_attempts = 8;
  // Differences listed in a report (all are counted and logged).
  size_t max_listed = 1000;
};

// What one pass found and fixed.
struct ReconcileReport {
  int gates_checked = 0;
  int gates_rebuilt = 0;
  int64_t fixes = 0;      // differences repaired in gates that existed
  int64_t in_flight = 0;  // gate holds kept as Tries in flight
  std::vector<std::string> differences;

  void Merge(const ReconcileReport& other, size_t max_listed);
};

// The (gid, branch_id) of every live hold of the snapshot with a well-formed
// owner: the branches to ask PostgreSQL about.
std::vector<std::pair<std::string, std::string>> LiveRangeOwners(
    const RangeSnapshot& gate);

// The (gid, branch_id) of each well-formed owner "<gid>:<branch_id>" of
// `owners` (gid lower-cased), distinct and sorted; others are skipped.
std::vector<std::pair<std::string, std::string>> BranchesOfOwners(
    const std::vector<std::string>& owners);

class BookingReconciler {
 public:
  BookingReconciler(BookingStore* store, RangeGate* gate,
                    BookingCatalog* catalog, ReconcileOptions options = {});
  ~BookingReconciler();  // stops the periodic pass
  BookingReconciler(const BookingReconciler&) = delete;
  BookingReconciler& operator=(const BookingReconciler&) = delete;

  // One pass over one gate ("v:<venue>:<day>" or "r:<run>"). NOT_FOUND
  // (VENUE_NOT_FOUND / RUN_NOT_FOUND) for an unknown venue or run,
  // INVALID_ARGUMENT for a malformed key; UNAVAILABLE if Redis or
  // PostgreSQL is down or the gate kept changing (GATE_BUSY).
  absl::StatusOr<ReconcileReport> ReconcileGate(const std::string& gate_key);
  // Every gate of the venue with a booking, or only `day`'s.
  absl::StatusOr<ReconcileReport> ReconcileVenue(
      const std::string& venue_id, std::optional<absl::CivilDay> day);
  absl::StatusOr<ReconcileReport> ReconcileRun(const std::string& run_id);
  // Every gate with a booking (BookingStore::GateKeys); the first error if
  // some gate failed (the others are still done).
  absl::StatusOr<ReconcileReport> ReconcileAll();

  // For a Try or a read that found no gate: rebuilds it, once per gate even
  // when many callers ask at the same moment.
  absl::Status EnsureGate(const std::string& gate_key);

  // Also reconcile the day-limit gates (day_limits.h): every pass over all
  // gates covers the recent days, a venue-day or run pass its day. Call
  // before the first pass.
  void AttachDayLimits(DayLimits* day_limits) { day_limits_ = day_limits; }

  void StartPeriodic(std::chrono::seconds interval);
  void Stop();

 private:
  absl::StatusOr<int32_t> UnitsOf(const std::string& gate_key);
  void Record(const std::string& gate_key, const RangePlan& plan,
              ReconcileReport* report);
  // The day-limit gate of `day` (or of the recent days) into `report`.
  absl::Status ReconcileLimits(std::optional<absl::CivilDay> day,
                               ReconcileReport* report);

  BookingStore* const store_;
  RangeGate* const gate_;
  BookingCatalog* const catalog_;
  const ReconcileOptions options_;
  DayLimits* day_limits_ = nullptr;

  std::mutex init_mu_;  // serializes on-the-spot rebuilds
  std::map<std::string, std::chrono::steady_clock::time_point> rebuilt_at_;

  PeriodicPass periodic_;
};

}  // namespace turnstile::booking
