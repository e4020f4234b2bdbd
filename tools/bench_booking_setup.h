// The catalogue the range-booking scenarios of turnstile-bench sell, created
// through the booking service as an operator (bench-operator, admin, through
// the loadgen identity, as bench_setup.h creates SKUs): train runs (10 stops,
// two classes in cars of up to 200 seats) and a net-cafe venue (one zone,
// open 24 hours on a 30-minute grid, a 4-hour package), each with fresh ids
// and a service date (venue-day) of its own so that repeated runs of the
// bench do not meet each other's per-identity daily limits. Also the order
// lines that buy them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "turnstile/v1/booking.pb.h"
#include "turnstile/v1/order.pb.h"

namespace turnstile::bench {

inline constexpr int kTrainStops = 10;
inline constexpr int64_t kPricePerLeg = 100;       // minor units, EUR
inline constexpr int64_t kPackagePrice = 2000;     // the 4-hour package
inline constexpr char kPackage[] = "4h";           // its id
inline constexpr int kSlotMinutes = 30;            // the venue's grid
inline constexpr char kCafeZone[] = "bench-zone";  // the venue's one zone

// A fresh future date for this run of the bench: tomorrow plus a random
// offset of up to 25 days (UTC).
absl::CivilDay BenchDay();

// Creates run <train>:<day> with kTrainStops stops (08:00 UTC on `day`,
// 30 minutes apart), classes "c1" (cars holding the first ~40% of the
// seats) and "c2", `seats` seats in cars of at most 200. Exits on failure.
v1::Run CreateBenchRun(const std::string& train, absl::CivilDay day, int seats);

// The seat ids of `run` in class `class_id`.
std::vector<std::string> SeatsOfClass(const v1::Run& run,
                                      const std::string& class_id);

// Creates venue `venue_id` (UTC, open 24 hours, kSlotMinutes slots) with
// zone kCafeZone of `machines` machines m1..m<machines> and package
// kPackage (4 hours, kPackagePrice). Exits on failure.
v1::Venue CreateBenchVenue(const std::string& venue_id, int machines);

// An order line of one leg: passengers with documents <doc_prefix>0.., in
// `class_id`, from `from` to `to`.
v1::OrderLine LegLine(const std::string& run_id, int from, int to,
                      const std::string& class_id, int passengers,
                      const std::string& doc_prefix);

// An order line of "any machine of kCafeZone" for kPackage from
// `starts_at_unix`.
v1::OrderLine SlotLine(const std::string& venue_id, int64_t starts_at_unix);

}  // namespace turnstile::bench
