// The booking participant's resource and gate names (services/booking/
// model.h) and its mapping of the booking table's refusals
// (services/booking/booking_errors.h) on libpqxx's exception types.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "services/booking/booking_errors.h"
#include "services/booking/model.h"
#include "services/common/status.h"

namespace turnstile::booking {
namespace {

TEST(BookingNames, ResourceAndGateIds) {
  const absl::CivilDay day(2026, 12, 24);
  EXPECT_EQ(MachineResource("cafe", "v01", day), "m:cafe:v01:2026-12-24");
  EXPECT_EQ(VenueDayGate("cafe", day), "v:cafe:2026-12-24");
  EXPECT_EQ(RunId("G1234", day), "G1234:2026-12-24");
  EXPECT_EQ(SeatResource(RunId("G1234", day), "05-12A"),
            "s:G1234:2026-12-24:05-12A");
  EXPECT_EQ(RunGate("G1234:2026-12-24"), "r:G1234:2026-12-24");
  EXPECT_EQ(MachineResource("cafe", "v01", absl::CivilDay(2027, 1, 2)),
            "m:cafe:v01:2027-01-02");
}

TEST(BookingErrors, TakenStates) {
  EXPECT_TRUE(IsTakenSqlState("23P01"));
  EXPECT_TRUE(IsTakenSqlState("40P01"));
  EXPECT_FALSE(IsTakenSqlState("23505"));
  EXPECT_FALSE(IsTakenSqlState("40001"));
  EXPECT_FALSE(IsTakenSqlState(""));
  EXPECT_EQ(TakenReason(ResourceKind::kMachine), "SLOT_TAKEN");
  EXPECT_EQ(TakenReason(ResourceKind::kSeat), "SEAT_TAKEN");
}

TEST(BookingErrors, MapsExceptions) {
  const pqxx::sql_error exclusion(
      "ERROR: conflicting key value violates "
      "exclusion constraint",
      "INSERT ...", "23P01");
  absl::Status status =
      BookingStatusFromException(exclusion, ResourceKind::kMachine);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(status), "SLOT_TAKEN");
  // The database's text stays out of the answer.
  EXPECT_EQ(status.message().find("exclusion"), std::string::npos);

  const pqxx::sql_error deadlock_state("ERROR: deadlock", "", "40P01");
  EXPECT_EQ(
      ReasonOf(BookingStatusFromException(deadlock_state, ResourceKind::kSeat)),
      "SEAT_TAKEN");
  // libpqxx 6's own class for 40P01 (no SQLSTATE).
  const pqxx::deadlock_detected deadlock("ERROR: deadlock detected");
  status = BookingStatusFromException(deadlock, ResourceKind::kSeat);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(status), "SEAT_TAKEN");

  // Anything else keeps the common mapping.
  const pqxx::check_violation check("ERROR: check", "", "23514");
  status = BookingStatusFromException(check, ResourceKind::kMachine);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(status), "CONSTRAINT");
  const pqxx::serialization_failure serialization("ERROR: serialization");
  EXPECT_EQ(
      BookingStatusFromException(serialization, ResourceKind::kMachine).code(),
      absl::StatusCode::kUnavailable);
  const pqxx::broken_connection broken("gone");
  EXPECT_EQ(BookingStatusFromException(broken, ResourceKind::kMachine).code(),
            absl::StatusCode::kUnavailable);
  const std::runtime_error other("boom");
  EXPECT_EQ(BookingStatusFromException(other, ResourceKind::kMachine).code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace turnstile::booking
