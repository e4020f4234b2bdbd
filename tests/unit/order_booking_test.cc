// The order service's booking lines (slot and leg), pure parts: their edge
// validation (services/order/validation.h, booking_lines.h), the branch
// list (branch_tries.h), the payment window choice (payment_window.h),
// pricing and the items merge (pricing.h), the stored booking line and
// items (booked_items.h) and the order branch's Try content (model.h).
#include <gtest/gtest.h>

#include "services/common/status.h"
#include "services/common/time_util.h"
#include "services/order/booked_items.h"
#include "services/order/branch_tries.h"
#include "services/order/payment_window.h"
#include "services/order/pricing.h"
#include "services/order/validation.h"

namespace turnstile::order {
namespace {

v1::PlaceOrderRequest WithSlot() {
  v1::PlaceOrderRequest req;
  req.set_request_id("r1");
  auto* stock = req.add_lines();
  stock->set_sku_id("sku-a");
  stock->set_quantity(1);
  auto* slot = req.add_lines()->mutable_slot();
  slot->set_venue_id("cafe-1");
  slot->set_zone_id("premium");
  slot->add_machine_ids("pc-1");
  slot->add_machine_ids("pc-2");
  slot->mutable_starts_at()->set_seconds(1'798'135'200);
  slot->set_package_id("4h");
  return req;
}

v1::PlaceOrderRequest WithLeg() {
  v1::PlaceOrderRequest req;
  req.set_request_id("r1");
  auto* leg = req.add_lines()->mutable_leg();
  leg->set_run_id("G123:2026-12-24");
  leg->set_from_stop(2);
  leg->set_to_stop(5);
  leg->set_class_id("second");
  leg->add_passengers()->set_doc_id("ID-1");
  leg->add_passengers()->set_doc_id("ID-2");
  return req;
}

// INVALID_ARGUMENT whose message names `field`.
void ExpectInvalid(const v1::PlaceOrderRequest& req, const std::string& field) {
  auto parsed = ParsePlaceOrder(req, "user-1");
  ASSERT_FALSE(parsed.ok()) << field;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument)
      << field;
  EXPECT_EQ(ReasonOf(parsed.status()), "INVALID_ARGUMENT") << field;
  EXPECT_NE(parsed.status().message().find(field), absl::string_view::npos)
      << "expected " << field << " in: " << parsed.status().message();
}

TEST(BookingLineValidation, AcceptsASlotLineAndKeepsTheHoldAsAsked) {
  auto in = ParsePlaceOrder(WithSlot(), "user-1");
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_EQ(in->lines.size(), 2u);
  EXPECT_EQ(in->lines[0].kind(), LineKind::kSku);
  const LineInput& line = in->lines[1];
  EXPECT_EQ(line.kind(), LineKind::kSlot);
  EXPECT_TRUE(line.is_booking());
  EXPECT_FALSE(line.is_seat());
  EXPECT_EQ(line.quantity, 2);
  EXPECT_EQ(line.slot->SerializeAsString(),
            WithSlot().lines(1).slot().SerializeAsString());
}

TEST(BookingLineValidation, AcceptsALegLineAndSlotLinesOfEveryForm) {
  auto in = ParsePlaceOrder(WithLeg(), "user-1");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->lines[0].kind(), LineKind::kLeg);
  EXPECT_EQ(in->lines[0].quantity, 2);

  auto chosen = WithLeg();
  chosen.mutable_lines(0)->mutable_leg()->add_seat_ids("3-1");
  chosen.mutable_lines(0)->mutable_leg()->add_seat_ids("3-2");
  chosen.mutable_lines(0)->set_quantity(2);
  EXPECT_TRUE(ParsePlaceOrder(chosen, "user-1").ok());

  // Any machines of the zone, by duration.
  auto any = WithSlot();
  auto* slot = any.mutable_lines(1)->mutable_slot();
  slot->clear_machine_ids();
  slot->set_machines(3);
  slot->clear_package_id();
  slot->set_duration_minutes(90);
  auto parsed = ParsePlaceOrder(any, "user-1");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->lines[1].quantity, 3);
  slot->set_machines(0);  // 0 = one machine
  EXPECT_EQ(ParsePlaceOrder(any, "user-1")->lines[1].quantity, 1);

