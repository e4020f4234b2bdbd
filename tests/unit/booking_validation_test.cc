// services/booking/validation.h and quota.h: the rules a venue, a run and a
// Try must pass before the store sees them, the Try's canonical content,
// and the quota keys a Try takes and its Cancel gives back.
#include <gtest/gtest.h>

#include <limits>

#include "services/booking/quota.h"
#include "services/booking/validation.h"
#include "services/common/status.h"

namespace turnstile::booking {
namespace {

constexpr absl::CivilDay kDay(2026, 12, 24);

Venue GoodVenue() {
  Venue v;
  v.venue_id = "cafe";
  v.name = "Cafe";
  v.tz_name = "Asia/Shanghai";
  v.currency = "CNY";
  v.opening_minute = 1080;  // 18:00
  v.closing_minute = 360;   // 06:00
  v.slot_minutes = 30;
  v.zones = {{"premium", "Premium", 800, {{"2h", 2, 1500}}, {"p1", "p2"}},
             {"room", "Room", 1500, {}, {"r1"}}};
  return v;
}

booking::Run GoodRun() {
  booking::Run r;
  r.train_number = "G1";
  r.service_date = kDay;
  r.run_id = "G1:2026-12-24";
  r.currency = "CNY";
  r.stops = {{0, "A", 100}, {1, "B", 200}, {2, "C", 300}};
  r.classes = {{"first", 10}, {"second", 5}};
  r.seats = {{"1A", 1, 1, "first"}, {"2A", 2, 1, "second"}};
  return r;
}

HoldCommand GoodHold() {
  HoldCommand c;
  c.gid = "01890a5d-ac96-774b-bcce-b302099a8057";
  c.branch_id = "booking";
  c.user_id = "u1";
  c.gate_key = "r:G1:2026-12-24";
  c.day = kDay;
  c.deadline_ms = 1;
  c.items = {{"s:G1:2026-12-24:2A", {0, 2}, "doc-2"},
             {"s:G1:2026-12-24:1A", {1, 2}, "doc-1"}};
  return c;
}

TEST(BookingValidation, GoodInputPasses) {
  EXPECT_TRUE(ValidateVenue(GoodVenue()).ok()) << ValidateVenue(GoodVenue());
  EXPECT_TRUE(ValidateRun(GoodRun()).ok()) << ValidateRun(GoodRun());
  EXPECT_TRUE(ValidateHold(GoodHold()).ok()) << ValidateHold(GoodHold());
}

void ExpectInvalid(const absl::Status& status) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
}

TEST(BookingValidation, BadVenues) {
  auto with = [](auto change) {
    Venue v = GoodVenue();
    change(v);
    return ValidateVenue(v);
  };
  ExpectInvalid(with([](Venue& v) { v.venue_id = "a:b"; }));
  ExpectInvalid(with([](Venue& v) { v.venue_id = ""; }));
  ExpectInvalid(with([](Venue& v) { v.tz_name = "Mars/Olympus"; }));
  ExpectInvalid(with([](Venue& v) { v.currency = "eur"; }));
  ExpectInvalid(with([](Venue& v) { v.slot_minutes = 7; }));  // 720 % 7
  ExpectInvalid(with([](Venue& v) { v.opening_minute = 1440; }));
  ExpectInvalid(with([](Venue& v) { v.zones.clear(); }));
  ExpectInvalid(with([](Venue& v) { v.zones[1].zone_id = "premium"; }));
  ExpectInvalid(with([](Venue& v) { v.zones[1].machine_ids = {"p1"}; }));
  ExpectInvalid(with([](Venue& v) { v.zones[1].machine_ids.clear(); }));
  ExpectInvalid(with([](Venue& v) { v.zones[0].packages[0].hours = 0; }));
  ExpectInvalid(with([](Venue& v) { v.zones[0].packages[0].hours = 25; }));
  ExpectInvalid(with([](Venue& v) { v.zones[0].price_per_hour_minor = -1; }));
  ExpectInvalid(with(
      [](Venue& v) { v.zones[0].packages.push_back(v.zones[0].packages[0]); }));
}

TEST(BookingValidation, BadRuns) {
  auto with = [](auto change) {
    booking::Run r = GoodRun();
    change(r);
    return ValidateRun(r);
  };
  ExpectInvalid(with([](booking::Run& r) { r.run_id = "G1:2026-12-25"; }));
  ExpectInvalid(with([](booking::Run& r) { r.stops.resize(1); }));
  ExpectInvalid(with([](booking::Run& r) { r.stops[2].index = 3; }));
  ExpectInvalid(
      with([](booking::Run& r) { r.stops[2].departs_at_unix = 200; }));
  ExpectInvalid(with([](booking::Run& r) { r.classes[1].class_id = "first"; }));
  ExpectInvalid(with([](booking::Run& r) { r.seats[1].seat_id = "1A"; }));
  ExpectInvalid(
      with([](booking::Run& r) { r.seats[1].car = 1; }));  // (1,1) twice
  ExpectInvalid(with([](booking::Run& r) { r.seats[1].number = 0; }));
  ExpectInvalid(with([](booking::Run& r) { r.seats[1].class_id = "third"; }));
  ExpectInvalid(with([](booking::Run& r) { r.seats.clear(); }));
}

TEST(BookingValidation, BadHolds) {
  auto with = [](auto change) {
    HoldCommand c = GoodHold();
    change(c);
    return ValidateHold(c);
  };
  ExpectInvalid(with([](HoldCommand& c) { c.gid = "not-a-uuid"; }));
  ExpectInvalid(with([](HoldCommand& c) { c.branch_id = "Booking"; }));
  ExpectInvalid(with([](HoldCommand& c) { c.user_id = ""; }));
  ExpectInvalid(with([](HoldCommand& c) { c.gate_key = "x:1"; }));
  ExpectInvalid(with([](HoldCommand& c) { c.deadline_ms = 0; }));
  ExpectInvalid(with([](HoldCommand& c) { c.items.clear(); }));
  ExpectInvalid(with(
      [](HoldCommand& c) { c.items.assign(kMaxHoldItems + 1, c.items[0]); }));
  // Reversed, empty and negative ranges never reach PostgreSQL.
  ExpectInvalid(with([](HoldCommand& c) { c.items[0].range = {4, 1}; }));
  ExpectInvalid(with([](HoldCommand& c) { c.items[0].range = {3, 3}; }));
  ExpectInvalid(with([](HoldCommand& c) { c.items[0].range = {-1, 2}; }));
  // A venue resource under a run gate, and a passenger without a document.
  ExpectInvalid(with(
      [](HoldCommand& c) { c.items[0].resource_id = "m:cafe:p1:2026-12-24"; }));
  ExpectInvalid(with([](HoldCommand& c) { c.items[0].doc_id = ""; }));
  // One seat twice over overlapping legs.
  ExpectInvalid(with([](HoldCommand& c) {
    c.items[1] = {c.items[0].resource_id, {1, 3}, "doc-1"};
  }));
  ExpectInvalid(with([](HoldCommand& c) { c.limits.per_doc_day = -1; }));
  // The same seat over disjoint legs is fine.
  EXPECT_TRUE(with([](HoldCommand& c) {
                c.items[1] = {c.items[0].resource_id, {2, 3}, "doc-1"};
              }).ok());
  // Net cafe: no document needed.
  EXPECT_TRUE(with([](HoldCommand& c) {
                c.gate_key = "v:cafe:2026-12-24";
                c.items = {{"m:cafe:p1:2026-12-24", {0, 4}, ""}};
              }).ok());
}

TEST(BookingValidation, TryContentIgnoresOrderDeadlineAndLimits) {
  HoldCommand a = GoodHold();
  HoldCommand b = a;
  std::swap(b.items[0], b.items[1]);
  b.deadline_ms = 99;
  b.limits.per_user_day = 3;
  EXPECT_EQ(TryContentOf(a), TryContentOf(b));
  b.items[0].range.to = 2 + 1;
  EXPECT_NE(TryContentOf(a), TryContentOf(b));
  HoldCommand c = a;
  c.items[0].doc_id = "doc-x";
  EXPECT_NE(TryContentOf(a), TryContentOf(c));
  EXPECT_EQ(SortedItems(a).items[0].resource_id, "s:G1:2026-12-24:1A");
}

TEST(BookingQuota, TakesEveryKeySortedWithLimits) {
  HoldCommand c = GoodHold();
  c.items.push_back({"s:G1:2026-12-24:1B", {0, 1}, "doc-1"});
  c.limits = {10, 0, 4};
  const std::vector<QuotaUse> takes = QuotaTakes(c);
  ASSERT_EQ(takes.size(), 4u);
  EXPECT_EQ(takes[0], (QuotaUse{"doc:doc-1:2026-12-24", 2, 10, "doc"}));
  EXPECT_EQ(takes[1], (QuotaUse{"doc:doc-2:2026-12-24", 1, 10, "doc"}));
  EXPECT_EQ(takes[2], (QuotaUse{"user-day:u1:2026-12-24", 3,
                                std::numeric_limits<int>::max(), "user-day"}));
  EXPECT_EQ(takes[3],
            (QuotaUse{"user-run:u1:G1:2026-12-24", 3, 4, "user-run"}));
}

TEST(BookingQuota, GivesBackWhatTheRowsTook) {
  HoldCommand c = GoodHold();
  std::vector<BookingRow> rows;
  for (const HoldItem& item : c.items) {
    rows.push_back(
        {item.resource_id, item.range, BookingState::kHeld, item.doc_id});
  }
  const std::vector<QuotaUse> takes = QuotaTakes(c);
  const std::vector<QuotaUse> gives =
      QuotaGives(c.user_id, c.gate_key, c.day, rows);
  ASSERT_EQ(gives.size(), takes.size());
  for (size_t i = 0; i < gives.size(); ++i) {
    EXPECT_EQ(gives[i].key, takes[i].key);
    EXPECT_EQ(gives[i].units, takes[i].units);
  }
  // Venue gates have no run key and rows without documents no doc key.
  const std::vector<QuotaUse> cafe =
      QuotaGives("u1", "v:cafe:2026-12-24", kDay,
                 {{"m:cafe:p1:2026-12-24", {0, 4}, BookingState::kHeld, ""}});
  ASSERT_EQ(cafe.size(), 1u);
  EXPECT_EQ(cafe[0].key, "user-day:u1:2026-12-24");
}

}  // namespace
}  // namespace turnstile::booking
