// The seat database: events, seats and seat holds. Every method is one local
// read-committed transaction; the TCC phases run inside the barrier
// (services/common/barrier.h) so the barrier row and the seat changes commit
// or roll back together. SQL lives here and nowhere else; results are plain
// structs from model.h.
//
// Lock order. A hold is one statement, `UPDATE seat ... WHERE event_id = $1
// AND seat_id = ANY($2) AND state = 'AVAILABLE'`, with the ids sorted. Row
// locks are taken in scan order: with the primary-key index scan PostgreSQL
// visits the array keys in index order (it sorts them itself), so two holds
// sharing seats lock them in the same order. Other plans (a sequential scan
// of a tiny event) follow physical order, which is the same for both holds
// almost always; a deadlock the database still detects comes back as
// DB_CONFLICT and the hold is retried a few times here, inside the store,
// which is safe because the failed attempt rolled back entirely. Confirm and
// Cancel only touch seats held by their own branch, which no other hold can
// lock (it skips seats that are not AVAILABLE), so they cannot deadlock with
// holds. SELECT ... FOR UPDATE is not used.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/orphan_decision.h"
#include "services/common/pg_pool.h"
#include "services/seat/model.h"

namespace turnstile::seat {

class SeatStore {
 public:
  SeatStore(std::string conninfo, int pool_size);

  // Creates the event and all its seats (one INSERT ... SELECT per section).
  // `event` must be validated. ALREADY_EXISTS if the id is taken.
  absl::StatusOr<EventRecord> CreateEvent(const NewEvent& event);

  // NOT_FOUND if unknown.
  absl::StatusOr<SeatMapRecord> GetSeatMap(const std::string& event_id);

  // Try. `command` must be validated, ids sorted. All or nothing: NOT_FOUND
  // (EVENT_NOT_FOUND, SEAT_NOT_FOUND), FAILED_PRECONDITION (SEAT_TAKEN),
  // ABORTED (BRANCH_CANCELLED) leave every seat as it was. A repeat returns
  // the seats the branch holds (or bought). The hold expires (in the
  // reconciler's eyes) at command.expiry_ms.
  absl::StatusOr<Hold> HoldSeats(const HoldCommand& command);

  // HELD -> SOLD. `applied` is true if this call did the work, false for a
  // repeat; the seats the branch bought are listed either way.
  // FAILED_PRECONDITION (BRANCH_NOT_TRIED) if the branch holds nothing: that
  // is a coordinator fault and must stay visible.
  absl::StatusOr<BranchSeats> Confirm(const std::string& gid,
                                      const std::string& branch_id);

  // HELD -> AVAILABLE, never touching SOLD seats. `applied` is true (and the
  // seats listed) if this call released something, false for a repeat or an
  // empty rollback.
  absl::StatusOr<BranchSeats> Cancel(const std::string& gid,
                                     const std::string& branch_id);

  // The orphan sweep (services/common/orphan_sweeper.h): up to `limit`
  // branches holding a seat whose stored transaction deadline
  // (hold_deadline, not hold_expires_at: that one adds the gate's margin) is
  // more than `margin` ago, oldest first (the partial index of
  // sql/seat/0004). Holds without a deadline (from before it was stored) are
  // never listed.
  absl::StatusOr<std::vector<OverdueHold>> ListOverdue(
      std::chrono::seconds margin, int limit);

  // Every event id, sorted.
  absl::StatusOr<std::vector<std::string>> EventIds();

  // Every seat id of the event (the seat map never changes after
  // CreateEvent). NOT_FOUND (EVENT_NOT_FOUND) if unknown.
  absl::StatusOr<std::vector<std::string>> SeatIds(const std::string& event_id);

  // The HELD and SOLD seats of the event and which of `owners` (gid,
  // branch_id pairs, validated) are decided, read in one REPEATABLE READ
  // snapshot. NOT_FOUND (EVENT_NOT_FOUND) if unknown.
  absl::StatusOr<EventGateState> ReadGateState(
      const std::string& event_id,
      const std::vector<std::pair<std::string, std::string>>& owners);

 private:
  PgPool pool_;
};

}  // namespace turnstile::seat