  // The limits: 8 machines, 5 passengers, stops up to 63.
  auto big = WithSlot();
  big.mutable_lines(1)->mutable_slot()->clear_machine_ids();
  big.mutable_lines(1)->mutable_slot()->set_machines(8);
  EXPECT_TRUE(ParsePlaceOrder(big, "user-1").ok());
  auto many = WithLeg();
  auto* leg = many.mutable_lines(0)->mutable_leg();
  for (const char* doc : {"ID-3", "ID-4", "ID-5"}) {
    leg->add_passengers()->set_doc_id(doc);
  }
  leg->set_from_stop(62);
  leg->set_to_stop(63);
  EXPECT_TRUE(ParsePlaceOrder(many, "user-1").ok());
}

TEST(BookingLineValidation, EachLineSetsExactlyOneKind) {
  auto none = WithSlot();
  none.mutable_lines(1)->clear_slot();
  ExpectInvalid(none,
                "lines[1] must set exactly one of sku_id, event_id, "
                "slot or leg");
  auto two = WithSlot();
  two.mutable_lines(1)->set_sku_id("sku-b");
  ExpectInvalid(two, "lines[1] must set exactly one");
  auto slot_and_leg = WithLeg();
  *slot_and_leg.mutable_lines(0)->mutable_slot() = WithSlot().lines(1).slot();
  ExpectInvalid(slot_and_leg, "lines[0] must set exactly one");
  auto event_and_leg = WithLeg();
  event_and_leg.mutable_lines(0)->set_event_id("ev");
  ExpectInvalid(event_and_leg, "lines[0] must set exactly one");
}

TEST(BookingLineValidation, AtMostOneBookingLinePerOrder) {
  auto two = WithSlot();
  *two.add_lines()->mutable_leg() = WithLeg().lines(0).leg();
  ExpectInvalid(two, "lines[2]: at most one booking line");
  auto two_slots = WithSlot();
  *two_slots.add_lines() = WithSlot().lines(1);
  ExpectInvalid(two_slots, "lines[2]: at most one booking line");
}

TEST(BookingLineValidation, BadSlotLines) {
  struct Case {
    std::function<void(v1::OrderLine*)> change;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto* l) { l->mutable_slot()->clear_venue_id(); },
       "lines[1].slot.venue_id is empty"},
      {[](auto* l) { l->mutable_slot()->set_venue_id("a:b"); },
       "lines[1].slot.venue_id may not contain ':'"},
      {[](auto* l) { l->mutable_slot()->set_zone_id("z z"); },
       "lines[1].slot.zone_id"},
      {[](auto* l) { l->mutable_slot()->set_machine_ids(1, "pc-1"); },
       "lines[1].slot.machine_ids[1] appears twice"},
      {[](auto* l) { l->mutable_slot()->set_machine_ids(0, ""); },
       "lines[1].slot.machine_ids[0] is empty"},
      {[](auto* l) {
         for (int i = 0; i < 7; ++i) {
           l->mutable_slot()->add_machine_ids("x" + std::to_string(i));
         }
       },
       "lines[1].slot.machine_ids count"},
      {[](auto* l) { l->mutable_slot()->set_machines(3); },
       "lines[1].slot.machines must be 0 or the number of machine_ids"},
      {[](auto* l) {
         l->mutable_slot()->clear_machine_ids();
         l->mutable_slot()->set_machines(9);
       },
       "lines[1].slot.machines"},
      {[](auto* l) { l->mutable_slot()->set_machines(-1); },
       "lines[1].slot.machines"},
      {[](auto* l) { l->mutable_slot()->clear_starts_at(); },
       "lines[1].slot.starts_at is required"},
      {[](auto* l) { l->mutable_slot()->mutable_starts_at()->set_nanos(-1); },
       "lines[1].slot.starts_at"},
      {[](auto* l) { l->mutable_slot()->set_duration_minutes(60); },
       "set exactly one of them"},
      {[](auto* l) { l->mutable_slot()->clear_package_id(); },
       "set exactly one of them"},
      {[](auto* l) {
         l->mutable_slot()->clear_package_id();
         l->mutable_slot()->set_duration_minutes(-30);
       },
       "lines[1].slot.duration_minutes"},
      {[](auto* l) {
         l->mutable_slot()->clear_package_id();
         l->mutable_slot()->set_duration_minutes(1441);
       },
       "lines[1].slot.duration_minutes"},
      {[](auto* l) { l->set_quantity(3); }, "lines[1].quantity must be 0"},
      {[](auto* l) { l->add_seat_ids("A-1"); },
       "lines[1].seat_ids is only for seat lines"},
  };
  for (const Case& c : cases) {
    auto req = WithSlot();
    c.change(req.mutable_lines(1));
    ExpectInvalid(req, c.field);
  }
  auto ok = WithSlot();
  ok.mutable_lines(1)->set_quantity(2);
  EXPECT_TRUE(ParsePlaceOrder(ok, "user-1").ok());
}

