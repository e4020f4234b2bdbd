// "The gates agree with PostgreSQL after reconciliation" (issue 10 item 6):
// every range gate (lua/range_*.lua) read back and compared with the HELD
// and SOLD rows of the booking database. Meant for a quiet system (after
// `turnstilectl reconcile`, no Tries in flight): a hold the gate has and
// PostgreSQL does not is a difference here, though the reconciler keeps such
// a hold while its Try may still commit. `turnstilectl check --check_gates`
// and the booking tests run it.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "services/common/range_gate.h"
#include "tools/invariants.h"

namespace turnstile::tools {

// One result over every gate key with a booking: each gate present, and its
// sold ranges and live holds (resource, range, state, owner) exactly the
// SOLD and HELD rows. An error status if PostgreSQL or Redis cannot be read.
absl::StatusOr<CheckResult> CheckRangeGates(const std::string& booking_conninfo,
                                            RangeGate& gate);

}  // namespace turnstile::tools
