// The shape rules of an order's booking line (a net-cafe slot or a train
// leg, booking.proto), pure: everything that needs no catalogue. Whether the
// venue, zone, machine, run, class or seat exists, whether the start is on
// the slot grid and inside opening hours, and the stop count of the run are
// the booking service's checks (its Try answers NOT_FOUND or
// INVALID_ARGUMENT). Every failure is INVALID_ARGUMENT naming the field
// (`at` is the line's path, e.g. "lines[2]").
#pragma once

#include <string>

#include "absl/status/status.h"
#include "turnstile/v1/booking.pb.h"

namespace turnstile::order {

// Most machines of one slot line (SlotHold: 1..8).
inline constexpr int kMaxSlotMachines = 8;
// Passengers of one leg line (LegHold: 1..5).
inline constexpr int kMaxPassengers = 5;
// Stops of a run are 0..63 (CreateRun: 2..64 stops).
inline constexpr int kMaxStopIndex = 63;
// A duration is at most one venue-day.
inline constexpr int kMaxSlotMinutes = 1440;

// venue_id and zone_id ids without ':'; 0..8 distinct machine ids (no ':'),
// `machines` 0..8 and, with machine ids given, 0 or their count; starts_at
// set and a valid Timestamp; exactly one of package_id (an id without ':')
// and duration_minutes (1..1440).
absl::Status CheckSlotLine(const std::string& at, const v1::SlotHold& slot);

// run_id "<train 1-16 [A-Za-z0-9]>:<YYYY-MM-DD>"; 0 <= from_stop < to_stop
// <= 63; class_id an id without ':'; 1..5 passengers with distinct doc ids
// (ids without ':'); seat_ids empty or one distinct id per passenger.
absl::Status CheckLegLine(const std::string& at, const v1::LegHold& leg);

// The items a booking line books: its machines (slot) or passengers (leg).
int SlotItemCount(const v1::SlotHold& slot);
int LegItemCount(const v1::LegHold& leg);

}  // namespace turnstile::order
