// The day-limit gate in the booking phases (issue 10 item 5: per identity
// document per day and per user per day "in the gate and authoritatively in
// PostgreSQL"). A Try takes its counters (limit_plan.h DayLimitCounters)
// in the day's gate (services/common/limit_gate.h) before it holds any
// range, so a buyer over a limit is turned away by one Redis call; the Try
// gives them back if it then fails for good, the Cancel gives them back,
// the Confirm records them sold. PostgreSQL's booking_quota stays the
// judge: a gate that lost its counts (Redis restarted) only lets more Tries
// reach PostgreSQL, never sells past a limit. Gate failures after the
// decision never fail a phase: they are logged and counted
// (turnstile_booking_limit_calls_total{result="REDIS_ERROR"}) and the
// rebuild repairs them.
//
// Rebuild (start-up, the periodic pass, Booking.Reconcile, and on the spot
// when a Try finds no gate for its day): read the gate's totals and version,
// then the day's bookings from PostgreSQL, and if they differ (or the gate
// is absent) write PostgreSQL's uses guarded by that version (limit_init
// repair: any Try, Cancel or Confirm in between makes it CONFLICT and the
// pass start over). The script keeps the live holds of owners PostgreSQL
// does not have yet (Tries in flight), so a rebuild never frees a count a
// running Try took.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/booking/limit_plan.h"
#include "services/booking/model.h"
#include "services/booking/store.h"
#include "services/common/limit_gate.h"

namespace turnstile::booking {

struct DayLimitReport {
  int days_checked = 0;
  int days_written = 0;  // rebuilt (absent) or repaired (different)
  // "<day>: <counter> gate <n>, postgres <m>" per counter that differed
  // (a gate count above PostgreSQL's may be a Try in flight, kept).
  std::vector<std::string> differences;
};

class DayLimits {
 public:
  DayLimits(BookingStore* store, LimitGate* gate, QuotaLimits limits,
            std::chrono::milliseconds hold_margin);

  // Whether the gate has anything to check (some day limit is set).
  bool enabled() const {
    return limits_.per_doc_day > 0 || limits_.per_user_day > 0;
  }

  // The Try's counters for `command` (its items' documents matter, not
  // their resources), until expiry_ms. true: taken now (give them back with
  // Release if the Try fails for good); false: nothing to take, or taken by
  // an earlier attempt of the same branch. USER_LIMIT (FAILED_PRECONDITION,
  // metadata quota and limit, as PostgreSQL's refusal), TXN_DEADLINE, or
  // UNAVAILABLE.
  absl::StatusOr<bool> Take(const HoldCommand& command,
                            const std::string& owner, int64_t expiry_ms);
  void Release(absl::CivilDay day, const std::string& owner, const char* why);
  // Records the counters of a confirmed branch's rows sold.
  void Commit(const BranchBookings& sold, const std::string& owner);

  // One rebuild pass over `day` (see above).
  absl::StatusOr<DayLimitReport> ReconcileDay(absl::CivilDay day);
  // Every day with a booking from yesterday (UTC) on.
  absl::StatusOr<DayLimitReport> ReconcileRecent();

 private:
  // For a Try that found no gate: one rebuild per day at a time.
  absl::Status EnsureDay(absl::CivilDay day);

  BookingStore* const store_;
  LimitGate* const gate_;
  const QuotaLimits limits_;
  const std::chrono::milliseconds hold_margin_;
  std::mutex ensure_mu_;
};

}  // namespace turnstile::booking
