// Train seat allocation (services/booking/seat_choice.h): the gap score,
// best fit, groups seated together, chosen seats, refusals, remaining-seat
// counts, and a randomized sale checked against a brute-force reference.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "services/booking/seat_choice.h"
#include "services/common/status.h"

namespace turnstile::booking {
namespace {

// A seat with the legs in `taken` ("x" taken, "." free, leg 0 first).
SeatLegs Seat(std::string id, int car, int number, std::string class_id,
              const std::string& taken = "") {
  SeatLegs seat{{std::move(id), car, number, std::move(class_id)}, 0};
  for (size_t k = 0; k < taken.size(); ++k) {
    if (taken[k] == 'x') seat.taken |= uint64_t{1} << k;
  }
  return seat;
}

std::vector<std::string> Ids(std::initializer_list<const char*> ids) {
  return {ids.begin(), ids.end()};
}

SeatRequest Trip(int from, int to, int passengers = 1,
                 std::string class_id = "") {
  return {std::move(class_id), {from, to}, passengers, {}};
}

TEST(BookingSeatChoice, ScoreCountsFragmentsAndLeftover) {
  const int legs = 9;
  EXPECT_EQ(ScoreOf(0, legs, {0, 9}), (GapScore{0, 0}));
  EXPECT_EQ(ScoreOf(0, legs, {0, 4}), (GapScore{1, 5}));
  EXPECT_EQ(ScoreOf(0, legs, {2, 5}), (GapScore{2, 6}));
  // ".xx....xx": legs 3..6 free; booking [3, 7) fills the gap exactly.
  const uint64_t taken = Seat("a", 1, 1, "", ".xx....xx").taken;
  EXPECT_EQ(ScoreOf(taken, legs, {3, 7}), (GapScore{0, 0}));
  EXPECT_EQ(ScoreOf(taken, legs, {4, 6}), (GapScore{2, 2}));
  EXPECT_EQ(ScoreOf(taken, legs, {0, 1}), (GapScore{0, 0}));
  EXPECT_TRUE(FreeOn(taken, {3, 7}));
  EXPECT_FALSE(FreeOn(taken, {2, 4}));
  EXPECT_FALSE(FreeOn(taken, {8, 9}));
}

TEST(BookingSeatChoice, PrefersTheSeatWhoseGapItFills) {
  // Trip [2, 5) on a 9-leg run.
  const std::vector<SeatLegs> seats = {
      Seat("1A", 1, 1, "2nd"),               // fresh: 2 fragments
      Seat("1B", 1, 2, "2nd", "xx......."),  // cut right only: 1 fragment
      Seat("1C", 1, 3, "2nd", "xx...xxxx"),  // exact fit: 0
      Seat("1D", 1, 4, "2nd", "xxx......"),  // not free on leg 2
  };
  auto chosen = ChooseSeats(seats, 9, Trip(2, 5));
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ(*chosen, Ids({"1C"}));
}

TEST(BookingSeatChoice, BestFitAmongEqualFragments) {
  // Both leave one fragment; 1B leaves 1 free leg, 1A leaves 5.
  const std::vector<SeatLegs> seats = {
      Seat("1A", 1, 1, "", "........."),
      Seat("1B", 1, 2, "", "....xxxx."),
  };
  EXPECT_EQ(*ChooseSeats(seats, 9, Trip(0, 4)), Ids({"1B"}));
  // Ties go to seat order (car, number), not input order.
  const std::vector<SeatLegs> tied = {Seat("2A", 2, 1, ""),
                                      Seat("1Z", 1, 9, "")};
  EXPECT_EQ(*ChooseSeats(tied, 9, Trip(0, 9)), Ids({"1Z"}));
}

TEST(BookingSeatChoice, ClassFilter) {
  const std::vector<SeatLegs> seats = {Seat("1A", 1, 1, "1st", "xx...xxxx"),
                                       Seat("5A", 5, 1, "2nd")};
  EXPECT_EQ(*ChooseSeats(seats, 9, Trip(2, 5, 1, "2nd")), Ids({"5A"}));
  EXPECT_EQ(*ChooseSeats(seats, 9, Trip(2, 5, 1, "1st")), Ids({"1A"}));
  EXPECT_EQ(*ChooseSeats(seats, 9, Trip(2, 5, 1, "")), Ids({"1A"}));
  auto none = ChooseSeats(seats, 9, Trip(2, 5, 1, "sleeper"));
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(none.status()), "SEAT_TAKEN");
}

TEST(BookingSeatChoice, GroupsSitTogether) {
  // Car 1: 1..4 with 2 taken; car 2: 1..3 free, 5 free (4 missing).
  const std::vector<SeatLegs> seats = {
      Seat("1-1", 1, 1, ""), Seat("1-2", 1, 2, "", "xxxx"),
      Seat("1-3", 1, 3, ""), Seat("1-4", 1, 4, ""),
      Seat("2-1", 2, 1, ""), Seat("2-2", 2, 2, ""),
      Seat("2-3", 2, 3, ""), Seat("2-5", 2, 5, ""),
  };
  EXPECT_EQ(*ChooseSeats(seats, 4, Trip(0, 4, 2)), Ids({"1-3", "1-4"}));
  EXPECT_EQ(*ChooseSeats(seats, 4, Trip(0, 4, 3)), Ids({"2-1", "2-2", "2-3"}));
  // No block of 4: the 4 best singles in seat order.
  EXPECT_EQ(*ChooseSeats(seats, 4, Trip(0, 4, 4)),
            Ids({"1-1", "1-3", "1-4", "2-1"}));
  // Five passengers out of the seven free seats.
  auto five = ChooseSeats(seats, 4, Trip(0, 4, 5));
  ASSERT_TRUE(five.ok());
  EXPECT_EQ(*five, Ids({"1-1", "1-3", "1-4", "2-1", "2-2"}));
}

TEST(BookingSeatChoice, ExactFitsBeatAFreshPairAndBlocksWinTies) {
  // Scattered exact fits (1-1, 1-3) beat the fresh pair 2-1, 2-2, which
  // would cut two seats' free legs in three; a block of exact fits (3-1,
  // 3-2) scores as well as the best scattered pair and wins.
  const std::vector<SeatLegs> seats = {
      Seat("1-1", 1, 1, "", "x..x"), Seat("1-2", 1, 2, "", "xxxx"),
      Seat("1-3", 1, 3, "", "x..x"), Seat("2-1", 2, 1, ""),
      Seat("2-2", 2, 2, ""),
  };
  EXPECT_EQ(*ChooseSeats(seats, 4, Trip(1, 3, 2)), Ids({"1-1", "1-3"}));
  std::vector<SeatLegs> more = seats;
  more.push_back(Seat("3-1", 3, 1, "", "x..x"));
  more.push_back(Seat("3-2", 3, 2, "", "x..x"));
  EXPECT_EQ(*ChooseSeats(more, 4, Trip(1, 3, 2)), Ids({"3-1", "3-2"}));
}

TEST(BookingSeatChoice, ChosenSeats) {
  const std::vector<SeatLegs> seats = {Seat("1A", 1, 1, "2nd", "..x."),
                                       Seat("1B", 1, 2, "2nd"),
                                       Seat("9A", 9, 1, "1st")};
  EXPECT_EQ(*ChooseSeats(seats, 4, {"2nd", {0, 2}, 2, {"1B", "1A"}}),
            Ids({"1B", "1A"}));
  auto taken = ChooseSeats(seats, 4, {"2nd", {1, 3}, 2, {"1B", "1A"}});
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(taken.status()), "SEAT_TAKEN");
  // Wrong count, duplicates, unknown seats and other classes are bad input.
  for (const SeatRequest& bad : std::vector<SeatRequest>{
           {"2nd", {0, 2}, 2, {"1B"}},
           {"2nd", {0, 2}, 2, {"1B", "1B"}},
           {"2nd", {0, 2}, 1, {"7Z"}},
           {"2nd", {0, 2}, 1, {"9A"}},
       }) {
    EXPECT_EQ(ChooseSeats(seats, 4, bad).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(*ChooseSeats(seats, 4, {"", {0, 4}, 1, {"9A"}}), Ids({"9A"}));
}

TEST(BookingSeatChoice, BadRequests) {
  const std::vector<SeatLegs> seats = {Seat("1A", 1, 1, "")};
  for (const auto& [legs, request] : std::vector<std::pair<int, SeatRequest>>{
           {4, Trip(2, 2)},     // empty
           {4, Trip(3, 1)},     // reversed
           {4, Trip(-1, 2)},    // unknown stop
           {4, Trip(0, 5)},     // past the last stop
           {4, Trip(0, 2, 0)},  // nobody
           {4, Trip(0, 2, 6)},  // too many
           {0, Trip(0, 1)},     // a run without legs
           {64, Trip(0, 1)},    // too many legs
       }) {
    EXPECT_EQ(ChooseSeats(seats, legs, request).status().code(),
              absl::StatusCode::kInvalidArgument)
        << request.legs.from << ".." << request.legs.to << " x"
        << request.passengers;
  }
  // The largest run: 63 legs.
  EXPECT_EQ(*ChooseSeats({Seat("1A", 1, 1, "")}, 63, Trip(60, 63)),
            Ids({"1A"}));
  EXPECT_EQ(
      ReasonOf(ChooseSeats({Seat("1A", 1, 1, "", std::string(62, '.') + "x")},
                           63, Trip(60, 63))
                   .status()),
      "SEAT_TAKEN");
}

TEST(BookingSeatChoice, NotEnoughSeats) {
  const std::vector<SeatLegs> seats = {
      Seat("1A", 1, 1, "", ".x.."), Seat("1B", 1, 2, ""), Seat("1C", 1, 3, "")};
  EXPECT_EQ(ChooseSeats(seats, 4, Trip(0, 4, 2)).value().size(), 2u);
  auto refused = ChooseSeats(seats, 4, Trip(0, 4, 3));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(refused.status()), "SEAT_TAKEN");
  EXPECT_EQ(ChooseSeats(seats, 4, Trip(2, 4, 3)).value().size(), 3u);
  EXPECT_EQ(ReasonOf(ChooseSeats({}, 4, Trip(0, 1)).status()), "SEAT_TAKEN");
}

TEST(BookingSeatChoice, RemainingSeatsAndMatrix) {
  const std::vector<SeatLegs> seats = {Seat("1A", 1, 1, "1st", ".x.."),
                                       Seat("1B", 1, 2, "2nd", "x..."),
                                       Seat("1C", 1, 3, "2nd")};
  EXPECT_EQ(RemainingSeats(seats, "", {0, 4}), 1);
  EXPECT_EQ(RemainingSeats(seats, "", {2, 4}), 3);
  EXPECT_EQ(RemainingSeats(seats, "2nd", {1, 3}), 2);
  EXPECT_EQ(RemainingSeats(seats, "1st", {1, 3}), 0);
  EXPECT_EQ(RemainingSeats(seats, "", {3, 2}), 0);
  const auto m = RemainingMatrix(seats, "", 5);
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0][1], 2);
  EXPECT_EQ(m[0][4], 1);
  EXPECT_EQ(m[1][4], 2);
  EXPECT_EQ(m[2][4], 3);
  EXPECT_EQ(m[4][0], 0);
  EXPECT_EQ(m[2][2], 0);
}

