// Input rules of the seat API (DESIGN.md §6): every request is checked here,
// at the edge, before anything touches the database, plus the naming of
// seats. Pure functions so that unit tests can cover every limit without a
// server.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/seat/model.h"

namespace turnstile::seat {

inline constexpr size_t kMaxSections = 50;
inline constexpr size_t kMaxSectionNameLen = 16;
inline constexpr int64_t kMaxRows = 500;
inline constexpr int64_t kMaxSeatsPerRow = 500;
inline constexpr int64_t kMaxSeatsPerEvent = 100'000;
inline constexpr int64_t kMaxPriceMinor = 1'000'000'000'000;  // 10^12
inline constexpr size_t kMaxNameLen = 200;
inline constexpr size_t kMaxSeatsPerHold = 20;
// 0001-01-01 .. 9999-12-31, what every client library can represent.
inline constexpr int64_t kMinStartsAtSeconds = -62135596800;
inline constexpr int64_t kMaxStartsAtSeconds = 253402300799;

// The id of a seat: "<section>-<row>-<number>".
std::string SeatId(const std::string& section, int64_t row, int64_t number);

// Every seat id the sections define, in seat-map order.
std::vector<std::string> SeatIds(const std::vector<SectionSpec>& sections);

// Number of seats the sections define (no overflow for validated input).
int64_t SeatCount(const std::vector<SectionSpec>& sections);

absl::Status ValidateNewEvent(const NewEvent& event);

absl::Status ValidateEventId(const std::string& event_id);

// gid (UUID) and branch_id of a Try, Confirm or Cancel.
absl::Status ValidateTxn(const std::string& gid, const std::string& branch_id);

// txn, user, event and 1..kMaxSeatsPerHold distinct seat ids.
absl::Status ValidateHold(const HoldCommand& command);

// The canonical content of a hold Try (services/common/try_content.h):
// user, event and the seat ids in sorted order (as SortedSeats leaves them).
std::string TryContentOf(const HoldCommand& command);

// The command with its seat ids sorted: concurrent holds then lock the seats
// they share in the same order.
HoldCommand SortedSeats(HoldCommand command);

}  // namespace turnstile::seat