TEST(BookingLineValidation, BadLegLines) {
  struct Case {
    std::function<void(v1::LegHold*)> change;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto* l) { l->set_run_id("G123"); }, "lines[0].leg.run_id must be"},
      {[](auto* l) { l->set_run_id("G-1:2026-12-24"); }, "lines[0].leg.run_id"},
      {[](auto* l) { l->set_run_id("G1:2026-1224"); }, "lines[0].leg.run_id"},
      {[](auto* l) { l->set_run_id("G1:2026-12-2x"); }, "lines[0].leg.run_id"},
      {[](auto* l) { l->set_run_id(std::string(17, 'G') + ":2026-12-24"); },
       "lines[0].leg.run_id"},
      {[](auto* l) { l->set_from_stop(-1); }, "lines[0].leg.from_stop"},
      {[](auto* l) { l->set_to_stop(2); },
       "lines[0].leg.to_stop must be after from_stop"},
      {[](auto* l) { l->set_to_stop(1); },
       "lines[0].leg.to_stop must be after from_stop"},
      {[](auto* l) { l->set_to_stop(64); }, "lines[0].leg.to_stop"},
      {[](auto* l) { l->clear_class_id(); }, "lines[0].leg.class_id is empty"},
      {[](auto* l) { l->clear_passengers(); }, "lines[0].leg.passengers count"},
      {[](auto* l) {
         for (int i = 0; i < 4; ++i) {
           l->add_passengers()->set_doc_id("X" + std::to_string(i));
         }
       },
       "lines[0].leg.passengers count"},
      {[](auto* l) { l->mutable_passengers(1)->set_doc_id("ID-1"); },
       "lines[0].leg.passengers[1].doc_id appears twice"},
      {[](auto* l) { l->mutable_passengers(0)->clear_doc_id(); },
       "lines[0].leg.passengers[0].doc_id is empty"},
      {[](auto* l) { l->add_seat_ids("3-1"); },
       "lines[0].leg.seat_ids must be empty or one seat per passenger"},
      {[](auto* l) {
         l->add_seat_ids("3-1");
         l->add_seat_ids("3-1");
       },
       "lines[0].leg.seat_ids[1] appears twice"},
  };
  for (const Case& c : cases) {
    auto req = WithLeg();
    c.change(req.mutable_lines(0)->mutable_leg());
    ExpectInvalid(req, c.field);
  }
}

PlaceOrderInput Parsed(const v1::PlaceOrderRequest& req) {
  auto in = ParsePlaceOrder(req, "user-1");
  EXPECT_TRUE(in.ok()) << in.status();
  return *in;
}

TEST(OrderBranches, ABookingLineAddsTheBookingBranch) {
  EXPECT_EQ(OrderBranches(Parsed(WithSlot())),
            (std::vector<std::string>{"order", "inventory", "booking"}));
  auto leg = Parsed(WithLeg());
  leg.pay_now = true;
  EXPECT_EQ(OrderBranches(leg),
            (std::vector<std::string>{"order", "booking", "payment"}));
  auto all = WithSlot();
  auto* seat = all.add_lines();
  seat->set_event_id("ev");
  seat->add_seat_ids("A-1");
  EXPECT_EQ(
      OrderBranches(Parsed(all)),
      (std::vector<std::string>{"order", "inventory", "seat", "booking"}));
}

TEST(CheckBookingServed, RefusesBookingLinesOnlyWhenNotServed) {
  EXPECT_TRUE(CheckBookingServed(Parsed(WithSlot()), true).ok());
  const auto refused = CheckBookingServed(Parsed(WithSlot()), false);
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(refused.message().find("lines[1]"), absl::string_view::npos);
  auto stock = WithSlot();
  stock.mutable_lines()->RemoveLast();
  EXPECT_TRUE(CheckBookingServed(Parsed(stock), false).ok());
}

