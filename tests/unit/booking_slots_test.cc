// Net-cafe slot arithmetic (services/booking/slots.h): the grid of a
// venue-day, days past midnight, placement of durations and packages with
// their refusals, the inverse, free windows and free machines.
#include <gtest/gtest.h>

#include "services/booking/slots.h"
#include "services/common/status.h"

namespace turnstile::booking {
namespace {

absl::CivilMinute At(int y, int m, int d, int hh, int mm) {
  return absl::CivilMinute(y, m, d, hh, mm);
}

const SlotGrid kDay{10 * 60, 22 * 60, 30};   // 10:00-22:00
const SlotGrid kNight{18 * 60, 6 * 60, 30};  // 18:00-06:00 next morning
const SlotGrid kAllDay{8 * 60, 8 * 60, 60};  // 24 hours from 08:00

TEST(BookingSlots, GridLengths) {
  EXPECT_EQ(kDay.DayMinutes(), 720);
  EXPECT_EQ(kDay.SlotCount(), 24);
  EXPECT_EQ(kNight.DayMinutes(), 720);
  EXPECT_EQ(kNight.SlotCount(), 24);
  EXPECT_EQ(kAllDay.DayMinutes(), 1440);
  EXPECT_EQ(kAllDay.SlotCount(), 24);
  EXPECT_TRUE(ValidateGrid(kDay).ok());
  EXPECT_EQ(ValidateGrid({600, 1310, 30}).code(),
            absl::StatusCode::kInvalidArgument);  // 710 min: not whole slots
  EXPECT_EQ(ValidateGrid({600, 1320, 0}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateGrid({-1, 1320, 30}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateGrid({600, 1440, 30}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BookingSlots, PlacesADurationInsideOneDay) {
  auto placed = PlaceDuration(kDay, At(2026, 12, 24, 18, 0), 4 * 60);
  ASSERT_TRUE(placed.ok()) << placed.status();
  EXPECT_EQ(placed->venue_day, absl::CivilDay(2026, 12, 24));
  EXPECT_EQ(placed->slots, (UnitRange{16, 24}));
  // The first and the last possible slots.
  placed = PlaceDuration(kDay, At(2026, 12, 24, 10, 0), 30);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->slots, (UnitRange{0, 1}));
  placed = PlaceDuration(kDay, At(2026, 12, 24, 21, 30), 30);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->slots, (UnitRange{23, 24}));
}

TEST(BookingSlots, ADayPastMidnightOwnsTheEarlyHours) {
  // 01:00 on the 25th is slot 14 of the venue-day that opened on the 24th.
  auto placed = PlaceDuration(kNight, At(2026, 12, 25, 1, 0), 2 * 60);
  ASSERT_TRUE(placed.ok()) << placed.status();
  EXPECT_EQ(placed->venue_day, absl::CivilDay(2026, 12, 24));
  EXPECT_EQ(placed->slots, (UnitRange{14, 18}));
  // 22:00 on the 24th, 8 hours to 06:00: exactly to closing.
  placed = PlaceDuration(kNight, At(2026, 12, 24, 22, 0), 8 * 60);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->venue_day, absl::CivilDay(2026, 12, 24));
  EXPECT_EQ(placed->slots, (UnitRange{8, 24}));
  // 18:00 on the 25th opens the next venue-day.
  placed = PlaceDuration(kNight, At(2026, 12, 25, 18, 0), 60);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->venue_day, absl::CivilDay(2026, 12, 25));
  EXPECT_EQ(placed->slots, (UnitRange{0, 2}));
  // Across a month and a year end.
  placed = PlaceDuration(kNight, At(2027, 1, 1, 5, 30), 30);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->venue_day, absl::CivilDay(2026, 12, 31));
  EXPECT_EQ(placed->slots, (UnitRange{23, 24}));
}

TEST(BookingSlots, AllDayVenue) {
  auto placed = PlaceDuration(kAllDay, At(2026, 3, 2, 7, 0), 60);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->venue_day, absl::CivilDay(2026, 3, 1));
  EXPECT_EQ(placed->slots, (UnitRange{23, 24}));
  placed = PlaceDuration(kAllDay, At(2026, 3, 2, 8, 0), 60);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->venue_day, absl::CivilDay(2026, 3, 2));
  EXPECT_EQ(placed->slots, (UnitRange{0, 1}));
  // A booking never crosses into the next venue-day.
  EXPECT_EQ(PlaceDuration(kAllDay, At(2026, 3, 2, 7, 0), 120).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BookingSlots, Refusals) {
  auto refused = [](const SlotGrid& grid, absl::CivilMinute start,
                    int minutes) {
    auto placed = PlaceDuration(grid, start, minutes);
    EXPECT_EQ(placed.status().code(), absl::StatusCode::kInvalidArgument)
        << absl::FormatCivilTime(start) << " +" << minutes;
    return std::string(placed.status().message());
  };
  EXPECT_NE(refused(kDay, At(2026, 12, 24, 9, 30), 60).find("outside"),
            std::string::npos);
  EXPECT_NE(refused(kDay, At(2026, 12, 24, 22, 0), 60).find("outside"),
            std::string::npos);
  EXPECT_NE(refused(kDay, At(2026, 12, 24, 23, 0), 60).find("outside"),
            std::string::npos);
  EXPECT_NE(refused(kNight, At(2026, 12, 25, 6, 0), 60).find("outside"),
            std::string::npos);
  EXPECT_NE(refused(kNight, At(2026, 12, 25, 12, 0), 60).find("outside"),
            std::string::npos);
  EXPECT_NE(refused(kDay, At(2026, 12, 24, 18, 15), 60).find("grid"),
            std::string::npos);
  EXPECT_NE(refused(kDay, At(2026, 12, 24, 20, 0), 4 * 60).find("closing"),
            std::string::npos);
  EXPECT_NE(refused(kDay, At(2026, 12, 24, 18, 0), 0).find("multiple"),
            std::string::npos);
  EXPECT_NE(refused(kDay, At(2026, 12, 24, 18, 0), -30).find("multiple"),
            std::string::npos);
  EXPECT_NE(refused(kDay, At(2026, 12, 24, 18, 0), 45).find("multiple"),
            std::string::npos);
  refused({600, 1310, 30}, At(2026, 12, 24, 18, 0), 60);  // bad grid
}

