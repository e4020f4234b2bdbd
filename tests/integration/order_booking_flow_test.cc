// Order lines of kind slot (net-cafe machines) and leg (train seats) end to
// end over the real mesh (coordinator, inventory, seat, booking, payment,
// order; PostgreSQL and the Redis range gate): pay_now and
// reserve-then-pay orders end PAID with their booked items, the products'
// payment windows (5 minutes for a slot, 15 for a leg), a SLOT_TAKEN
// refusal that leaves nothing held while the adjacent window still sells,
// a 2-second window that expires and releases the slot in PostgreSQL and
// the gate (the same slot sells again), and an idempotent PlaceOrder retry.
// Needs the turnstile-booking process and the mesh wiring of issue 10
// (Mesh::Services() includes "booking", order runs with --booking).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "services/common/status.h"
#include "tests/support/mesh_test.h"
#include "turnstile/v1/booking.grpc.pb.h"

namespace turnstile::testing {
namespace {

using std::chrono::seconds;

constexpr char kVenue[] = "cafe";
constexpr char kRun[] = "G1:2026-12-24";

// 2026-12-24 hh:mm UTC.
int64_t At(int hh, int mm = 0) { return 1'798'070'400 + hh * 3600 + mm * 60; }

std::string Reason(const grpc::Status& s) { return ReasonOf(FromGrpc(s)); }

int64_t SecondsFromNow(int s) {
  return std::chrono::duration_cast<seconds>(
             (std::chrono::system_clock::now() + seconds(s)).time_since_epoch())
      .count();
}

class OrderBookingFlowTest : public MeshTest {
 protected:
  void SetUp() override {
    MeshTest::SetUp();
    booking_ = v1::Booking::NewStub(mesh().Channel("booking"));
    // A venue open 10:00-22:00 UTC in 30-minute slots; zone "std" with
    // packages 2h (1000) and 4h (1800) and machines m1..m4.
    v1::CreateVenueRequest venue;
    venue.set_venue_id(kVenue);
    venue.set_name("Cafe");
    venue.set_time_zone("UTC");
    venue.set_currency("EUR");
    venue.set_opening_minute(600);
    venue.set_closing_minute(1320);
    venue.set_slot_minutes(30);
    auto* zone = venue.add_zones();
    zone->set_zone_id("std");
    zone->set_name("Standard");
    zone->set_price_per_hour_minor_units(600);
    for (auto [id, hours, price] :
         {std::tuple{"2h", 2, 1000}, std::tuple{"4h", 4, 1800}}) {
      auto* p = zone->add_packages();
      p->set_package_id(id);
      p->set_hours(hours);
      p->set_price_minor_units(price);
    }
    for (const char* m : {"m1", "m2", "m3", "m4"}) zone->add_machine_ids(m);
    v1::Venue created;
    auto s = booking_->CreateVenue(Ctx().get(), venue, &created);
    ASSERT_TRUE(s.ok()) << s.error_message();
    // A run G1 with 5 stops, second class at 50 per leg, 10 seats in car 1.
    v1::CreateRunRequest run;
    run.set_train_number("G1");
    run.set_service_date("2026-12-24");
    run.set_currency("EUR");
    for (int i = 0; i < 5; ++i) {
      auto* stop = run.add_stops();
      stop->set_station("S" + std::to_string(i));
      stop->mutable_departs_at()->set_seconds(At(8 + i));
    }
    auto* cls = run.add_classes();
    cls->set_class_id("second");
    cls->set_price_per_leg_minor_units(50);
    auto* car = run.add_cars();
    car->set_car(1);
    car->set_class_id("second");
    car->set_seats(10);
    v1::Run run_out;
    s = booking_->CreateRun(Ctx().get(), run, &run_out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  static v1::PlaceOrderRequest Slot(const std::string& request_id,
                                    const std::string& machine, int hour,
                                    const std::string& package, bool pay_now) {
    v1::PlaceOrderRequest req;
    req.set_request_id(request_id);
    req.set_pay_now(pay_now);
    auto* slot = req.add_lines()->mutable_slot();
    slot->set_venue_id(kVenue);
    slot->set_zone_id("std");
    slot->add_machine_ids(machine);
    slot->mutable_starts_at()->set_seconds(At(hour));
    slot->set_package_id(package);
    return req;
  }

  static v1::PlaceOrderRequest Leg(const std::string& request_id, int from,
                                   int to, const std::vector<std::string>& docs,
                                   bool pay_now) {
    v1::PlaceOrderRequest req;
    req.set_request_id(request_id);
    req.set_pay_now(pay_now);
    auto* leg = req.add_lines()->mutable_leg();
    leg->set_run_id(kRun);
    leg->set_from_stop(from);
    leg->set_to_stop(to);
    leg->set_class_id("second");
    for (const auto& d : docs) leg->add_passengers()->set_doc_id(d);
    return req;
  }

  // "<state>x<count>" of the booking rows of transaction `gid`, e.g.
  // "SOLDx2"; "" when it has none.
  std::string Bookings(const std::string& gid) {
    return mesh().Query(
        "booking",
        "SELECT coalesce(string_agg(DISTINCT state, ',') || 'x' || count(*), "
        "'') FROM booking WHERE gid = '" +
            gid + "'");
  }

  std::unique_ptr<v1::Booking::Stub> booking_;
};

TEST_F(OrderBookingFlowTest, PayNowSlotAndLegOrdersArePaidWithTheirItems) {
  shop().Deposit("alice", 100000);
  v1::OrderInfo slot;
  auto s = shop().Place("alice", Slot("r-slot", "m1", 18, "4h", true), &slot);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(slot.state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(slot.total().minor_units(), 1800);
  ASSERT_EQ(slot.items_size(), 1);
  EXPECT_EQ(slot.items(0).kind(), "slot");
  EXPECT_EQ(slot.items(0).quantity(), 1);
  EXPECT_EQ(slot.items(0).unit_price().minor_units(), 1800);
  const auto& booked = slot.items(0).booking();
  EXPECT_EQ(booked.venue_id(), kVenue);
  EXPECT_EQ(booked.machine_id(), "m1");
  EXPECT_EQ(booked.window().venue_day(), "2026-12-24");
  EXPECT_EQ(booked.window().from_slot(), 16);  // (18:00 - 10:00) / 30 min
  EXPECT_EQ(booked.window().to_slot(), 24);
  EXPECT_EQ(booked.window().starts_at().seconds(), At(18));
  EXPECT_EQ(booked.window().ends_at().seconds(), At(22));

  v1::OrderInfo leg;
  s = shop().Place("alice", Leg("r-leg", 1, 4, {"ID-1", "ID-2"}, true), &leg);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(leg.state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(leg.total().minor_units(), 2 * 3 * 50);
  ASSERT_EQ(leg.items_size(), 2);
  for (const auto& item : leg.items()) {
    EXPECT_EQ(item.kind(), "leg");
    EXPECT_EQ(item.unit_price().minor_units(), 150);
    EXPECT_EQ(item.booking().run_id(), kRun);
    EXPECT_EQ(item.booking().from_stop(), 1);
    EXPECT_EQ(item.booking().to_stop(), 4);
    EXPECT_FALSE(item.booking().seat_id().empty());
  }
  EXPECT_NE(leg.items(0).booking().seat_id(), leg.items(1).booking().seat_id());

  for (const auto* o : {&slot, &leg}) {
    ASSERT_TRUE(
        shop().WaitTxn(o->order_id(), v1::TXN_STATE_CONFIRMED, seconds(10)));
    bool has_booking = false;
    for (const auto& b : shop().GetTxn(o->order_id()).branches()) {
      EXPECT_EQ(b.state(), v1::BRANCH_STATE_CONFIRMED) << b.branch_id();
      has_booking = has_booking || b.branch_id() == "booking";
    }
    EXPECT_TRUE(has_booking);
    // GetOrder gives the same items back from the order database.
    EXPECT_EQ(
        shop().GetOrder(o->order_id()).items(0).booking().SerializeAsString(),
        o->items(0).booking().SerializeAsString());
  }
  EXPECT_EQ(Bookings(slot.order_id()), "SOLDx1");
  EXPECT_EQ(Bookings(leg.order_id()), "SOLDx2");
  EXPECT_EQ(shop().GetWallet("alice").balance().minor_units(),
            100000 - 1800 - 300);
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(OrderBookingFlowTest, ReserveThenPayUsesTheProductWindows) {
  v1::OrderInfo slot, leg;
  ASSERT_TRUE(
      shop().Place("bob", Slot("r-slot", "m2", 10, "2h", false), &slot).ok());
  ASSERT_TRUE(
      shop().Place("bob", Leg("r-leg", 0, 2, {"ID-9"}, false), &leg).ok());
  EXPECT_EQ(slot.state(), v1::ORDER_STATE_PENDING_PAYMENT);
  EXPECT_EQ(leg.state(), v1::ORDER_STATE_PENDING_PAYMENT);
  // 5 minutes for the net cafe, 15 for the train.
  EXPECT_NEAR(slot.expires_at().seconds(), SecondsFromNow(300), 5);
  EXPECT_NEAR(leg.expires_at().seconds(), SecondsFromNow(900), 5);
  EXPECT_EQ(Bookings(slot.order_id()), "HELDx1");
  EXPECT_EQ(Bookings(leg.order_id()), "HELDx1");

  shop().Deposit("bob", 5000);
  for (const auto* o : {&slot, &leg}) {
    v1::OrderInfo paid;
    auto s = shop().Pay(o->order_id(), "bob", &paid);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(paid.state(), v1::ORDER_STATE_PAID);
    EXPECT_EQ(paid.items(0).booking().SerializeAsString(),
              o->items(0).booking().SerializeAsString());
  }
  EXPECT_EQ(Bookings(slot.order_id()), "SOLDx1");
  EXPECT_EQ(Bookings(leg.order_id()), "SOLDx1");
  EXPECT_EQ(shop().GetWallet("bob").balance().minor_units(), 5000 - 1000 - 100);
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(OrderBookingFlowTest, SlotTakenHoldsNothingAndAdjacentWindowsSell) {
  shop().Deposit("alice", 10000);
  shop().Deposit("carol", 10000);
  v1::OrderInfo first;
  ASSERT_TRUE(
      shop().Place("alice", Slot("r1", "m2", 14, "4h", true), &first).ok());
  EXPECT_EQ(first.state(), v1::ORDER_STATE_PAID);

  // [16:00, 18:00) overlaps [14:00, 18:00).
  v1::OrderInfo refused;
  auto s = shop().Place("carol", Slot("r1", "m2", 16, "2h", true), &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(s), "SLOT_TAKEN");
  EXPECT_EQ(mesh().Query("order",
                         "SELECT count(*) FROM orders WHERE user_id = 'carol'"),
            "0");
  EXPECT_EQ(
      mesh().Query("booking",
                   "SELECT count(*) FROM booking WHERE user_id = 'carol'"),
      "0");
  EXPECT_EQ(shop().GetWallet("carol").balance().minor_units(), 10000);
  EXPECT_EQ(shop().GetWallet("carol").frozen().minor_units(), 0);

  // [18:00, 22:00) touches [14:00, 18:00) without overlapping: it sells.
  v1::OrderInfo adjacent;
  s = shop().Place("carol", Slot("r2", "m2", 18, "4h", true), &adjacent);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(adjacent.state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(Bookings(adjacent.order_id()), "SOLDx1");
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(OrderBookingFlowTest, ExpiredWindowReleasesTheSlotEverywhere) {
  auto req = Slot("r1", "m3", 12, "2h", false);
  req.set_payment_window_seconds(2);
  v1::OrderInfo order;
  ASSERT_TRUE(shop().Place("dave", req, &order).ok());
  EXPECT_EQ(Bookings(order.order_id()), "HELDx1");
  ASSERT_TRUE(
      shop().WaitOrder(order.order_id(), v1::ORDER_STATE_EXPIRED, seconds(15)));
  ASSERT_TRUE(
      shop().WaitTxn(order.order_id(), v1::TXN_STATE_CANCELLED, seconds(15)));
  EXPECT_EQ(Bookings(order.order_id()), "");  // PostgreSQL: released
  v1::OrderInfo info;
  auto s = shop().Pay(order.order_id(), "dave", &info);
  EXPECT_EQ(Reason(s), "ORDER_EXPIRED");

  // The gate let go too: the same machine and window sell again.
  shop().Deposit("erin", 5000);
  v1::OrderInfo again;
  s = shop().Place("erin", Slot("r1", "m3", 12, "2h", true), &again);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(again.state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(shop().Violations(), "");
}

TEST_F(OrderBookingFlowTest, RetriedPlaceOrderIsTheSameOrder) {
  shop().Deposit("frank", 5000);
  const auto req = Leg("r1", 2, 4, {"ID-5", "ID-6", "ID-7"}, true);
  v1::OrderInfo first, second;
  ASSERT_TRUE(shop().Place("frank", req, &first).ok());
  ASSERT_TRUE(shop().Place("frank", req, &second).ok());
  EXPECT_EQ(second.order_id(), first.order_id());
  EXPECT_EQ(second.state(), v1::ORDER_STATE_PAID);
  ASSERT_EQ(second.items_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(second.items(i).booking().seat_id(),
              first.items(i).booking().seat_id());
  }
  EXPECT_EQ(Bookings(first.order_id()), "SOLDx3");
  EXPECT_EQ(mesh().Query("booking", "SELECT count(*) FROM booking"), "3");
  EXPECT_EQ(shop().GetWallet("frank").balance().minor_units(), 5000 - 300);
  EXPECT_EQ(shop().Violations(), "");
}

}  // namespace
}  // namespace turnstile::testing
