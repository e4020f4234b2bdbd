// The allocation comparison (bench_booking_alloc.h).
#include "tools/bench_booking_alloc.h"

#include <algorithm>
#include <random>
#include <tuple>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile::bench {

using booking::SeatLegs;
using booking::SeatRequest;
using booking::UnitRange;

std::string AllocatorName(Allocator allocator) {
  return allocator == Allocator::kOurs ? "ours" : "first-fit";
}

std::vector<SeatLegs> AllocSeats(const AllocShape& shape) {
  std::vector<SeatLegs> seats;
  for (size_t k = 0; k < shape.class_seats.size(); ++k) {
    const int car = static_cast<int>(k) + 1;
    for (int n = 1; n <= shape.class_seats[k]; ++n) {
      seats.push_back(
          {{absl::StrCat(car, "-", n), car, n, absl::StrCat("c", car)}, 0});
    }
  }
  return seats;
}

std::vector<TripDemand> RandomDemand(const AllocShape& shape, uint64_t seed) {
  // mt19937_64's sequence is fixed by the standard; the mapping below (no
  // std::uniform_int_distribution, whose algorithm is not) keeps the demand
  // the same everywhere.
  std::mt19937_64 rng(seed);
  const uint64_t legs = static_cast<uint64_t>(shape.stops - 1);
  const uint64_t classes = shape.class_seats.size();
  std::vector<TripDemand> out;
  out.reserve(static_cast<size_t>(shape.buyers));
  for (int i = 0; i < shape.buyers; ++i) {
    TripDemand d;
    d.class_id = absl::StrCat("c", 1 + rng() % classes);
    d.from = static_cast<int>(rng() % legs);
    d.to = d.from + 1 + static_cast<int>(rng() % (legs - d.from));
    d.passengers = 1 + static_cast<int>(rng() % static_cast<uint64_t>(std::max(
                                                    1, shape.max_passengers)));
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> FirstFitSeats(
    const std::vector<SeatLegs>& seats, const TripDemand& trip) {
  // AllocSeats lists the seats in seat order already; sort a view anyway so
  // that first-fit means seat order whatever the input order.
  std::vector<const SeatLegs*> order;
  for (const SeatLegs& s : seats) order.push_back(&s);
  std::sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    return std::tie(a->seat.car, a->seat.number, a->seat.seat_id) <
           std::tie(b->seat.car, b->seat.number, b->seat.seat_id);
  });
  std::vector<std::string> out;
  const UnitRange legs{trip.from, trip.to};
  for (const SeatLegs* s : order) {
    if (static_cast<int>(out.size()) == trip.passengers) break;
    if (s->seat.class_id == trip.class_id && booking::FreeOn(s->taken, legs)) {
      out.push_back(s->seat.seat_id);
    }
  }
  if (static_cast<int>(out.size()) < trip.passengers) {
    return Error(absl::StatusCode::kFailedPrecondition, "SEAT_TAKEN",
                 "not enough seats free for the trip");
  }
  return out;
}

SaleOutcome SimulateSale(const AllocShape& shape,
                         const std::vector<TripDemand>& demand,
                         Allocator allocator) {
  std::vector<SeatLegs> seats = AllocSeats(shape);
  std::unordered_map<std::string, size_t> index;
  for (size_t k = 0; k < seats.size(); ++k) index[seats[k].seat.seat_id] = k;
  const int legs = shape.stops - 1;
  SaleOutcome out;
  out.capacity = static_cast<int64_t>(seats.size()) * legs;
  for (const TripDemand& trip : demand) {
    ++out.requests;
    absl::StatusOr<std::vector<std::string>> chosen =
        allocator == Allocator::kOurs
            ? booking::ChooseSeats(
                  seats, legs,
                  SeatRequest{
                      trip.class_id, {trip.from, trip.to}, trip.passengers, {}})
            : FirstFitSeats(seats, trip);
    if (!chosen.ok()) {
      ++out.refused;
      continue;
    }
    ++out.accepted;
    const uint64_t mask =
        ((uint64_t{1} << trip.to) - 1) & ~((uint64_t{1} << trip.from) - 1);
    for (const std::string& id : *chosen) {
      seats[index.at(id)].taken |= mask;
      out.sales.push_back({id, trip.from, trip.to, out.requests - 1});
      ++out.seats_sold;
      out.seat_legs_sold += trip.to - trip.from;
    }
  }
  return out;
}

AllocComparison CompareAllocators(const AllocShape& shape, uint64_t first_seed,
                                  int seeds) {
  AllocComparison out;
  out.shape = shape;
  for (int k = 0; k < seeds; ++k) {
    SeedComparison c;
    c.seed = first_seed + static_cast<uint64_t>(k);
    const std::vector<TripDemand> demand = RandomDemand(shape, c.seed);
    c.ours = SimulateSale(shape, demand, Allocator::kOurs);
    c.first_fit = SimulateSale(shape, demand, Allocator::kFirstFit);
    out.mean_share_ours += c.ours.share();
    out.mean_share_first_fit += c.first_fit.share();
    if (c.ours.seat_legs_sold < c.first_fit.seat_legs_sold) {
      ++out.seeds_ours_lower;
    }
    out.seeds.push_back(std::move(c));
  }
  if (seeds > 0) {
    out.mean_share_ours /= seeds;
    out.mean_share_first_fit /= seeds;
  }
  out.ratio = out.mean_share_first_fit > 0
                  ? out.mean_share_ours / out.mean_share_first_fit
                  : 0;
  return out;
}

}  // namespace turnstile::bench
