// Train seat allocation (seat_choice.h).
#include "services/booking/seat_choice.h"

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile::booking {
namespace {

uint64_t Mask(const UnitRange& legs) {
  const uint64_t below_to =
      legs.to >= 64 ? ~uint64_t{0} : (uint64_t{1} << legs.to) - 1;
  const uint64_t below_from = (uint64_t{1} << legs.from) - 1;
  return below_to & ~below_from;
}

bool InClass(const SeatLegs& seat, const std::string& class_id) {
  return class_id.empty() || seat.seat.class_id == class_id;
}

absl::Status SeatTaken(const std::string& message) {
  return Error(absl::StatusCode::kFailedPrecondition, "SEAT_TAKEN", message);
}

bool SeatOrder(const SeatLegs* a, const SeatLegs* b) {
  if (a->seat.car != b->seat.car) return a->seat.car < b->seat.car;
  if (a->seat.number != b->seat.number) {
    return a->seat.number < b->seat.number;
  }
  return a->seat.seat_id < b->seat.seat_id;
}

}  // namespace

bool FreeOn(uint64_t taken, const UnitRange& legs) {
  return (taken & Mask(legs)) == 0;
}

GapScore ScoreOf(uint64_t taken, int leg_count, const UnitRange& legs) {
  int left = 0;
  for (int k = legs.from - 1; k >= 0 && !(taken >> k & 1); --k) ++left;
  int right = 0;
  for (int k = legs.to; k < leg_count && !(taken >> k & 1); ++k) ++right;
  return {(left > 0) + (right > 0), left + right};
}

absl::StatusOr<std::vector<std::string>> ChooseSeats(
    const std::vector<SeatLegs>& seats, int leg_count,
    const SeatRequest& request) {
  if (leg_count < 1 || leg_count > kMaxLegs) {
    return InvalidArgument(absl::StrCat("a run has 1..", kMaxLegs, " legs"));
  }
  const UnitRange& legs = request.legs;
  if (legs.from < 0 || legs.from >= legs.to || legs.to > leg_count) {
    return InvalidArgument(absl::StrCat(
        "the trip must go from stop i to stop j with 0 <= i < j <= ",
        leg_count));
  }
  if (request.passengers < 1 || request.passengers > kMaxPassengers) {
    return InvalidArgument(
        absl::StrCat("passengers must be 1..", kMaxPassengers));
  }
  const auto n = static_cast<size_t>(request.passengers);

  if (!request.chosen.empty()) {
    if (request.chosen.size() != n) {
      return InvalidArgument("choose one seat per passenger");
    }
    std::unordered_map<std::string, const SeatLegs*> by_id;
    for (const SeatLegs& seat : seats) by_id[seat.seat.seat_id] = &seat;
    std::set<std::string> seen;
    for (const std::string& id : request.chosen) {
      if (!seen.insert(id).second) {
        return InvalidArgument(absl::StrCat("seat ", id, " chosen twice"));
      }
      auto it = by_id.find(id);
      if (it == by_id.end() || !InClass(*it->second, request.class_id)) {
        return InvalidArgument(
            absl::StrCat("no seat ", id, " in the requested class"));
      }
    }
    for (const std::string& id : request.chosen) {
      if (!FreeOn(by_id[id]->taken, legs)) {
        return SeatTaken(
            absl::StrCat("seat ", id, " is taken on part of the trip"));
      }
    }
    return request.chosen;
  }

  // The candidates, free on every leg, in seat order, with their scores.
  std::vector<const SeatLegs*> free;
  for (const SeatLegs& seat : seats) {
    if (InClass(seat, request.class_id) && FreeOn(seat.taken, legs)) {
      free.push_back(&seat);
    }
  }
  if (free.size() < n) {
    return SeatTaken(
        absl::StrCat("only ", free.size(), " seats are free for the trip"));
  }
  std::sort(free.begin(), free.end(), SeatOrder);
  std::vector<GapScore> score;
  score.reserve(free.size());
  for (const SeatLegs* seat : free) {
    score.push_back(ScoreOf(seat->taken, leg_count, legs));
  }

  // The n best single seats by score, ties to seat order.
  std::vector<size_t> order(free.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return score[a] < score[b]; });
  order.resize(n);
  GapScore scattered;
  for (size_t k : order) {
    scattered.fragments += score[k].fragments;
    scattered.leftover += score[k].leftover;
  }
  std::vector<std::string> out;
  if (n > 1) {
    // Blocks of n neighbours (same car, consecutive numbers) as good as the
    // best scattered choice: a group sits together when it costs nothing.
    size_t best = free.size();
    GapScore best_score;
    for (size_t start = 0; start + n <= free.size(); ++start) {
      bool block = true;
      GapScore total;
      for (size_t k = 0; k < n; ++k) {
        const SeatLegs* seat = free[start + k];
        if (k > 0 &&
            (seat->seat.car != free[start]->seat.car ||
             seat->seat.number != free[start + k - 1]->seat.number + 1)) {
          block = false;
          break;
        }
        total.fragments += score[start + k].fragments;
        total.leftover += score[start + k].leftover;
      }
      if (block && (best == free.size() || total < best_score)) {
        best = start;
        best_score = total;
      }
    }
    if (best != free.size() && !(scattered < best_score)) {
      for (size_t k = 0; k < n; ++k) {
        out.push_back(free[best + k]->seat.seat_id);
      }
      return out;
    }
  }
  std::sort(order.begin(), order.end());
  for (size_t k : order) out.push_back(free[k]->seat.seat_id);
  return out;
}

int RemainingSeats(const std::vector<SeatLegs>& seats,
                   const std::string& class_id, const UnitRange& legs) {
  if (legs.from < 0 || legs.from >= legs.to || legs.to > 64) return 0;
  int count = 0;
  for (const SeatLegs& seat : seats) {
    if (InClass(seat, class_id) && FreeOn(seat.taken, legs)) ++count;
  }
  return count;
}

std::vector<std::vector<int>> RemainingMatrix(
    const std::vector<SeatLegs>& seats, const std::string& class_id,
    int stop_count) {
  stop_count = std::clamp(stop_count, 0, kMaxLegs + 1);
  std::vector<std::vector<int>> m(stop_count, std::vector<int>(stop_count, 0));
  for (const SeatLegs& seat : seats) {
    if (!InClass(seat, class_id)) continue;
    for (int i = 0; i < stop_count; ++i) {
      // Every j past i up to the first taken leg.
      for (int j = i + 1; j < stop_count && !(seat.taken >> (j - 1) & 1); ++j) {
        ++m[i][j];
      }
    }
  }
  return m;
}

}  // namespace turnstile::booking
