// Train seat allocation, pure (no I/O): which n seats of a run to hold for a
// trip from stop `from` to stop `to`, given which legs of every seat are
// taken (a snapshot of the gate or of PostgreSQL). Leg k is the stretch from
// stop k to stop k + 1; a trip [from, to) needs legs from..to-1 of a seat.
//
// The choice is deterministic and, for one seat, minimises the damage done to
// what is left to sell. Booking [from, to) on seat s leaves
//   L = free legs of s directly before `from` (the free run ending at from-1)
//   R = free legs of s directly after `to`    (the free run starting at to)
// and its score is the pair (fragments, leftover), compared in that order,
// lower is better:
//   fragments = (L > 0) + (R > 0)  -- new free fragments cut off by the
//               booking; 0 means the trip fills a gap exactly, and
//   leftover  = L + R              -- the size of those fragments: best fit,
//               so that a long free run stays whole for a long trip.
// Ties go to the lower (car, number), then seat id.
//
// A group (n > 1) sits together when that costs nothing: the n best single
// seats by score (ties to seat order) are the choice unless a block of n
// seats in one car with consecutive numbers, all free on every leg of the
// trip, scores as well in total (sum of the pairs); then the best such
// block (ties to the first) is taken. Adjacency at any price was measured to
// sell fewer seat-legs than first-fit on random demand (turnstile-bench
// --scenario=booking-alloc); adjacency at no price sells more. Seats the buyer
// chose are taken as they are, or refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/booking/model.h"

namespace turnstile::booking {

// At most this many legs per run (stops - 1): a seat's legs fit one word.
inline constexpr int kMaxLegs = 63;
inline constexpr int kMaxPassengers = 5;

// One seat of the snapshot: bit k of `taken` is leg k.
struct SeatLegs {
  RunSeat seat;
  uint64_t taken = 0;
};

struct SeatRequest {
  std::string class_id;  // "" = any class
  UnitRange legs;        // [from stop, to stop)
  int passengers = 1;
  std::vector<std::string> chosen;  // empty: let the allocator choose
};

// The score of booking `legs` on a seat whose taken legs are `taken` (over
// `leg_count` legs); the seat must be free on every leg of `legs`.
struct GapScore {
  int fragments = 0;
  int leftover = 0;
  bool operator<(const GapScore& other) const {
    return fragments != other.fragments ? fragments < other.fragments
                                        : leftover < other.leftover;
  }
  bool operator==(const GapScore& other) const {
    return fragments == other.fragments && leftover == other.leftover;
  }
};
GapScore ScoreOf(uint64_t taken, int leg_count, const UnitRange& legs);

// True if no leg of `legs` is taken.
bool FreeOn(uint64_t taken, const UnitRange& legs);

// The seats to hold (ids, in seat order for an allocated group, in the
// buyer's order for chosen seats). INVALID_ARGUMENT for a bad request
// (leg_count outside 1..kMaxLegs, legs not 0 <= from < to <= leg_count,
// passengers outside 1..kMaxPassengers, chosen seats not exactly
// `passengers` distinct known seats of the class); FAILED_PRECONDITION
// SEAT_TAKEN when there are not enough free seats or a chosen one is taken
// on a leg of the trip.
absl::StatusOr<std::vector<std::string>> ChooseSeats(
    const std::vector<SeatLegs>& seats, int leg_count,
    const SeatRequest& request);

// Seats of `class_id` ("" = any) free on every leg of `legs`.
int RemainingSeats(const std::vector<SeatLegs>& seats,
                   const std::string& class_id, const UnitRange& legs);

// The whole stop matrix of a run with `stop_count` stops: m[i][j] =
// RemainingSeats(seats, class_id, [i, j)) for i < j, 0 elsewhere.
std::vector<std::vector<int>> RemainingMatrix(
    const std::vector<SeatLegs>& seats, const std::string& class_id,
    int stop_count);

}  // namespace turnstile::booking