// A random sale on a 10-stop run with 100 seats in two classes: every
// allocation is free on every leg of its trip in a plain per-leg reference,
// nothing is sold twice, refusals happen only when the reference agrees
// there is no room, and the remaining counts match a recount.
TEST(BookingSeatChoice, RandomSaleAgainstBruteForce) {
  constexpr int kStops = 10;
  constexpr int kLegs = kStops - 1;
  std::mt19937 random(20261224);
  std::vector<SeatLegs> seats;
  for (int car = 1; car <= 5; ++car) {
    for (int number = 1; number <= 20; ++number) {
      seats.push_back(Seat(std::to_string(car) + "-" + std::to_string(number),
                           car, number, car <= 2 ? "1st" : "2nd"));
    }
  }
  // reference[seat][leg] = how many trips hold it.
  std::vector<std::vector<int>> reference(seats.size(),
                                          std::vector<int>(kLegs, 0));
  std::map<std::string, size_t> index;
  for (size_t s = 0; s < seats.size(); ++s) index[seats[s].seat.seat_id] = s;
  auto free_in_reference = [&](size_t s, int from, int to) {
    for (int leg = from; leg < to; ++leg) {
      if (reference[s][leg] > 0) return false;
    }
    return true;
  };
  int sold = 0, refused = 0;
  for (int buyer = 0; buyer < 2000; ++buyer) {
    const int from = std::uniform_int_distribution<>(0, kStops - 2)(random);
    const int to =
        std::uniform_int_distribution<>(from + 1, kStops - 1)(random);
    const int n = std::uniform_int_distribution<>(1, 5)(random);
    const std::string cls = random() % 2 ? "1st" : "2nd";
    SeatRequest request = Trip(from, to, n, cls);
    if (random() % 5 == 0) {  // a buyer who picks seats himself
      std::set<std::string> picked;
      while (static_cast<int>(picked.size()) < n) {
        picked.insert(seats[random() % seats.size()].seat.seat_id);
      }
      request.chosen.assign(picked.begin(), picked.end());
    }
    auto chosen = ChooseSeats(seats, kLegs, request);
    int room = 0;
    for (size_t s = 0; s < seats.size(); ++s) {
      if (seats[s].seat.class_id == cls && free_in_reference(s, from, to)) {
        ++room;
      }
    }
    ASSERT_EQ(RemainingSeats(seats, cls, {from, to}), room);
    if (!chosen.ok()) {
      if (request.chosen.empty()) {
        ASSERT_EQ(ReasonOf(chosen.status()), "SEAT_TAKEN");
        ASSERT_LT(room, n) << "refused although the reference had room";
      } else {
        bool all_free = true, all_class = true;
        for (const std::string& id : request.chosen) {
          all_class &= seats[index[id]].seat.class_id == cls;
          all_free &= free_in_reference(index[id], from, to);
        }
        ASSERT_TRUE(!all_class || !all_free) << chosen.status();
        ASSERT_EQ(chosen.status().code(),
                  all_class ? absl::StatusCode::kFailedPrecondition
                            : absl::StatusCode::kInvalidArgument);
      }
      ++refused;
      continue;
    }
    ASSERT_EQ(static_cast<int>(chosen->size()), n);
    std::set<std::string> distinct(chosen->begin(), chosen->end());
    ASSERT_EQ(distinct.size(), chosen->size());
    for (const std::string& id : *chosen) {
      const size_t s = index.at(id);
      ASSERT_EQ(seats[s].seat.class_id, cls);
      ASSERT_TRUE(free_in_reference(s, from, to)) << id << " double-booked";
      for (int leg = from; leg < to; ++leg) {
        ++reference[s][leg];
        seats[s].taken |= uint64_t{1} << leg;
      }
    }
    ++sold;
  }
  EXPECT_GT(sold, 100);
  EXPECT_GT(refused, 100);
  for (const std::string cls : {"1st", "2nd"}) {
    const auto m = RemainingMatrix(seats, cls, kStops);
    for (int i = 0; i < kStops; ++i) {
      for (int j = i + 1; j < kStops; ++j) {
        int room = 0;
        for (size_t s = 0; s < seats.size(); ++s) {
          if (seats[s].seat.class_id == cls && free_in_reference(s, i, j)) {
            ++room;
          }
        }
        EXPECT_EQ(m[i][j], room) << cls << " " << i << "->" << j;
      }
    }
  }
  for (const auto& legs : reference) {
    for (int holders : legs) EXPECT_LE(holders, 1);
  }
}

// What the gap score buys over first fit: seat 1-2 is sold [0, 3); a trip
// [3, 9) that first fit would put on the fresh 1-1 goes to 1-2 instead, so
// a later whole-run trip still finds 1-1 free.
TEST(BookingSeatChoice, KeepsAWholeSeatWhereFirstFitWouldNot) {
  std::vector<SeatLegs> seats = {Seat("1-1", 1, 1, ""),
                                 Seat("1-2", 1, 2, "", "xxx......")};
  auto chosen = ChooseSeats(seats, 9, Trip(3, 9));
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(*chosen, Ids({"1-2"}));
  seats[1].taken = ~uint64_t{0} >> (64 - 9);
  EXPECT_EQ(*ChooseSeats(seats, 9, Trip(0, 9)), Ids({"1-1"}));
}

}  // namespace
}  // namespace turnstile::booking
