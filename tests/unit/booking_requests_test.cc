// services/booking/requests.h, translate.h and catalog.h without I/O: the
// RPC input rules against a cached venue or run, prices, the proto
// conversions and the catalogue's loading and bound.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "services/booking/catalog.h"
#include "services/booking/requests.h"
#include "services/booking/translate.h"
#include "services/booking/validation.h"
#include "services/common/status.h"

namespace turnstile::booking {
namespace {

// Shanghai (UTC+8), open 18:00-06:00, 30-minute slots: 24 slots a day.
Venue NightCafe() {
  Venue v;
  v.venue_id = "night";
  v.name = "Night";
  v.tz_name = "Asia/Shanghai";
  v.currency = "CNY";
  v.opening_minute = 18 * 60;
  v.closing_minute = 6 * 60;
  v.slot_minutes = 30;
  Zone z;
  z.zone_id = "std";
  z.name = "Standard";
  z.price_per_hour_minor = 700;
  z.packages = {{"4h", 4, 2000}};
  z.machine_ids = {"a", "b"};
  v.zones.push_back(z);
  return v;
}

// 2026-12-24 hh:mm in Shanghai as epoch seconds.
int64_t Local(int day, int hh, int mm = 0) {
  return 1798070400 + (day - 24) * 86400 + (hh - 8) * 3600 + mm * 60;
}

v1::CreateRunRequest Train() {
  v1::CreateRunRequest r;
  r.set_train_number("D7");
  r.set_service_date("2026-12-24");
  r.set_currency("CNY");
  for (int i = 0; i < 4; ++i) {
    auto* s = r.add_stops();
    s->set_station("S" + std::to_string(i));
    s->mutable_departs_at()->set_seconds(Local(24, 9 + i));
  }
  auto* c = r.add_classes();
  c->set_class_id("second");
  c->set_price_per_leg_minor_units(35);
  auto* car = r.add_cars();
  car->set_car(3);
  car->set_class_id("second");
  car->set_seats(3);
  return r;
}

google::protobuf::Timestamp Ts(int64_t seconds) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  return t;
}

TEST(BookingRequests, PlacesWindowsOfAVenueDayPastMidnight) {
  auto venue = IndexVenue(NightCafe());
  EXPECT_EQ(venue->slot_count, 24);
  const Zone& zone = *venue->FindZone("std");
  // 01:00 on the 25th belongs to the venue-day of the 24th: slot 14.
  auto placed = PlaceWindow(*venue, zone, true, Ts(Local(25, 1)), "4h", 0);
  ASSERT_TRUE(placed.ok()) << placed.status();
  EXPECT_EQ(absl::FormatCivilTime(placed->venue_day), "2026-12-24");
  EXPECT_EQ(placed->slots.from, 14);
  EXPECT_EQ(placed->slots.to, 22);
  // 04:00 + 4 h runs past 06:00.
  EXPECT_EQ(PlaceWindow(*venue, zone, true, Ts(Local(25, 4)), "4h", 0)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // 12:00 is closed; 18:15 is off the grid; 18:00:30 is off the grid.
  EXPECT_FALSE(PlaceWindow(*venue, zone, true, Ts(Local(24, 12)), "", 60).ok());
  EXPECT_FALSE(
      PlaceWindow(*venue, zone, true, Ts(Local(24, 18, 15)), "", 60).ok());
  EXPECT_FALSE(
      PlaceWindow(*venue, zone, true, Ts(Local(24, 18) + 30), "", 60).ok());
  // Both or neither of package and duration; no start.
  EXPECT_FALSE(
      PlaceWindow(*venue, zone, true, Ts(Local(24, 18)), "4h", 60).ok());
  EXPECT_FALSE(PlaceWindow(*venue, zone, true, Ts(Local(24, 18)), "", 0).ok());
  EXPECT_FALSE(PlaceWindow(*venue, zone, false, Ts(0), "", 60).ok());
  // The window's instants in the venue's zone.
  v1::SlotWindow w;
  ToProto(*venue, placed->venue_day, placed->slots, &w);
  EXPECT_EQ(w.starts_at().seconds(), Local(25, 1));
  EXPECT_EQ(w.ends_at().seconds(), Local(25, 5));
}

TEST(BookingRequests, PricesPackagesAndDurationsRoundingUp) {
  auto venue = IndexVenue(NightCafe());
  const Zone& zone = *venue->FindZone("std");
  EXPECT_EQ(SlotPrice(*venue, zone, "4h", {0, 8}), 2000);
  EXPECT_EQ(SlotPrice(*venue, zone, "", {0, 2}), 700);
  EXPECT_EQ(SlotPrice(*venue, zone, "", {0, 1}), 350);
  Zone odd = zone;
  odd.price_per_hour_minor = 701;
  EXPECT_EQ(SlotPrice(*venue, odd, "", {0, 1}), 351);  // 350.5 rounded up
}

TEST(BookingRequests, ResolvesSlotHolds) {
  auto venue = IndexVenue(NightCafe());
  v1::SlotHold hold;
  hold.set_venue_id("night");
  hold.set_zone_id("std");
  hold.mutable_starts_at()->set_seconds(Local(24, 20));
  hold.set_duration_minutes(90);
  auto any = ResolveSlotHold(*venue, hold);
  ASSERT_TRUE(any.ok()) << any.status();
  EXPECT_TRUE(any->machine_ids.empty());
  EXPECT_EQ(any->machines, 1);
  EXPECT_EQ(any->price_each, 1050);
  hold.add_machine_ids("b");
  hold.add_machine_ids("zz");
  EXPECT_EQ(ReasonOf(ResolveSlotHold(*venue, hold).status()),
            "MACHINE_NOT_FOUND");
  hold.set_zone_id("vip");
  EXPECT_EQ(ReasonOf(ResolveSlotHold(*venue, hold).status()), "ZONE_NOT_FOUND");
}

TEST(BookingRequests, ConvertsAndResolvesRuns) {
  auto run = RunFromProto(Train());
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(ValidateRun(*run).ok());
  EXPECT_EQ(run->run_id, "D7:2026-12-24");
  ASSERT_EQ(run->seats.size(), 3u);
  EXPECT_EQ(run->seats[2].seat_id, "3-3");
  auto cached = IndexRun(*run);
  EXPECT_EQ(cached->legs, 3);
  v1::LegHold leg;
  leg.set_run_id("D7:2026-12-24");
  leg.set_from_stop(0);
  leg.set_to_stop(3);
  leg.set_class_id("second");
  leg.add_passengers()->set_doc_id("P1");
  auto resolved = ResolveLegHold(*cached, leg);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->price_each, 105);
  leg.set_to_stop(0);
  EXPECT_EQ(ResolveLegHold(*cached, leg).status().code(),
            absl::StatusCode::kInvalidArgument);
  leg.set_to_stop(4);
  EXPECT_EQ(ResolveLegHold(*cached, leg).status().code(),
            absl::StatusCode::kInvalidArgument);
  leg.set_to_stop(2);
  leg.add_seat_ids("1-1");
  EXPECT_EQ(ReasonOf(ResolveLegHold(*cached, leg).status()), "SEAT_NOT_FOUND");

  auto bad = Train();
  bad.mutable_cars(0)->set_seats(201);
  EXPECT_FALSE(RunFromProto(bad).ok());
  bad = Train();
  bad.mutable_stops(1)->clear_departs_at();
  EXPECT_FALSE(RunFromProto(bad).ok());
  bad = Train();
  bad.set_train_number("D-7");
  EXPECT_FALSE(RunFromProto(bad).ok());
}

TEST(BookingRequests, VenueGridAndIdsFitTheGate) {
  v1::CreateVenueRequest r;
  r.set_venue_id("v");
  r.set_opening_minute(0);
  r.set_closing_minute(0);
  r.set_slot_minutes(5);  // 288 slots > 256
  r.add_zones()->add_machine_ids("m");
  EXPECT_FALSE(VenueFromProto(r).ok());
  r.set_slot_minutes(6);  // 240 slots
  EXPECT_TRUE(VenueFromProto(r).ok());
  // "m:" + venue + ":" + machine + ":" + date must stay within 64 chars.
  r.set_venue_id(std::string(30, 'v'));
  r.mutable_zones(0)->set_machine_ids(0, std::string(21, 'm'));
  EXPECT_FALSE(VenueFromProto(r).ok());
  r.mutable_zones(0)->set_machine_ids(0, std::string(20, 'm'));
  EXPECT_TRUE(VenueFromProto(r).ok());
  EXPECT_EQ(MachineResource(std::string(30, 'v'), std::string(20, 'm'),
                            absl::CivilDay(2026, 12, 24))
                .size(),
            64u);
}

TEST(BookingCatalog, LoadsOncePerIdAndStaysBounded) {
  std::atomic<int> loads{0};
  BookingCatalog catalog(
      [&](const std::string& id) -> absl::StatusOr<Venue> {
        ++loads;
        if (id == "missing") {
          return Error(absl::StatusCode::kNotFound, "VENUE_NOT_FOUND", id);
        }
        Venue v = NightCafe();
        v.venue_id = id;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        return v;
      },
      [&](const std::string& id) -> absl::StatusOr<booking::Run> {
        return Error(absl::StatusCode::kNotFound, "RUN_NOT_FOUND", id);
      },
      2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ASSERT_TRUE(catalog.GetVenue("a").ok()); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(ReasonOf(catalog.GetVenue("missing").status()), "VENUE_NOT_FOUND");
  EXPECT_EQ(ReasonOf(catalog.GetRun("r").status()), "RUN_NOT_FOUND");
  EXPECT_EQ(catalog.size(), 1u);  // failures leave nothing behind
  ASSERT_TRUE(catalog.GetVenue("b").ok());
  Venue c = NightCafe();
  c.venue_id = "c";
  catalog.PutVenue(c);  // no load; "a" is dropped
  EXPECT_EQ(catalog.size(), 2u);
  const int before = loads.load();
  ASSERT_TRUE(catalog.GetVenue("c").ok());
  ASSERT_TRUE(catalog.GetVenue("b").ok());
  EXPECT_EQ(loads.load(), before);
  ASSERT_TRUE(catalog.GetVenue("a").ok());
  EXPECT_EQ(loads.load(), before + 1);
  EXPECT_EQ(catalog.size(), 2u);
}

}  // namespace
}  // namespace turnstile::booking
