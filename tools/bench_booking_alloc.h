// The allocation comparison of turnstile-bench's booking scenarios (issue 10,
// "Measure"), pure and in process: one train run (by default 10 stops and
// 100 seats in two classes) sold to the same random demand (random class,
// random trip [from, to), 1-5 passengers, a fixed seed) twice -- once with
// our allocator (services/booking/seat_choice.h ChooseSeats: fewest new
// gaps, best fit, groups together) and once with first-fit (the first n
// seats of the class in seat order free on every leg of the trip) -- and
// the seat-legs each sold as a share of the capacity (seats x legs). A
// request either gets all its seats or none. Several seeds are averaged.
// Every sale is recorded, so that a test can check that no seat-leg was
// sold twice. No I/O here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "services/booking/seat_choice.h"

namespace turnstile::bench {

// The run and the demand.
struct AllocShape {
  int stops = 10;  // legs = stops - 1 (2..64 stops)
  // One car per class, classes "c1", "c2", ...: seats per class.
  std::vector<int> class_seats = {50, 50};
  int buyers = 1000;  // requests per sale
  int max_passengers = 5;
};

// One buyer's request.
struct TripDemand {
  std::string class_id;
  int from = 0, to = 0;  // stops, from < to
  int passengers = 1;
};

enum class Allocator { kOurs, kFirstFit };

// "ours" / "first-fit".
std::string AllocatorName(Allocator allocator);

// One seat sold over [from, to) to request `request` (its index in the
// demand).
struct SeatSale {
  std::string seat_id;
  int from = 0, to = 0;
  int64_t request = 0;
};

struct SaleOutcome {
  int64_t requests = 0;
  int64_t accepted = 0;  // requests that got all their seats
  int64_t refused = 0;   // SEAT_TAKEN: not enough seats free on the trip
  int64_t seats_sold = 0;
  int64_t seat_legs_sold = 0;  // sum over sold seats of (to - from)
  int64_t capacity = 0;        // seats x legs
  double share() const {
    return capacity > 0 ? static_cast<double>(seat_legs_sold) / capacity : 0;
  }
  std::vector<SeatSale> sales;
};

// The run's seats, every leg free: class k (1-based) is car k with seats
// numbered 1..class_seats[k-1], ids "<car>-<number>".
std::vector<booking::SeatLegs> AllocSeats(const AllocShape& shape);

// `shape.buyers` requests drawn from `seed` (a fixed generator and mapping,
// the same on every platform): class uniform, from uniform in [0, legs),
// to uniform in (from, legs], passengers uniform in 1..max_passengers.
std::vector<TripDemand> RandomDemand(const AllocShape& shape, uint64_t seed);

// First-fit: the first `passengers` seats of the class (seat order) free on
// every leg of the trip, or SEAT_TAKEN.
absl::StatusOr<std::vector<std::string>> FirstFitSeats(
    const std::vector<booking::SeatLegs>& seats, const TripDemand& trip);

// Sells `demand` in order on a fresh run of `shape` with `allocator`.
SaleOutcome SimulateSale(const AllocShape& shape,
                         const std::vector<TripDemand>& demand,
                         Allocator allocator);

// Both allocators on the same demand of each seed.
struct SeedComparison {
  uint64_t seed = 0;
  SaleOutcome ours, first_fit;
};

struct AllocComparison {
  AllocShape shape;
  std::vector<SeedComparison> seeds;
  double mean_share_ours = 0, mean_share_first_fit = 0;
  // mean_share_ours / mean_share_first_fit (0 if first-fit sold nothing).
  double ratio = 0;
  // Seeds on which ours sold fewer seat-legs than first-fit.
  int seeds_ours_lower = 0;
};

// Seeds first_seed, first_seed + 1, ..., `seeds` of them.
AllocComparison CompareAllocators(const AllocShape& shape, uint64_t first_seed,
                                  int seeds);

}  // namespace turnstile::bench
