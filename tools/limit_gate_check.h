// The day-limit gates (lua/limit_*.lua) agree with PostgreSQL: for every
// day with a booking whose gate exists, each counter the gate has equals
// booking_quota's count, and each booking_quota counter of a kind the gate
// tracks that day ("doc", "user-day") is in the gate. Which kinds are
// limited is the booking service's configuration, so a day's gate shows it
// by the kinds it holds; an absent gate (no day limits, or not rebuilt
// yet: the next Try rebuilds it) is counted, not a difference. Meant for a
// quiet system, like range_gate_check.h; `turnstilectl check --check_gates`
// and the booking tests run it.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "services/common/limit_gate.h"
#include "tools/invariants.h"

namespace turnstile::tools {

absl::StatusOr<CheckResult> CheckLimitGates(const std::string& booking_conninfo,
                                            LimitGate& gate);

}  // namespace turnstile::tools
