// Unit tests of the seat reconciler's planning (services/seat/reconciler.h):
// which gate a gate snapshot and a later PostgreSQL snapshot imply, which
// differences are fixes and which holds are in flight and must stay.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "services/seat/reconciler.h"
#include "services/seat/validation.h"

namespace turnstile::seat {
namespace {

const std::string kA = "0190a0b0-0000-7000-8000-00000000000a:seat";
const std::string kB = "0190a0b0-0000-7000-8000-00000000000b:seat";
const std::string kC = "0190a0b0-0000-7000-8000-00000000000c:seat";
constexpr int64_t kNow = 1'800'000'000'000;
constexpr int64_t kFloor = 300'000;

GateSeat G(const std::string& seat, char state, const std::string& owner,
           int64_t expiry = 0) {
  return {seat, state == 'S' ? GateSeatState::kSold : GateSeatState::kHeld,
          owner, expiry};
}

TakenSeat P(const std::string& seat, char state, const std::string& owner,
            int64_t expiry = 0) {
  return {seat, state == 'S' ? SeatState::kSold : SeatState::kHeld, owner,
          expiry};
}

SeatSnapshot Gate(std::vector<GateSeat> seats) {
  SeatSnapshot s;
  s.status = GateStatus::kOk;
  s.ver = 42;
  s.now_ms = kNow;
  s.seats = std::move(seats);
  return s;
}

// seat -> "S|H owner expiry" of the planned gate.
std::map<std::string, std::string> Desired(const RepairPlan& plan) {
  std::map<std::string, std::string> out;
  for (const GateSeat& s : plan.desired) {
    EXPECT_TRUE(
        out.emplace(s.seat_id,
                    std::string(s.state == GateSeatState::kSold ? "S " : "H ") +
                        s.owner + " " + std::to_string(s.expiry_ms))
            .second)
        << s.seat_id << " listed twice";
  }
  return out;
}

TEST(PlanRepair, AgreeingStoresNeedNothing) {
  EventGateState pg;
  pg.seats = {P("a", 'S', kA), P("b", 'H', kB, kNow + 1000)};
  const RepairPlan plan = PlanRepair(
      "e", Gate({G("a", 'S', kA), G("b", 'H', kB, kNow + 1000)}), pg, kFloor);
  EXPECT_FALSE(plan.changed());
  EXPECT_TRUE(plan.differences.empty());
}

TEST(PlanRepair, MissingGateIsRebuiltFromPostgres) {
  SeatSnapshot gate;
  gate.status = GateStatus::kNotInitialized;
  gate.now_ms = kNow;
  EventGateState pg;
  pg.seats = {P("a", 'S', kA), P("b", 'H', kB, kNow + 60'000),
              P("c", 'H', kC, kNow - 5)};  // stuck hold: still blocked
  const RepairPlan plan = PlanRepair("e", gate, pg, kFloor);
  EXPECT_TRUE(plan.rebuild);
  EXPECT_TRUE(plan.changed());
  EXPECT_TRUE(plan.differences.empty());
  EXPECT_EQ(plan.held, 2);
  EXPECT_EQ(plan.sold, 1);
  EXPECT_EQ(Desired(plan),
            (std::map<std::string, std::string>{
                {"a", "S " + kA + " 0"},
                {"b", "H " + kB + " " + std::to_string(kNow + 60'000)},
                {"c", "H " + kC + " " + std::to_string(kNow + kFloor)}}));
}

TEST(PlanRepair, EveryKindOfDriftIsFixedAndNamed) {
  EventGateState pg;
  pg.seats = {P("sold_missing", 'S', kA),
              P("sold_but_held", 'S', kA),
              P("sold_to_other", 'S', kA),
              P("held_missing", 'H', kB, kNow + 100'000'000),
              P("held_but_sold", 'H', kB, kNow + 100'000'000),
              P("held_by_other", 'H', kB, kNow + 100'000'000),
              P("hold_lapsed", 'H', kB, kNow - 1)};
  pg.finished_owners = {kC};
  const SeatSnapshot gate = Gate({
      G("sold_but_held", 'H', kA, kNow + 10),
      G("sold_to_other", 'S', kB),
      G("held_but_sold", 'S', kB),
      G("held_by_other", 'H', kA, kNow + 10),
      G("hold_lapsed", 'H', kB, kNow),  // expiry == now: lapsed
      G("sold_but_free", 'S', kA),
      G("lapsed_hold", 'H', kA, kNow - 1),
      G("finished_hold", 'H', kC, kNow + 10),
      G("bad_owner", 'H', "nobody:seat", kNow + 10),
      G("in_flight", 'H', kA, kNow + 10),
  });
  const RepairPlan plan = PlanRepair("e", gate, pg, kFloor);
  EXPECT_FALSE(plan.rebuild);
  ASSERT_EQ(plan.kinds.size(), plan.differences.size());
  std::map<std::string, std::string> kind_of;
  for (size_t i = 0; i < plan.differences.size(); ++i) {
    const std::string& line = plan.differences[i];
    const std::string seat = line.substr(2, line.find(' ') - 2);
    kind_of[seat] = plan.kinds[i];
  }
  std::map<std::string, std::string> want;
  for (const char* k :
       {"sold_missing", "sold_but_held", "sold_to_other", "held_missing",
        "held_but_sold", "held_by_other", "hold_lapsed", "sold_but_free",
        "lapsed_hold", "finished_hold", "bad_owner"}) {
    want[k] = k;
  }
  EXPECT_EQ(kind_of, want);
  const std::string far = std::to_string(kNow + 100'000'000);
  EXPECT_EQ(
      Desired(plan),
      (std::map<std::string, std::string>{
          {"sold_missing", "S " + kA + " 0"},
          {"sold_but_held", "S " + kA + " 0"},
          {"sold_to_other", "S " + kA + " 0"},
          {"held_missing", "H " + kB + " " + far},
          {"held_but_sold", "H " + kB + " " + far},
          {"held_by_other", "H " + kB + " " + far},
          {"hold_lapsed", "H " + kB + " " + std::to_string(kNow + kFloor)},
          {"in_flight", "H " + kA + " " + std::to_string(kNow + 10)}}));
}

TEST(PlanRepair, NeverFreesASeatPostgresHasTaken) {
  // Whatever the gate says, every HELD/SOLD seat ends up taken by its owner.
  EventGateState pg;
  pg.seats = {P("x", 'H', kA, kNow - 100), P("y", 'S', kB)};
  for (const SeatSnapshot& gate :
       {Gate({}), Gate({G("x", 'H', kA, kNow - 1)}),
        Gate({G("x", 'S', kC), G("y", 'H', kC, kNow + 1)})}) {
    const auto desired = Desired(PlanRepair("e", gate, pg, kFloor));
    ASSERT_EQ(desired.size(), 2u);
    EXPECT_EQ(desired.at("x").substr(0, 2 + kA.size()), "H " + kA);
    EXPECT_GT(std::stoll(desired.at("x").substr(3 + kA.size())), kNow);
    EXPECT_EQ(desired.at("y"), "S " + kB + " 0");
  }
}

TEST(PlanRepair, HoldsInFlightStayUntilDecidedOrLapsed) {
  EventGateState pg;  // nothing in PostgreSQL yet
  const SeatSnapshot gate = Gate({G("a", 'H', kA, kNow + 1)});
  EXPECT_FALSE(PlanRepair("e", gate, pg, kFloor).changed());
  pg.finished_owners = {kA};
  EXPECT_EQ(PlanRepair("e", gate, pg, kFloor).kinds,
            std::vector<std::string>{"finished_hold"});
  pg.finished_owners.clear();
  const SeatSnapshot lapsed = Gate({G("a", 'H', kA, kNow)});
  EXPECT_EQ(PlanRepair("e", lapsed, pg, kFloor).kinds,
            std::vector<std::string>{"lapsed_hold"});
}

TEST(LiveHoldOwners, OnlyLiveWellFormedHolds) {
  const SeatSnapshot gate = Gate({
      G("a", 'H', kA, kNow + 1),
      G("b", 'H', kA, kNow + 1),        // once
      G("c", 'H', kB, kNow),            // lapsed
      G("d", 'S', kC),                  // sold
      G("e", 'H', "x:seat", kNow + 1),  // malformed
      G("f", 'H', "0190A0B0-0000-7000-8000-00000000000D:seat", kNow + 1),
  });
  const auto owners = LiveHoldOwners(gate);
  ASSERT_EQ(owners.size(), 2u);
  EXPECT_EQ(owners[0].first, "0190a0b0-0000-7000-8000-00000000000a");
  EXPECT_EQ(owners[0].second, "seat");
  EXPECT_EQ(owners[1].first, "0190a0b0-0000-7000-8000-00000000000d");
}

TEST(ParseOwner, AcceptsOnlyBranchOwners) {
  std::string gid, branch;
  EXPECT_TRUE(ParseOwner(kA, &gid, &branch));
  EXPECT_EQ(gid + ":" + branch, kA);
  for (const char* bad : {"", "seat", "0190a0b0-0000-7000-8000-00000000000a",
                          "0190a0b0-0000-7000-8000-00000000000a:", "nope:seat",
                          "0190a0b0-0000-7000-8000-00000000000a:Seat",
                          "0190a0b0-0000-7000-8000-00000000000a:seat:x"}) {
    EXPECT_FALSE(ParseOwner(bad, &gid, &branch)) << bad;
  }
}

}  // namespace
}  // namespace turnstile::seat
