// Net-cafe slot arithmetic (slots.h).
#include "services/booking/slots.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile::booking {

int SlotGrid::DayMinutes() const {
  return (closing_minute - opening_minute + 1439) % 1440 + 1;
}

absl::Status ValidateGrid(const SlotGrid& grid) {
  if (grid.opening_minute < 0 || grid.opening_minute > 1439 ||
      grid.closing_minute < 0 || grid.closing_minute > 1439) {
    return InvalidArgument("opening and closing must be minutes 0..1439");
  }
  if (grid.slot_minutes < 1 || grid.slot_minutes > 1440) {
    return InvalidArgument("slot_minutes must be 1..1440");
  }
  if (grid.DayMinutes() % grid.slot_minutes != 0) {
    return InvalidArgument("the opening hours must be a whole number of slots");
  }
  return absl::OkStatus();
}

absl::StatusOr<SlotPlacement> PlaceDuration(const SlotGrid& grid,
                                            absl::CivilMinute start,
                                            int duration_minutes) {
  if (auto valid = ValidateGrid(grid); !valid.ok()) return valid;
  if (duration_minutes <= 0 || duration_minutes % grid.slot_minutes != 0) {
    return InvalidArgument(
        absl::StrCat("the duration must be a positive "
                     "multiple of ",
                     grid.slot_minutes, " minutes"));
  }
  // The venue-day that contains `start`: the one opening on its date, or for
  // a day past midnight possibly the one that opened the day before.
  const absl::CivilDay date(start);
  for (absl::CivilDay day : {date, date - 1}) {
    const absl::CivilMinute opening =
        absl::CivilMinute(day) + grid.opening_minute;
    const int64_t offset = start - opening;
    if (offset < 0 || offset >= grid.DayMinutes()) continue;
    if (offset % grid.slot_minutes != 0) {
      return InvalidArgument(absl::StrCat("the start is not on the ",
                                          grid.slot_minutes, "-minute grid"));
    }
    if (offset + duration_minutes > grid.DayMinutes()) {
      return InvalidArgument("the booking runs past closing time");
    }
    const int from = static_cast<int>(offset / grid.slot_minutes);
    return SlotPlacement{day,
                         {from, from + duration_minutes / grid.slot_minutes}};
  }
  return InvalidArgument("the start is outside opening hours");
}

absl::StatusOr<SlotPlacement> PlacePackage(const SlotGrid& grid,
                                           absl::CivilMinute start,
                                           const std::vector<Package>& packages,
                                           const std::string& package_id) {
  for (const Package& package : packages) {
    if (package.package_id == package_id) {
      return PlaceDuration(grid, start, package.hours * 60);
    }
  }
  return InvalidArgument(absl::StrCat("unknown package ", package_id));
}

absl::CivilMinute SlotStart(const SlotGrid& grid, absl::CivilDay venue_day,
                            int index) {
  return absl::CivilMinute(venue_day) + grid.opening_minute +
         index * grid.slot_minutes;
}

std::vector<UnitRange> FreeWindows(int slot_count,
                                   std::vector<UnitRange> booked,
                                   int min_slots) {
  std::sort(
      booked.begin(), booked.end(),
      [](const UnitRange& a, const UnitRange& b) { return a.from < b.from; });
  std::vector<UnitRange> free;
  int cursor = 0;  // first slot not known to be booked
  auto emit = [&](int until) {
    until = std::min(until, slot_count);
    if (until - cursor >= std::max(1, min_slots)) {
      free.push_back({cursor, until});
    }
  };
  for (const UnitRange& range : booked) {
    if (range.empty() || range.to <= 0) continue;
    if (range.from > cursor) emit(range.from);
    cursor = std::max(cursor, range.to);
    if (cursor >= slot_count) break;
  }
  if (cursor < slot_count) emit(slot_count);
  return free;
}

std::vector<std::string> FreeMachines(
    const std::vector<MachineBookings>& machines, const UnitRange& window) {
  std::vector<std::string> free;
  for (const MachineBookings& machine : machines) {
    const bool taken = std::any_of(
        machine.booked.begin(), machine.booked.end(),
        [&](const UnitRange& range) { return range.Overlaps(window); });
    if (!taken) free.push_back(machine.machine_id);
  }
  return free;
}

}  // namespace turnstile::booking