TEST(BookingSlots, Packages) {
  const std::vector<Package> packages = {
      {"2h", 2, 1000}, {"4h", 4, 1800}, {"6h", 6, 2500}};
  auto placed = PlacePackage(kDay, At(2026, 12, 24, 18, 0), packages, "4h");
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ(placed->slots, (UnitRange{16, 24}));
  placed = PlacePackage(kDay, At(2026, 12, 24, 18, 0), packages, "6h");
  EXPECT_EQ(placed.status().code(), absl::StatusCode::kInvalidArgument);
  placed = PlacePackage(kDay, At(2026, 12, 24, 18, 0), packages, "3h");
  EXPECT_EQ(placed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(placed.status().message().find("unknown package"),
            std::string::npos);
}

TEST(BookingSlots, SlotStartIsTheInverse) {
  for (const SlotGrid& grid : {kDay, kNight, kAllDay}) {
    const absl::CivilDay day(2026, 12, 24);
    for (int index = 0; index < grid.SlotCount(); ++index) {
      const absl::CivilMinute start = SlotStart(grid, day, index);
      auto placed = PlaceDuration(grid, start, grid.slot_minutes);
      ASSERT_TRUE(placed.ok()) << absl::FormatCivilTime(start);
      EXPECT_EQ(placed->venue_day, day);
      EXPECT_EQ(placed->slots, (UnitRange{index, index + 1}));
    }
  }
  EXPECT_EQ(SlotStart(kNight, absl::CivilDay(2026, 12, 24), 24),
            At(2026, 12, 25, 6, 0));  // closing
}

TEST(BookingSlots, FreeWindows) {
  EXPECT_EQ(FreeWindows(24, {}), (std::vector<UnitRange>{{0, 24}}));
  EXPECT_EQ(FreeWindows(24, {{16, 24}, {0, 4}}),
            (std::vector<UnitRange>{{4, 16}}));
  // Touching and overlapping bookings merge; unsorted input.
  EXPECT_EQ(FreeWindows(24, {{10, 12}, {4, 8}, {8, 10}, {6, 9}, {20, 22}}),
            (std::vector<UnitRange>{{0, 4}, {12, 20}, {22, 24}}));
  EXPECT_EQ(FreeWindows(24, {{0, 24}}), (std::vector<UnitRange>{}));
  // A minimum length drops short windows.
  EXPECT_EQ(FreeWindows(24, {{2, 10}, {12, 20}}, 4),
            (std::vector<UnitRange>{{20, 24}}));
  // Ranges outside the day are ignored.
  EXPECT_EQ(FreeWindows(8, {{6, 30}}), (std::vector<UnitRange>{{0, 6}}));
}

TEST(BookingSlots, FreeWindowsAgreeWithASlotByslotRecount) {
  uint32_t seed = 7;
  auto next = [&seed](int n) {
    seed = seed * 1103515245u + 12345u;
    return static_cast<int>((seed >> 16) % n);
  };
  for (int round = 0; round < 500; ++round) {
    const int count = 1 + next(30);
    std::vector<UnitRange> booked;
    std::vector<bool> taken(count, false);
    for (int k = next(6); k > 0; --k) {
      const int from = next(count);
      const int to = from + 1 + next(count - from);
      booked.push_back({from, to});
      for (int s = from; s < to; ++s) taken[s] = true;
    }
    std::vector<UnitRange> expected;
    for (int s = 0; s < count;) {
      if (taken[s]) {
        ++s;
        continue;
      }
      int e = s;
      while (e < count && !taken[e]) ++e;
      expected.push_back({s, e});
      s = e;
    }
    EXPECT_EQ(FreeWindows(count, booked), expected) << "round " << round;
  }
}

TEST(BookingSlots, FreeMachines) {
  const std::vector<MachineBookings> machines = {
      {"a1", {{16, 22}}},  // 18:00-21:00
      {"a2", {{22, 24}}},  // adjacent to the window: free
      {"a3", {}},
      {"a4", {{0, 2}, {20, 21}}},
  };
  EXPECT_EQ(FreeMachines(machines, {16, 22}),
            (std::vector<std::string>{"a2", "a3"}));
  EXPECT_EQ(FreeMachines(machines, {0, 2}),
            (std::vector<std::string>{"a1", "a2", "a3"}));
  EXPECT_EQ(FreeMachines(machines, {21, 22}),
            (std::vector<std::string>{"a2", "a3", "a4"}));
}

}  // namespace
}  // namespace turnstile::booking
