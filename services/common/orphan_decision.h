// What a participant does with a hold it still has past its transaction's
// deadline plus a margin (DESIGN.md §8: a hold whose transaction the
// coordinator does not know is released after deadline + margin). Pure: the
// coordinator's answer in, an action out, so every case is a unit test
// (tests/unit/orphan_decision_test.cc) and the sweeper only does the I/O.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "turnstile/v1/coordinator.pb.h"

namespace turnstile {

// A branch a participant still holds something for (a LOCKED reservation, an
// AUTHORIZED payment, a HELD seat), as its store lists them.
struct OverdueHold {
  std::string gid;
  std::string branch_id;
};

enum class OrphanAction {
  // Nobody will ever send Cancel: run it ourselves.
  kRelease,
  // The coordinator still owns the outcome (its timeout or driver acts).
  kLeave,
  // No usable answer (coordinator unreachable, overloaded, ...): ask again
  // next round.
  kRetryLater,
};

// `answer` is Coordinator.GetTransaction as this participant sees it (only
// its own branches; NOT_FOUND if it has none there). NOT_FOUND (never begun,
// or removed after retention: then long decided, and a hold left open can
// only be a Try that arrived after the Cancel), CANCELLING and CANCELLED
// release; TRYING, CONFIRMING and CONFIRMED leave it (a Confirm is still
// coming: releasing would break the decision); anything else retries later.
OrphanAction Decide(const absl::StatusOr<v1::Transaction>& answer);

// For logs and metrics: "NOT_FOUND", "CANCELLED", ... or the error code.
std::string CoordinatorStateOf(const absl::StatusOr<v1::Transaction>& answer);

}  // namespace turnstile
