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

// A Try without a deadline is treated as one ending this long from now.
inline constexpr int64_t kDefaultTryWindowMs = 15 * 60 * 1000;
// A Try's deadline may be at most this far ahead (the gate keeps a hold at
// most 30 days, margin included).
inline constexpr int64_t kMaxDeadlineAheadMs = 29LL * 24 * 3600 * 1000;
// 2000-01-01: anything earlier is a client bug, not a deadline.
inline constexpr int64_t kMinDeadlineSeconds = 946684800;

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

// The transaction deadline of a Try in epoch ms: the request's deadline
// (a valid timestamp from 2000 to now_ms + kMaxDeadlineAheadMs; a past one
// is allowed and refused later as too late) or, if absent, now_ms +
// kDefaultTryWindowMs.
absl::StatusOr<int64_t> TryDeadlineMs(bool has_deadline, int64_t seconds,
                                      int32_t nanos, int64_t now_ms);

// The command with its seat ids sorted: concurrent holds then lock the seats
// they share in the same order.
HoldCommand SortedSeats(HoldCommand command);

}  // namespace turnstile::seat
