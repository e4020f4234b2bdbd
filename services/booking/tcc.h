// The booking branch's Try, Confirm and Cancel across the Redis range gate
// and PostgreSQL (DESIGN.md §11), in the seat participant's pattern
// (services/seat/tcc.h). PostgreSQL decides; the gate turns losers away
// before they reach it.
//
// Try: the handler has validated the request against the catalogue
// (requests.h) and the deadline (try_deadline.h). The day limits (per
// document and per user and day, day_limits.h) are taken first, and given
// back if the Try then fails for good. The gate holds every item
// for the branch ("<gid>:<branch_id>") until the deadline plus
// --gate_hold_margin_s, all or nothing; a refusal there (SLOT_TAKEN /
// SEAT_TAKEN, a cancelled branch, a deadline already past) is the answer
// and PostgreSQL is not touched. "Any machine of a zone" and seat
// allocation read the gate (range_read of the candidates), choose
// (FreeMachines starting at a machine picked by the owner's hash, so that
// a rush spreads over the zone; ChooseSeats) and hold; a TAKEN answer
// (someone was faster) is retried with a fresh snapshot. A round lost to a
// buyer who won (fewer free candidates than the round before) is progress;
// TccOptions::choose_attempts rounds without progress, or 256 rounds in
// all, end the Try with SLOT_TAKEN / SEAT_TAKEN. A
// pass is followed by BookingStore::Hold; if PostgreSQL refuses or fails
// for good the gate hold is released, if it is only unavailable for now
// (UNAVAILABLE, DEADLINE_EXCEEDED) the hold is kept for the retry and
// remembered so that a Cancel can release it. A gate with no entry (Redis
// restarted empty) is rebuilt on the spot by the reconciler and the hold
// tried once more.
//
// A repeated Try finds its own earlier holds in the gate snapshot and
// reuses exactly those resources, so that its content matches the first
// Try and PostgreSQL answers the first result (duplicate).
//
// Confirm and Cancel: PostgreSQL first, then the gate (range_commit /
// range_release). A gate failure never fails the phase: it is logged and
// counted (turnstile_booking_gate_calls_total{result="REDIS_ERROR"}), and
// the reconciler repairs the gate.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/booking/booking_errors.h"
#include "services/booking/catalog.h"
#include "services/booking/day_limits.h"
#include "services/booking/model.h"
#include "services/booking/reconciler.h"
#include "services/booking/requests.h"
#include "services/booking/store.h"
#include "services/common/range_gate.h"

namespace turnstile::booking {

struct TccOptions {
  // Gate hold expiry = transaction deadline + this (the reconciler's
  // RangePlanOptions::hold_margin must be the same).
  std::chrono::milliseconds hold_margin{std::chrono::seconds(30)};
  // Read-choose-hold rounds without progress an allocating Try accepts
  // before SLOT_TAKEN / SEAT_TAKEN.
  int choose_attempts = 3;
  // Kept gate holds remembered for a later Cancel, at most.
  size_t max_pending = 100000;
  QuotaLimits limits;
};

// The branch and buyer of a Try.
struct TryRef {
  std::string gid;
  std::string branch_id;
  std::string user_id;
  int64_t deadline_ms = 0;
};

class BookingTcc {
 public:
  // `day_limits` (may be null: no day-limit gate) takes the per-document
  // and per-user-day counters before any range is held (day_limits.h).
  BookingTcc(BookingStore* store, RangeGate* gate,
             BookingReconciler* reconciler, TccOptions options = {},
             DayLimits* day_limits = nullptr);

  absl::StatusOr<HoldResult> HoldSlot(const TryRef& ref,
                                      const CachedVenue& venue,
                                      const SlotTry& slot);
  absl::StatusOr<HoldResult> HoldLeg(const TryRef& ref, const CachedRun& run,
                                     const LegTry& leg);
  // The PostgreSQL result (applied or a repeat); the gate follows.
  absl::StatusOr<bool> Confirm(const std::string& gid,
                               const std::string& branch_id);
  absl::StatusOr<bool> Cancel(const std::string& gid,
                              const std::string& branch_id);

  // The gate's booked ranges of `ids` (the whole gate if more than one
  // read may name), rebuilding the gate from PostgreSQL if it is absent.
  absl::StatusOr<RangeSnapshot> ReadGate(const std::string& gate_key,
                                         const std::vector<std::string>& ids);

  const TccOptions& options() const { return options_; }

 private:
  struct Pending {
    std::string gate_key;
    absl::CivilDay day;
    std::vector<RangeItem> items;
    int64_t expiry_ms = 0;
  };
  // What one gate hold attempt did.
  struct GateStep {
    absl::Status status;     // OK: held (or a duplicate); else the refusal
    bool taken = false;      // refused TAKEN (an allocating Try may retry)
    bool committed = false;  // DUPLICATE of an owner the gate already sold
  };

  // The allocation and hold of a slot or leg Try (within its day limits).
  absl::StatusOr<HoldResult> HoldSlotItems(const CachedVenue& venue,
                                           const SlotTry& slot,
                                           HoldCommand base);
  absl::StatusOr<HoldResult> HoldLegItems(const CachedRun& run,
                                          const LegTry& leg, HoldCommand base);
  GateStep GateHold(const HoldCommand& command, const std::string& owner,
                    int64_t expiry_ms, ResourceKind kind);
  // Gate hold then PostgreSQL; `step` tells an allocating caller to retry.
  absl::StatusOr<HoldResult> HoldItems(HoldCommand command, ResourceKind kind,
                                       bool* taken_in_gate);
  // Runs `hold` (range gate, then PostgreSQL) inside the day limits of
  // `probe` (its user, day and documents), giving them back if it fails
  // for good.
  absl::StatusOr<HoldResult> WithinDayLimits(
      const HoldCommand& probe,
      const std::function<absl::StatusOr<HoldResult>()>& hold);
  void GateRelease(const std::string& gate_key, const std::string& owner,
                   const std::vector<RangeItem>& items, const char* why);
  void Remember(const std::string& owner, Pending pending);
  bool Forget(const std::string& owner, Pending* out);

  BookingStore* const store_;
  RangeGate* const gate_;
  BookingReconciler* const reconciler_;
  const TccOptions options_;
  DayLimits* const day_limits_;

  // Tries of one branch run one at a time in this process: a caller's retry
  // that overtakes its own slow first attempt then finds that attempt's
  // holds (and answers its result) instead of choosing other seats or
  // machines, which PostgreSQL would refuse as TRY_MISMATCH. Striped by the
  // owner's hash; unrelated Tries share a stripe rarely and briefly.
  std::mutex& BranchLock(const std::string& owner);
  std::array<std::mutex, 1024> branch_locks_;

  std::mutex mu_;
  std::map<std::string, Pending> pending_;  // owner -> kept gate hold
  std::atomic<size_t> pending_size_{0};     // lets the hot path skip mu_
};

// The gate items of booking rows.
std::vector<RangeItem> ItemsOf(const std::vector<BookingRow>& rows);

}  // namespace turnstile::booking
