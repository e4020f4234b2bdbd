// How the booking table's refusals become the API's answer (DESIGN.md §11).
// Two bookings of one resource with overlapping ranges are refused by the
// exclusion constraint (SQLSTATE 23P01, exclusion_violation); two concurrent
// inserters can instead deadlock on the GiST index (40P01,
// deadlock_detected), and PostgreSQL aborts one of them. Both mean the
// resource is taken for (part of) the range: FAILED_PRECONDITION with reason
// SLOT_TAKEN (a net-cafe machine) or SEAT_TAKEN (a train seat), never an
// INTERNAL error and never DB_CONFLICT (retrying could only succeed after
// the winner is cancelled). Everything else goes through
// services/common/pg_pool.h StatusFromException.
#pragma once

#include <exception>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace turnstile::booking {

enum class ResourceKind { kMachine, kSeat };

// "SLOT_TAKEN" or "SEAT_TAKEN".
absl::string_view TakenReason(ResourceKind kind);

// True for the SQLSTATEs that mean "taken": 23P01 and 40P01.
bool IsTakenSqlState(absl::string_view sqlstate);

// The FAILED_PRECONDITION answer for a taken resource of `kind`.
absl::Status TakenError(ResourceKind kind);

// The status for an exception thrown by a statement that inserts bookings
// of `kind`: a pqxx::sql_error with a taken SQLSTATE, or a
// pqxx::deadlock_detected (how libpqxx 6 reports 40P01: not an sql_error,
// no SQLSTATE), is TakenError(kind).
absl::Status BookingStatusFromException(const std::exception& e,
                                        ResourceKind kind);

}  // namespace turnstile::booking
