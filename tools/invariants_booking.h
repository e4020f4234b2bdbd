// The range-booking invariants of DESIGN.md §4 as issue 10 item 6 extends
// them (`turnstilectl check`): on the booking database (sql/booking), read
// together with the order and coordinator databases,
//   - no two HELD or SOLD bookings of one resource overlap (the exclusion
//     constraint's promise, recounted on the data);
//   - every SOLD booking belongs to exactly one PAID order: per transaction,
//     the SOLD bookings are as many as the PAID order's slot and leg items,
//     and a PAID order's booking items are all SOLD;
//   - no HELD booking outlives its transaction: none of a decided
//     transaction, none past its deadline + the horizon; SOLD ones only of
//     CONFIRMED transactions;
//   - the per-identity quota counts equal the HELD + SOLD bookings they
//     count (services/booking/quota.h), so a limit is never passed unseen.
// No booking database (null) or one without the booking schema (a mesh
// without the booking participant) passes with "no booking schema".
#pragma once

#include <pqxx/pqxx>
#include <vector>

#include "tools/invariants.h"

namespace turnstile::tools {

void AppendBookingChecks(pqxx::connection* booking, pqxx::connection& ord,
                         pqxx::connection& coord, int horizon_seconds,
                         std::vector<CheckResult>& results);

}  // namespace turnstile::tools
