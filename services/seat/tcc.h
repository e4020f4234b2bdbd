// The seat branch's Try, Confirm and Cancel across the Redis gate and
// PostgreSQL (DESIGN.md §5, issue 3 item 2). PostgreSQL decides; the gate
// turns losers away before they reach it.
//
// Try: unknown seats are refused from the in-memory catalog; then the gate
// holds every seat for the branch ("<gid>:<branch_id>") until the
// transaction deadline plus a margin, all or nothing. A gate refusal
// (SEAT_TAKEN, a cancelled branch, a deadline already past) is the answer,
// and PostgreSQL is not touched. A pass is followed by the PostgreSQL
// barrier + conditional update; if PostgreSQL refuses or fails for good, the
// gate hold is released. If PostgreSQL is only unavailable for now
// (UNAVAILABLE, DEADLINE_EXCEEDED: the caller retries this very Try, and the
// outcome may even be in doubt), the gate hold is kept: a retry finds it
// (DUPLICATE) and goes on, a Cancel releases it, and it lapses at its expiry
// in any case. A gate with no entry for the event (Redis restarted empty) is
// rebuilt from PostgreSQL on the spot and the hold tried once more; Redis
// down is UNAVAILABLE.
//
// Confirm and Cancel: PostgreSQL first, then the gate (commit: sold for
// good; release: free again). A gate failure there never fails the phase:
// it is logged and counted, and the reconciler repairs the gate.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/gate_scripts.h"
#include "services/seat/model.h"
#include "services/seat/reconciler.h"
#include "services/seat/seat_catalog.h"
#include "services/seat/store.h"

namespace turnstile::seat {

struct TccOptions {
  // Gate hold expiry = transaction deadline + this.
  std::chrono::milliseconds hold_margin{std::chrono::seconds(60)};
  // Gate holds kept after a transient PostgreSQL failure are remembered (so
  // that a Cancel with nothing in PostgreSQL can still release them) up to
  // this many branches.
  size_t max_pending = 100000;
};

class SeatTcc {
 public:
  SeatTcc(SeatStore* store, SeatGate* gate, SeatCatalog* catalog,
          Reconciler* reconciler, TccOptions options = {});

  // `command` validated, seats sorted, expiry_ms unset (computed here from
  // `deadline_ms`, the transaction deadline in epoch ms).
  absl::StatusOr<Hold> HoldSeats(HoldCommand command, int64_t deadline_ms);
  // The PostgreSQL result (applied or a repeat); the gate follows.
  absl::StatusOr<bool> Confirm(const std::string& gid,
                               const std::string& branch_id);
  absl::StatusOr<bool> Cancel(const std::string& gid,
                              const std::string& branch_id);

 private:
  // A gate hold left in place after a transient PostgreSQL failure.
  struct Pending {
    std::string event_id;
    std::vector<std::string> seat_ids;
    int64_t expiry_ms = 0;
  };

  absl::StatusOr<SeatGateResult> GateHold(const HoldCommand& command,
                                          const std::string& owner);
  void GateRelease(const std::string& event_id, const GateOwner& owner,
                   const std::vector<std::string>& seat_ids, const char* why);
  void Remember(const std::string& owner, Pending pending);
  bool Forget(const std::string& owner, Pending* out);

  SeatStore* const store_;
  SeatGate* const gate_;
  SeatCatalog* const catalog_;
  Reconciler* const reconciler_;
  const TccOptions options_;

  std::mutex mu_;
  std::map<std::string, Pending> pending_;  // owner -> kept gate hold
  std::atomic<size_t> pending_size_{0};     // lets the hot path skip mu_
};

// The gate owner of a branch: lower-case gid (as PostgreSQL prints a uuid),
// ":", branch id.
std::string BranchOwner(const std::string& gid, const std::string& branch_id);

}  // namespace turnstile::seat
