// Unit tests of the seat input rules (no server, no database): every limit
// of seat.proto on both sides of its edge, and seat naming.
#include <gtest/gtest.h>

#include <string>

#include "services/seat/validation.h"

namespace turnstile::seat {
namespace {

constexpr char kGid[] = "01890a5d-ac96-774b-bcce-b302099a8057";
constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

NewEvent GoodEvent() {
  NewEvent e;
  e.event_id = "concert-1";
  e.name = "Concert";
  e.currency = "EUR";
  e.has_starts_at = true;
  e.starts_at_seconds = 1'900'000'000;
  e.sections = {{"A", 10, 20, 5000}, {"B2", 5, 10, 2500}};
  return e;
}

HoldCommand GoodHold() {
  return {kGid, "seat", "user-1", "concert-1", {"A-1-2", "A-1-1"}};
}

TEST(SeatValidation, SeatIdAndCount) {
  EXPECT_EQ(SeatId("A", 1, 2), "A-1-2");
  EXPECT_EQ(SeatId("Balcony", 500, 499), "Balcony-500-499");
  EXPECT_EQ(SeatCount(GoodEvent().sections), 10 * 20 + 5 * 10);
  EXPECT_EQ(SeatCount({}), 0);
}

TEST(SeatValidation, AcceptsGoodEvent) {
  EXPECT_TRUE(ValidateNewEvent(GoodEvent()).ok());
  NewEvent edges = GoodEvent();
  edges.sections = {{std::string(16, 'Z'), 200, 500, kMaxPriceMinor}};
  EXPECT_TRUE(ValidateNewEvent(edges).ok());  // exactly 100,000 seats
  edges.sections.clear();
  for (size_t i = 0; i < kMaxSections; ++i) {
    edges.sections.push_back({"S" + std::to_string(i), 1, 1, 0});
  }
  edges.starts_at_seconds = kMaxStartsAtSeconds;
  edges.starts_at_nanos = 999'999'999;
  EXPECT_TRUE(ValidateNewEvent(edges).ok());
}

TEST(SeatValidation, RejectsBadEvent) {
  auto bad = [](auto mutate) {
    NewEvent event = GoodEvent();
    mutate(event);
    return ValidateNewEvent(event).code();
  };
  using E = NewEvent;
  EXPECT_EQ(bad([](E& e) { e.event_id = ""; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.event_id = std::string(65, 'e'); }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.event_id = "a/b"; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.name = ""; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.name = std::string(201, 'n'); }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.currency = "Eur"; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.has_starts_at = false; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.starts_at_seconds = kMaxStartsAtSeconds + 1; }),
            kInvalid);
  EXPECT_EQ(bad([](E& e) { e.starts_at_seconds = kMinStartsAtSeconds - 1; }),
            kInvalid);
  EXPECT_EQ(bad([](E& e) { e.starts_at_nanos = -1; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.starts_at_nanos = 1'000'000'000; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections.clear(); }), kInvalid);
  EXPECT_EQ(bad([](E& e) {
              e.sections.clear();
              for (size_t i = 0; i <= kMaxSections; ++i) {
                e.sections.push_back({"S" + std::to_string(i), 1, 1, 0});
              }
            }),
            kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections[0].name = ""; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections[0].name = std::string(17, 'A'); }),
            kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections[0].name = "A-1"; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections[0].name = "A_1"; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections[1].name = "A"; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections[0].rows = 0; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections[0].rows = -1; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections[0].rows = kMaxRows + 1; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections[0].seats_per_row = 0; }), kInvalid);
  EXPECT_EQ(
      bad([](E& e) { e.sections[0].seats_per_row = kMaxSeatsPerRow + 1; }),
      kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections[0].price_minor = -1; }), kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections[0].price_minor = kMaxPriceMinor + 1; }),
            kInvalid);
  // Each section within its limits, too many seats in all.
  EXPECT_EQ(bad([](E& e) {
              e.sections = {{"A", 200, 500, 1}, {"B", 1, 1, 1}};
            }),
            kInvalid);
  EXPECT_EQ(bad([](E& e) { e.sections = {{"A", 500, 500, 1}}; }), kInvalid);
}

TEST(SeatValidation, AcceptsGoodHold) {
  EXPECT_TRUE(ValidateHold(GoodHold()).ok());
  HoldCommand many = GoodHold();
  many.seat_ids.clear();
  for (size_t i = 1; i <= kMaxSeatsPerHold; ++i) {
    many.seat_ids.push_back(SeatId("A", 1, i));
  }
  EXPECT_TRUE(ValidateHold(many).ok());
}

TEST(SeatValidation, RejectsBadHold) {
  auto bad = [](auto mutate) {
    HoldCommand command = GoodHold();
    mutate(command);
    return ValidateHold(command).code();
  };
  using H = HoldCommand;
  EXPECT_EQ(bad([](H& h) { h.gid = ""; }), kInvalid);
  EXPECT_EQ(bad([](H& h) { h.gid = "01890a5d-ac96-774b-bcce-b302099a805"; }),
            kInvalid);
  EXPECT_EQ(bad([](H& h) { h.branch_id = ""; }), kInvalid);
  EXPECT_EQ(bad([](H& h) { h.branch_id = "seat!"; }), kInvalid);
  EXPECT_EQ(bad([](H& h) { h.user_id = ""; }), kInvalid);
  EXPECT_EQ(bad([](H& h) { h.user_id = std::string(65, 'u'); }), kInvalid);
  EXPECT_EQ(bad([](H& h) { h.event_id = ""; }), kInvalid);
  EXPECT_EQ(bad([](H& h) { h.event_id = "x y"; }), kInvalid);
  EXPECT_EQ(bad([](H& h) { h.seat_ids.clear(); }), kInvalid);
  EXPECT_EQ(bad([](H& h) {
              h.seat_ids.clear();
              for (size_t i = 0; i <= kMaxSeatsPerHold; ++i) {
                h.seat_ids.push_back(SeatId("A", 1, i + 1));
              }
            }),
            kInvalid);
  EXPECT_EQ(bad([](H& h) { h.seat_ids[0] = ""; }), kInvalid);
  EXPECT_EQ(bad([](H& h) { h.seat_ids[0] = "A-1-1\""; }), kInvalid);
  EXPECT_EQ(bad([](H& h) { h.seat_ids[0] = "{A-1-1}"; }), kInvalid);
  EXPECT_EQ(bad([](H& h) { h.seat_ids[0] = std::string(65, 'A'); }), kInvalid);
  EXPECT_EQ(bad([](H& h) { h.seat_ids[1] = h.seat_ids[0]; }), kInvalid);
}

TEST(SeatValidation, SortsSeatIds) {
  const HoldCommand sorted =
      SortedSeats({kGid, "seat", "u", "e", {"B-1-1", "A-10-1", "A-2-1"}});
  EXPECT_EQ(sorted.seat_ids,
            (std::vector<std::string>{"A-10-1", "A-2-1", "B-1-1"}));
}

}  // namespace
}  // namespace turnstile::seat
