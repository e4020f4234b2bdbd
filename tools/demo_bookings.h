// The range-booking part of turnstile-demo (issue 10): a net-cafe venue and
// a 10-stop train run created by the operator, then
//   - a 4-hour slot on "any premium machine" paid at once, the adjacent
//     2 hours of the same machine sold to a second buyer, and an overlapping
//     2 hours refused SLOT_TAKEN, with the machine's free windows after;
//   - 2 passengers from stop 2 to stop 5, paid at once, with the remaining
//     seats of 2->5 and 5->9 before and after (only the first drops);
//   - a whole-run trip reserved with the train's 15-minute window, then
//     paid.
// Every order is printed as stored; a failed step ends the demo (exit 2).
#pragma once

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tools/demo_common.h"

namespace turnstile::demo {

// The demo venues' and runs' time zone.
inline constexpr char kDemoTimeZone[] = "Asia/Shanghai";

// Tomorrow in `tz`: every start of the demo is in the future.
absl::CivilDay Tomorrow(const absl::TimeZone& tz);

// A net cafe open 10:00-02:00 with 30-minute slots: zone "premium" (8
// machines p1..p8, packages 2h/4h/6h) and zone "room" (r1, r2).
void CreateCafe(Stubs& stubs, const std::string& venue);

// A 10-stop run of train `number` on `day`: car 1 first class (20 seats),
// cars 2 and 3 second class (40 each). Its run id is "<number>:<day>".
void CreateTrain(Stubs& stubs, const std::string& number, absl::CivilDay day,
                 const absl::TimeZone& tz);

void Bookings(Stubs& stubs, const std::string& tag);

}  // namespace turnstile::demo
