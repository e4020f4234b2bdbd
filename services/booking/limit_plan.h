// The day-limit gate's side of the booking quota (quota.h), pure: which
// counters of a Try the gate checks, what a day's bookings in PostgreSQL
// imply for the gate (its rebuild), and where the gate and PostgreSQL
// differ. The gate counts only the day-scoped kinds that have a limit:
// "doc" (tickets per identity document per day) and "user-day" (bookings
// per user per day); the per-user-run limit lives in the run's range gate.
// A counter of an unlimited kind is neither taken nor rebuilt, so that a
// service without day limits pays no extra Redis call; the limits are
// start-up flags and the start-up reconcile rebuilds every day with them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "services/booking/model.h"
#include "services/booking/quota.h"
#include "services/common/limit_gate.h"

namespace turnstile::booking {

// The gate's name of a day: its hash tag id, "YYYY-MM-DD".
std::string LimitDay(absl::CivilDay day);

// When a day's gate may go: three days after the day began (UTC), later
// than any Try, Confirm or Cancel of that day's bookings can come.
int64_t LimitExpireAtMs(absl::CivilDay day);

// The counters of `uses` (QuotaTakes or QuotaGives) the gate keeps under
// `limits`, with their limits; empty if the gate has nothing to check.
std::vector<LimitCounter> DayLimitCounters(const std::vector<QuotaUse>& uses,
                                           const QuotaLimits& limits);

// One booking of a day as the rebuild reads it.
struct DayBookingRow {
  std::string gid;
  std::string branch_id;
  std::string user_id;
  std::string gate_key;
  BookingRow booking;       // resource, range, state, doc_id
  int64_t deadline_ms = 0;  // HELD: the transaction deadline
};

// A day's bookings and which of the asked owners PostgreSQL has decided
// (confirm or cancel barrier), read in one snapshot.
struct DaySnapshot {
  std::vector<DayBookingRow> rows;
  std::vector<std::string> decided_owners;  // "<gid>:<branch_id>"
};

// The uses the gate of `day` must have for `rows` (HELD and SOLD bookings
// of that day): per branch its counters, held until deadline + hold_margin
// (HELD) or for good (SOLD), sorted by owner then counter.
std::vector<LimitUse> DayLimitUses(const std::vector<DayBookingRow>& rows,
                                   absl::CivilDay day,
                                   const QuotaLimits& limits,
                                   int64_t hold_margin_ms);

// The live totals per counter of `uses` at `now_ms`, sorted by counter.
std::vector<std::pair<std::string, int64_t>> LiveTotals(
    const std::vector<LimitUse>& uses, int64_t now_ms);

// Human-readable differences between the gate's live totals and
// PostgreSQL's ("doc:D1:2026-12-24 gate 3, postgres 2"), by counter.
std::vector<std::string> LimitDifferences(
    const std::vector<std::pair<std::string, int64_t>>& gate,
    const std::vector<std::pair<std::string, int64_t>>& truth);

}  // namespace turnstile::booking
