// The booking database (sql/booking): the net-cafe and train catalogues and
// the `booking` table where resources are booked over integer ranges
// (DESIGN.md §11). Every method is one local read-committed transaction; the
// TCC phases run inside the barrier (services/common/barrier.h) so the
// barrier row, the bookings and the quota counts commit or roll back
// together. SQL lives here and nowhere else; results are plain structs from
// model.h. Commands must have passed validation.h.
//
// Lock order. A Try inserts its rows one by one sorted by (resource, range)
// (SortedItems), then takes its quotas sorted by key (quota.h). The
// exclusion constraint makes an insert wait for an uncommitted overlapping
// row of another Try and then fail with 23P01 once that one commits (or go
// on if it rolls back). Two Tries meet shared resources in the same order,
// and quota rows are only locked by Tries that already hold all their
// bookings, so they do not wait in a cycle in the common case. A deadlock
// PostgreSQL still detects (40P01: e.g. GiST page-level waits) rolls the
// loser back entirely; the store retries it twice more (the retry finds the
// winner's rows and answers SLOT_TAKEN / SEAT_TAKEN with 23P01, or succeeds
// if the winner failed), and a third deadlock is answered taken as well
// (booking_errors.h): never INTERNAL, never DB_CONFLICT. An exclusion
// violation is final. Cancel deletes only its branch's rows (a DELETE adds
// no index entry, so it never waits for a Try). Confirm's UPDATE writes a
// new row version whose index entry the exclusion constraint checks again
// (the update cannot be HOT: `state` is in a partial index's predicate), so
// it can wait for a concurrent Try inserting an overlapping row while that
// Try waits for the row being updated: a real deadlock (seen in the
// 200-buyer test). Whichever PostgreSQL aborts is retried: the Try as above
// (it then finds the SOLD row: taken), the Confirm up to five attempts in
// all here, then DB_CONFLICT (UNAVAILABLE, which the coordinator's driver
// retries). SELECT ... FOR UPDATE is not used.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/booking/limit_plan.h"
#include "services/booking/model.h"
#include "services/common/orphan_decision.h"
#include "services/common/pg_pool.h"

namespace turnstile::booking {

class BookingStore {
 public:
  BookingStore(std::string conninfo, int pool_size);

  // The venue with its zones, packages and machines. ALREADY_EXISTS
  // (VENUE_EXISTS) if the id is taken.
  absl::Status CreateVenue(const Venue& venue);
  // NOT_FOUND (VENUE_NOT_FOUND). Zones, packages and machines sorted by id.
  absl::StatusOr<Venue> GetVenue(const std::string& venue_id);

  // The run with its stops, classes and seats. ALREADY_EXISTS (RUN_EXISTS)
  // if the run id (or train number + date) is taken.
  absl::Status CreateRun(const Run& run);
  // NOT_FOUND (RUN_NOT_FOUND). Stops by index, classes by id, seats by
  // (car, number).
  absl::StatusOr<Run> GetRun(const std::string& run_id);

  // Try: HELD rows for every item, all or nothing, plus the quota units
  // (quota.h). FAILED_PRECONDITION SLOT_TAKEN (venue gates) / SEAT_TAKEN
  // (run gates) if a resource is booked over part of its range,
  // FAILED_PRECONDITION USER_LIMIT if a limit would be passed (metadata
  // quota = doc | user-day | user-run), ABORTED BRANCH_CANCELLED after a
  // Cancel, FAILED_PRECONDITION TRY_MISMATCH for a repeat with other
  // content; a failure leaves nothing of the group. A repeat returns the
  // first Try's rows (duplicate = true).
  absl::StatusOr<HoldResult> Hold(const HoldCommand& command);

  // HELD -> SOLD for the branch. applied = false for a repeat; the rows are
  // listed either way. FAILED_PRECONDITION BRANCH_NOT_TRIED if the branch
  // holds nothing.
  absl::StatusOr<BranchBookings> Confirm(const std::string& gid,
                                         const std::string& branch_id);

  // Deletes the branch's HELD rows (never SOLD ones) and gives their quota
  // units back. applied = false for a repeat or an empty rollback (which
  // records the cancel, so a later Try is refused).
  absl::StatusOr<BranchBookings> Cancel(const std::string& gid,
                                        const std::string& branch_id);

  // The orphan sweep (services/common/orphan_sweeper.h): up to `limit`
  // branches with a HELD row whose deadline is more than `margin` ago,
  // oldest first.
  absl::StatusOr<std::vector<OverdueHold>> ListOverdue(
      std::chrono::seconds margin, int limit);

  // The HELD and SOLD bookings of one day with their branches, users and
  // deadlines (the day-limit gate's rebuild, limit_plan.h), by branch, and
  // which of `owners` (gid, branch_id, validated) are decided, in one
  // REPEATABLE READ snapshot.
  absl::StatusOr<DaySnapshot> DayRows(
      absl::CivilDay day,
      const std::vector<std::pair<std::string, std::string>>& owners);
  // Every day from `since` on with a booking, sorted.
  absl::StatusOr<std::vector<absl::CivilDay>> DaysSince(absl::CivilDay since);

  // Every gate key with a booking, sorted (the reconciler's list).
  absl::StatusOr<std::vector<std::string>> GateKeys();

  // The HELD and SOLD rows of `gate_key` sorted by (resource, range), and
  // which of `owners` (gid, branch_id, validated) are decided, in one
  // REPEATABLE READ snapshot. An unknown gate has no rows.
  absl::StatusOr<GateSnapshot> GateRows(
      const std::string& gate_key,
      const std::vector<std::pair<std::string, std::string>>& owners);

  // The HELD and SOLD rows among `resource_ids` of `gate_key` whose range
  // overlaps `window` (e.g. a zone's machines over a window, a class's
  // seats over legs), sorted by (resource, range).
  absl::StatusOr<std::vector<BookingRow>> Occupancy(
      const std::string& gate_key, const std::vector<std::string>& resource_ids,
      UnitRange window);

 private:
  absl::StatusOr<BranchBookings> ConfirmOnce(const std::string& gid,
                                             const std::string& branch_id);

  PgPool pool_;
};

}  // namespace turnstile::booking