TEST(PaymentWindow, ShortestProductWindowUnlessTheRequestSetsOne) {
  const ProductWindows w{900, 300, 900};
  auto stock = WithSlot();
  stock.mutable_lines()->RemoveLast();
  EXPECT_EQ(PaymentWindowSeconds(Parsed(stock), w), 900);
  EXPECT_EQ(PaymentWindowSeconds(Parsed(WithSlot()), w), 300);
  EXPECT_EQ(PaymentWindowSeconds(Parsed(WithLeg()), w), 900);
  const ProductWindows other{1200, 200, 600};
  EXPECT_EQ(PaymentWindowSeconds(Parsed(WithLeg()), other), 600);
  auto leg_and_stock = WithLeg();
  *leg_and_stock.add_lines() = WithSlot().lines(0);
  EXPECT_EQ(PaymentWindowSeconds(Parsed(leg_and_stock), other), 600);
  EXPECT_EQ(PaymentWindowSeconds(Parsed(stock), other), 1200);
  auto asked = WithSlot();
  asked.set_payment_window_seconds(2);
  EXPECT_EQ(PaymentWindowSeconds(Parsed(asked), w), 2);
  asked.set_payment_window_seconds(3600);
  EXPECT_EQ(PaymentWindowSeconds(Parsed(asked), w), 3600);
}

