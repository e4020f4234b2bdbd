// Mapping of the booking table's refusals (booking_errors.h).
#include "services/booking/booking_errors.h"

#include <pqxx/pqxx>

#include "services/common/pg_pool.h"
#include "services/common/status.h"

namespace turnstile::booking {

absl::string_view TakenReason(ResourceKind kind) {
  return kind == ResourceKind::kMachine ? "SLOT_TAKEN" : "SEAT_TAKEN";
}

bool IsTakenSqlState(absl::string_view sqlstate) {
  return sqlstate == "23P01" || sqlstate == "40P01";
}

absl::Status TakenError(ResourceKind kind) {
  return Error(absl::StatusCode::kFailedPrecondition, TakenReason(kind),
               kind == ResourceKind::kMachine
                   ? "the machine is already booked for part of that time"
                   : "the seat is already booked for part of that trip");
}

absl::Status BookingStatusFromException(const std::exception& e,
                                        ResourceKind kind) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    if (IsTakenSqlState(sql->sqlstate())) return TakenError(kind);
  }
  // libpqxx 6 throws 40P01 as deadlock_detected, which is no sql_error and
  // carries no SQLSTATE.
  if (dynamic_cast<const pqxx::deadlock_detected*>(&e)) {
    return TakenError(kind);
  }
  return StatusFromException(e);
}

}  // namespace turnstile::booking
