// The range-booking scenarios of turnstile-bench (issue 10, "Measure"),
// every ratio against the same servers in one run:
//   alloc      seat-legs sold / capacity of our allocation next to first-fit
//              on the same random demand (pure, bench_booking_alloc.h)
//   train      train bookings/s: Order.PlaceOrder pay_now with one leg line
//              (one passenger, a random trip) through the whole TCC, spread
//              over --train_runs runs; ratio to pgbench tpcb-like
//   remaining  remaining-seat queries/s: Booking.RemainingSeats (one class,
//              one trip) direct to turnstile-booking; ratio to
//              redis-benchmark EVALSHA range_free of the same count on the
//              same gate (target >= 0.3)
//   soldout    sold-out leg refusals/s: PlaceOrder on a run whose every
//              seat is sold on every leg, refused SEAT_TAKEN; ratio to the
//              same EVALSHA range_free (and shown beside range_hold's TAKEN)
//   cafe       --cafe_buyers (230, seed 000's test) concurrent buyers of "any
//              machine" of one zone's 4-hour package through PlaceOrder
//              pay_now after the system has settled: p50/p99 (seed 000: an
//              11.7 s average lock step)
// --booking_steps picks steps (always run in the order above). The setup
// creates fresh runs and a venue (Booking.CreateRun/CreateVenue as the
// bench's operator) on a service date of its own, funds the wallets, and
// the end checks the invariants (tools/invariants.h) and, in the booking
// database, the bench's own gates: every transaction's bookings SOLD or
// gone, as many SOLD rows as bookings answered PAID, no overlap, the
// remaining-seat answer equal to a recount. --json writes every number.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tools/bench_booking_alloc.h"
#include "tools/bench_booking_baselines.h"
#include "tools/bench_external.h"
#include "tools/bench_stats.h"
#include "tools/invariants.h"

namespace turnstile::bench {

// The sold-out run: kSoldOutSeats seats, every one sold from the first stop
// to the last before the refused orders come.
inline constexpr int kSoldOutSeats = 4;

// Everything one booking run measured.
struct BookingRun {
  std::string label, tag, day;  // day: the runs' service date, venue-day
  std::set<std::string> steps;
  int concurrency = 0;
  double load_before = 0, load_after = 0;
  Tally funding;

  std::optional<AllocComparison> alloc;

  std::vector<std::string> train_runs;
  Tally train;

  std::string remaining_run, remaining_class;
  int remaining_from = 0, remaining_to = 0, remaining_seats = 0;
  int64_t remaining_answer = -1;  // what RemainingSeats answered
  Tally remaining;

  std::string soldout_run;
  Tally soldout;

  std::string venue;
  int cafe_buyers = 0, cafe_machines = 0;
  int64_t cafe_starts_at = 0;
  Tally cafe;
  LatencySummary cafe_all;  // successes and refusals together

  std::optional<PgbenchResult> pgbench;
  std::optional<RangeBaseline> range_free, range_hold_taken;

  std::vector<tools::CheckResult> checks;
  bool all_ok = false;
};

// --scenario=booking: 0 if every check passed, 1 if one failed (exits with
// 2 on a setup failure).
int RunBooking();
// --scenario=booking-alloc: the pure allocation comparison alone (no
// servers); always 0.
int RunBookingAlloc();

// The bench's checks of its own gates in the booking database
// (bench_booking_checks.cc).
std::vector<tools::CheckResult> CheckBookingRun(const std::string& conninfo,
                                                const BookingRun& run);

// Console and --json (bench_booking_output.cc).
void PrintAlloc(const AllocComparison& c);
void PrintBookingRatios(BookingRun& run);
void WriteBookingJson(const std::string& path, BookingRun& run);

}  // namespace turnstile::bench
