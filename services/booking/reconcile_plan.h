// The range reconciler's decision for one gate (a venue-day or a run), as a
// pure function of a Redis gate snapshot (range_read, or "absent") and
// PostgreSQL's rows read AFTER it (BookingStore::GateRows), so that every Try
// the snapshot shows in flight either has committed in PostgreSQL or has not.
// PostgreSQL is the truth: every SOLD row is sold in the target gate (S) and
// every HELD row is held (H, expiry = its deadline + the hold margin, or at
// least the margin from the gate's clock if that has passed, so that a range
// PostgreSQL still holds is never free; the next pass extends it again). A
// gate entry that already says exactly that (same owner, range and state, a
// live hold) is kept as it is. What the gate holds beyond PostgreSQL is
// either a Try in flight (its gate step done, its PostgreSQL commit not yet):
// a live hold whose owner PostgreSQL has not decided (no confirm or cancel
// barrier row) and whose deadline (expiry - hold margin) is not more than the
// stale horizon ago -- kept as it is, since a Try is refused after its
// deadline --, or drift: sold entries PostgreSQL does not have, holds of
// decided owners, stale holds, holds past the catalogue's units, and anything
// overlapping a PostgreSQL row (which wins) -- dropped. A decision younger
// than the settle grace is left to the service, whose own range_commit /
// range_release follows within moments: a hold of an owner PostgreSQL decided
// that recently is kept as the gate has it (counted `settling`), so that a
// reconciliation racing normal traffic finds nothing to fix. Lapsed holds
// (expiry <= the gate's clock) are free: they are neither kept nor reported. No
// two target entries of one resource overlap. Unit tests drive this without
// Redis or PostgreSQL.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "services/booking/model.h"
#include "services/common/range_gate.h"

namespace turnstile::booking {

struct RangePlanOptions {
  // A gate hold PostgreSQL has no trace of this long after its transaction's
  // deadline is stranded (its Try crashed between Redis and PostgreSQL).
  std::chrono::milliseconds stale{std::chrono::seconds(10)};
  // PostgreSQL decisions younger than this are left to the service.
  std::chrono::milliseconds settle_grace{std::chrono::seconds(5)};
  // A hold's gate expiry is its transaction's deadline plus this (the
  // service holds with the same margin).
  std::chrono::milliseconds hold_margin{std::chrono::seconds(30)};
  // Restore the users of run gates' owners (range_hold's per-user limit,
  // --per_user_run_limit > 0): target ranges of PostgreSQL rows carry their
  // user; kept in-flight holds carry none (range_init keeps the gate's).
  bool run_users = false;
};

// When PostgreSQL decided an owner ("<gid>:<branch>" -> epoch ms, PostgreSQL
// clock, e.g. its confirm or cancel barrier row's created_at). A decided
// owner (GateSnapshot::finished_owners) missing here counts as decided long
// ago, past the settle grace.
using DecisionTimes = std::map<std::string, int64_t>;

struct RangePlan {
  // The gate is absent (Redis lost it): Init `target` with mode kInit.
  bool rebuild = false;
  // The gate as it should be (`units`, `ranges`; mode and expected_ver are
  // the caller's: kRepair with the snapshot's ver).
  RangeInitSpec target;
  // Every way the snapshot differs from `target`, human-readable; empty if
  // the gate is right (a rebuild lists one line).
  std::vector<std::string> differences;
  int64_t in_flight = 0;  // gate holds kept as Tries in flight
  int64_t settling = 0;   // holds of owners decided within the grace: kept
  int64_t sold = 0;       // SOLD rows of PostgreSQL
  int64_t held = 0;       // HELD rows of PostgreSQL

  bool changed() const { return rebuild || !differences.empty(); }
};

// `units` is the gate's range length from the catalogue (slots of the
// venue-day, legs of the run). `gate.status != kOk` means absent.
RangePlan PlanRangeGate(const std::string& gate_key, int32_t units,
                        const RangeSnapshot& gate, const GateSnapshot& pg,
                        const DecisionTimes& decided_at,
                        const RangePlanOptions& options);

}  // namespace turnstile::booking
