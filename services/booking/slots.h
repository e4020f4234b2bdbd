// Net-cafe time arithmetic, pure (no clock, no I/O): the slot grid of a
// venue-day and the conversions between wall-clock starts and slot ranges.
//
// A venue-day begins at the venue's opening (local wall time, a minute of
// day) on its date and lasts until the next closing: closing > opening is a
// day inside one calendar date (10:00-22:00), closing <= opening runs past
// midnight (18:00-06:00 the next morning; closing == opening: 24 hours). The
// day is cut into slots of slot_minutes, numbered 0..SlotCount()-1 from the
// opening; a booking is the slot range [from, to). A start at 01:00 on
// 2026-12-25 in an 18:00-06:00 venue belongs to the venue-day 2026-12-24.
// A booking never crosses from one venue-day into the next. The times are
// local wall time; the service turns them into instants in the venue's zone.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/booking/model.h"

namespace turnstile::booking {

struct SlotGrid {
  int opening_minute = 0;
  int closing_minute = 0;
  int slot_minutes = 30;

  static SlotGrid Of(const Venue& venue) {
    return {venue.opening_minute, venue.closing_minute, venue.slot_minutes};
  }
  // Minutes from opening to closing, 1..1440.
  int DayMinutes() const;
  // Slots of one venue-day (valid grids only).
  int SlotCount() const { return DayMinutes() / slot_minutes; }
};

// INVALID_ARGUMENT unless opening and closing are minutes of a day, the slot
// is 1..1440 minutes and the day is a whole number of slots.
absl::Status ValidateGrid(const SlotGrid& grid);

// A booking placed on the grid.
struct SlotPlacement {
  absl::CivilDay venue_day;
  UnitRange slots;
};

// The slots of `duration_minutes` from `start`. INVALID_ARGUMENT when the
// duration is not a positive multiple of the slot, the start falls outside
// opening hours, is not on the grid, or the booking would run past closing.
absl::StatusOr<SlotPlacement> PlaceDuration(const SlotGrid& grid,
                                            absl::CivilMinute start,
                                            int duration_minutes);

// The same for a package of the zone, named by id; INVALID_ARGUMENT for an
// unknown package.
absl::StatusOr<SlotPlacement> PlacePackage(const SlotGrid& grid,
                                           absl::CivilMinute start,
                                           const std::vector<Package>& packages,
                                           const std::string& package_id);

// The inverse, for display: the wall-clock start of slot `index` of
// `venue_day` (index == SlotCount() is the closing time).
absl::CivilMinute SlotStart(const SlotGrid& grid, absl::CivilDay venue_day,
                            int index);

// The free windows of one machine over a day of `slot_count` slots, given its
// booked ranges (any order, may touch or overlap each other; parts outside
// [0, slot_count) are ignored): the maximal free ranges, in order, at least
// `min_slots` long.
std::vector<UnitRange> FreeWindows(int slot_count,
                                   std::vector<UnitRange> booked,
                                   int min_slots = 1);

// One machine and its booked ranges on a venue-day.
struct MachineBookings {
  std::string machine_id;
  std::vector<UnitRange> booked;
};

// The machines (in the given order) with no booking overlapping `window`.
std::vector<std::string> FreeMachines(
    const std::vector<MachineBookings>& machines, const UnitRange& window);

}  // namespace turnstile::booking
