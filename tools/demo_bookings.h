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

#include "tools/demo_common.h"

namespace turnstile::demo {

void Bookings(Stubs& stubs, const std::string& tag);

}  // namespace turnstile::demo