// The booking service's answer for WithSlot's line.
v1::HoldBookingsResponse SlotAnswer(const std::string& currency = "EUR") {
  v1::HoldBookingsResponse resp;
  for (const char* m : {"pc-2", "pc-1"}) {
    auto* item = resp.add_items();
    item->set_kind("slot");
    item->set_venue_id("cafe-1");
    item->set_machine_id(m);
    auto* window = item->mutable_window();
    window->set_venue_day("2026-12-24");
    window->set_from_slot(2);
    window->set_to_slot(10);
    window->mutable_starts_at()->set_seconds(1'798'135'200);
    window->mutable_ends_at()->set_seconds(1'798'135'200 + 4 * 3600);
    item->mutable_price()->set_currency(currency);
    item->mutable_price()->set_minor_units(m[3] == '1' ? 3000 : 3500);
  }
  resp.mutable_total()->set_currency(currency);
  resp.mutable_total()->set_minor_units(6500);
  resp.set_payment_window_seconds(300);
  return resp;
}

v1::ReserveStockResponse StockAnswer() {
  v1::ReserveStockResponse stock;
  auto* item = stock.add_items();
  item->set_sku_id("sku-a");
  item->set_quantity(1);
  item->mutable_unit_price()->set_currency("EUR");
  item->mutable_unit_price()->set_minor_units(250);
  return stock;
}

TEST(PriceOrder, OneItemPerBookedItemAddedToTheTotal) {
  auto priced = PriceOrder(Parsed(WithSlot()), StockAnswer(), {}, SlotAnswer());
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->currency, "EUR");
  EXPECT_EQ(priced->total_minor, 250 + 6500);
  ASSERT_EQ(priced->items.size(), 3u);
  EXPECT_EQ(priced->items[0], (OrderItem{"sku", "sku-a", "", "", 1, 250}));
  OrderItem first{"slot", "", "", "", 1, 3500};
  first.booking = {"cafe-1",
                   "pc-2",
                   "2026-12-24",
                   int64_t{1'798'135'200} * 1'000'000,
                   int64_t{1'798'149'600} * 1'000'000,
                   "",
                   "",
                   "",
                   2,
                   10};
  EXPECT_EQ(priced->items[1], first);  // in the answer's order
  EXPECT_EQ(priced->items[2].booking.machine_id, "pc-1");
  EXPECT_EQ(priced->items[2].unit_price_minor, 3000);
}

TEST(PriceOrder, ALegLineIsPricedPerPassenger) {
  v1::HoldBookingsResponse resp;
  for (const char* doc : {"ID-1", "ID-2"}) {
    auto* item = resp.add_items();
    item->set_kind("leg");
    item->set_run_id("G123:2026-12-24");
    item->set_seat_id(std::string("5-") + doc[3]);
    item->set_from_stop(2);
    item->set_to_stop(5);
    item->set_doc_id(doc);
    item->mutable_price()->set_currency("CNY");
    item->mutable_price()->set_minor_units(12000);
  }
  auto priced = PriceOrder(Parsed(WithLeg()), {}, {}, resp);
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->currency, "CNY");
  EXPECT_EQ(priced->total_minor, 24000);
  ASSERT_EQ(priced->items.size(), 2u);
  OrderItem want{"leg", "", "", "", 1, 12000};
  want.booking.run_id = "G123:2026-12-24";
  want.booking.seat_id = "5-1";
  want.booking.doc_id = "ID-1";
  want.booking.from_unit = 2;
  want.booking.to_unit = 5;
  EXPECT_EQ(priced->items[0], want);

  // Another passenger than asked, a resource twice, or a missing item.
  auto other = resp;
  other.mutable_items(1)->set_doc_id("ID-9");
  EXPECT_EQ(ReasonOf(PriceOrder(Parsed(WithLeg()), {}, {}, other).status()),
            "BAD_PEER_RESPONSE");
  auto twice = resp;
  twice.mutable_items(1)->set_seat_id("5-1");
  EXPECT_EQ(ReasonOf(PriceOrder(Parsed(WithLeg()), {}, {}, twice).status()),
            "BAD_PEER_RESPONSE");
  auto missing = resp;
  missing.mutable_items()->RemoveLast();
  EXPECT_EQ(ReasonOf(PriceOrder(Parsed(WithLeg()), {}, {}, missing).status()),
            "BAD_PEER_RESPONSE");
  auto other_stops = resp;
  other_stops.mutable_items(0)->set_to_stop(6);
  EXPECT_EQ(
      ReasonOf(PriceOrder(Parsed(WithLeg()), {}, {}, other_stops).status()),
      "BAD_PEER_RESPONSE");
}

TEST(PriceOrder, BookingAnswersThatDoNotMatchAreRefused) {
  const PlaceOrderInput in = Parsed(WithSlot());
  auto expect = [&](const v1::HoldBookingsResponse& resp, const char* reason) {
    EXPECT_EQ(ReasonOf(PriceOrder(in, StockAnswer(), {}, resp).status()),
              reason)
        << resp.DebugString();
  };
  // Stock in EUR, the slot in CNY: one order takes one currency.
  expect(SlotAnswer("CNY"), "MIXED_CURRENCY");
  auto kind = SlotAnswer();
  kind.mutable_items(0)->set_kind("leg");
  expect(kind, "BAD_PEER_RESPONSE");
  auto venue = SlotAnswer();
  venue.mutable_items(0)->set_venue_id("cafe-2");
  expect(venue, "BAD_PEER_RESPONSE");
  auto machine = SlotAnswer();
  machine.mutable_items(0)->set_machine_id("pc-3");
  expect(machine, "BAD_PEER_RESPONSE");
  auto total = SlotAnswer();
  total.mutable_total()->set_minor_units(6501);
  expect(total, "BAD_PEER_RESPONSE");
  auto negative = SlotAnswer();
  negative.mutable_items(0)->mutable_price()->set_minor_units(-1);
  negative.mutable_total()->set_minor_units(2999);
  expect(negative, "BAD_PEER_RESPONSE");
  expect(v1::HoldBookingsResponse(), "BAD_PEER_RESPONSE");
  auto huge = SlotAnswer();
  huge.mutable_items(0)->mutable_price()->set_minor_units(kMaxTotal);
  huge.clear_total();
  expect(huge, "TOTAL_TOO_LARGE");
}

TEST(BookedItems, BookedItemRoundTripsThroughTheStoredItem) {
  const v1::HoldBookingsResponse answer = SlotAnswer();
  const v1::BookedItem& booked = answer.items(0);
  OrderItem item{"slot", "", "", "", 1, booked.price().minor_units()};
  item.booking = FromBookedItem(booked);
  v1::BookedItem back;
  ToBookedItem(item, "EUR", &back);
  EXPECT_EQ(back.SerializeAsString(), booked.SerializeAsString())
      << back.DebugString() << booked.DebugString();

  v1::BookedItem leg;
  leg.set_kind("leg");
  leg.set_run_id("G1:2026-12-24");
  leg.set_seat_id("2-14");
  leg.set_from_stop(0);
  leg.set_to_stop(9);
  leg.set_doc_id("ID-7");
  leg.mutable_price()->set_currency("CNY");
  leg.mutable_price()->set_minor_units(9900);
  OrderItem leg_item{"leg", "", "", "", 1, 9900};
  leg_item.booking = FromBookedItem(leg);
  v1::BookedItem leg_back;
  ToBookedItem(leg_item, "CNY", &leg_back);
  EXPECT_EQ(leg_back.SerializeAsString(), leg.SerializeAsString());
}

TEST(BookedItems, TheBookingLineRoundTripsAndRedrivesInPlace) {
  auto req = WithLeg();
  *req.add_lines() = WithSlot().lines(0);  // a stock line after the leg
  const PlaceOrderInput in = Parsed(req);
  const std::string json = BookingLineJson(in.lines[0]);
  EXPECT_EQ(BookingLineJson(in.lines[1]), "");
  EXPECT_EQ(json, BookingLineJson(in.lines[0]));  // deterministic
  auto line = BookingLineFromJson(json);
  ASSERT_TRUE(line.ok()) << line.status();
  EXPECT_EQ(line->kind(), LineKind::kLeg);
  EXPECT_EQ(line->quantity, 2);
  EXPECT_EQ(line->leg->SerializeAsString(),
            in.lines[0].leg->SerializeAsString());
  // PostgreSQL's jsonb text (other spacing and key order) reads back too.
  auto spaced = BookingLineFromJson(
      "{\"leg\": {\"to_stop\": 5, \"run_id\": \"G123:2026-12-24\", "
      "\"class_id\": \"second\", \"from_stop\": 2, \"passengers\": "
      "[{\"doc_id\": \"ID-1\"}, {\"doc_id\": \"ID-2\"}]}}");
  ASSERT_TRUE(spaced.ok()) << spaced.status();
  EXPECT_EQ(spaced->leg->SerializeAsString(),
            in.lines[0].leg->SerializeAsString());
  EXPECT_EQ(ReasonOf(BookingLineFromJson("{}").status()), "BAD_STORED_LINE");
  EXPECT_EQ(ReasonOf(BookingLineFromJson("not json").status()),
            "BAD_STORED_LINE");

  // A stored order comes back as the same lines in the same places.
  OrderRecord order;
  order.user_id = "user-1";
  order.request_id = "r1";
  order.pay_now = true;
  order.booking_line = json;
  order.items = {{"leg", "", "", "", 1, 10},
                 {"leg", "", "", "", 1, 10},
                 {"sku", "sku-a", "", "", 1, 250}};
  auto back = InputFromRecord(order);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->lines.size(), 2u);
  EXPECT_EQ(back->lines[0].kind(), LineKind::kLeg);
  EXPECT_EQ(back->lines[0].leg->SerializeAsString(),
            in.lines[0].leg->SerializeAsString());
  EXPECT_EQ(back->lines[1].sku_id, "sku-a");
  order.booking_line = "";
  EXPECT_EQ(ReasonOf(InputFromRecord(order).status()), "BAD_STORED_LINE");
}

TEST(TryContentOf, BookingItemsAndLineArePartOfTheContent) {
  OrderRecord plain;
  plain.user_id = "u";
  plain.items = {{"sku", "a", "", "", 1, 5}};
  // Orders without booking lines keep their content (only booking items
  // add fields).
  EXPECT_EQ(TryContentOf(plain).find("venue"), std::string::npos);
  OrderRecord booked = plain;
  OrderItem slot{"slot", "", "", "", 1, 5};
  slot.booking.machine_id = "pc-1";
  booked.items.push_back(slot);
  booked.booking_line = "{\"slot\":{}}";
  OrderRecord other_machine = booked;
  other_machine.items[1].booking.machine_id = "pc-2";
  OrderRecord other_line = booked;
  other_line.booking_line = "{\"slot\":{\"machines\":2}}";
  EXPECT_NE(TryContentOf(booked), TryContentOf(plain));
  EXPECT_NE(TryContentOf(booked), TryContentOf(other_machine));
  EXPECT_NE(TryContentOf(booked), TryContentOf(other_line));
  EXPECT_EQ(TryContentOf(booked), TryContentOf(OrderRecord(booked)));
}

}  // namespace
}  // namespace turnstile::order
