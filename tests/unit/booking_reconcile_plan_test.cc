// Unit tests of the range reconciler's decision (PlanRangeGate): given a
// range gate snapshot and PostgreSQL's rows read after it, the gate the two
// imply, what it keeps in flight or settling, and what it reports. No Redis,
// no database.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/booking/reconcile_plan.h"

namespace turnstile::booking {
namespace {

constexpr char kA[] = "01890a5d-ac96-774b-bcce-b302099a8001:booking";
constexpr char kB[] = "01890a5d-ac96-774b-bcce-b302099a8002:booking";
constexpr char kC[] = "01890a5d-ac96-774b-bcce-b302099a8003:booking";
constexpr char kGate[] = "G1234:2026-12-24";
constexpr int32_t kUnits = 9;
constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kMargin = 30000;
const RangePlanOptions kOptions{std::chrono::milliseconds(10000),
                                std::chrono::milliseconds(5000),
                                std::chrono::milliseconds(kMargin)};

GateRange Sold(const std::string& res, int32_t from, int32_t to,
               const std::string& owner) {
  return {res, from, to, GateRangeState::kSold, owner, 0};
}

GateRange Held(const std::string& res, int32_t from, int32_t to,
               const std::string& owner, int64_t expiry_ms) {
  return {res, from, to, GateRangeState::kHeld, owner, expiry_ms};
}

RangeSnapshot Gate(std::vector<GateRange> ranges) {
  RangeSnapshot s;
  s.status = GateStatus::kOk;
  s.ver = 7;
  s.units = kUnits;
  s.now_ms = kNow;
  s.ranges = std::move(ranges);
  return s;
}

RangeSnapshot Absent() {
  RangeSnapshot s;
  s.status = GateStatus::kNotInitialized;
  s.now_ms = kNow;
  return s;
}

GateRow Row(const std::string& res, int32_t from, int32_t to,
            BookingState state, const std::string& owner,
            int64_t deadline_ms = 0) {
  GateRow row;
  row.booking.resource_id = res;
  row.booking.range = {from, to};
  row.booking.state = state;
  row.owner = owner;
  row.deadline_ms = state == BookingState::kHeld ? deadline_ms : 0;
  return row;
}

GateSnapshot Pg(std::vector<GateRow> rows,
                std::vector<std::string> finished = {}) {
  GateSnapshot s;
  s.now_ms = kNow + 3;  // read after the gate
  s.rows = std::move(rows);
  s.finished_owners = std::move(finished);
  return s;
}

std::string Dump(const std::vector<GateRange>& ranges) {
  std::string out;
  for (const GateRange& r : ranges) {
    out += absl::StrCat(r.resource_id, ":",
                        r.state == GateRangeState::kSold ? "S" : "H", "[",
                        r.from, ",", r.to, ")", r.owner.substr(35, 1), "@",
                        r.expiry_ms == 0 ? 0 : r.expiry_ms - kNow, " ");
  }
  return out;
}

std::string All(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

TEST(BookingReconcilePlan, AbsentGateIsRebuiltFromPostgres) {
  const RangePlan plan = PlanRangeGate(
      kGate, kUnits, Absent(),
      Pg({Row("s:1", 0, 4, BookingState::kSold, kA),
          Row("s:2", 2, 6, BookingState::kHeld, kB, kNow + 60000)}),
      {}, kOptions);
  EXPECT_TRUE(plan.rebuild);
  EXPECT_TRUE(plan.changed());
  EXPECT_EQ(plan.target.units, kUnits);
  EXPECT_EQ(Dump(plan.target.ranges), "s:1:S[0,4)1@0 s:2:H[2,6)2@90000 ");
  ASSERT_EQ(plan.differences.size(), 1u);
  EXPECT_NE(plan.differences[0].find("rebuilt"), std::string::npos);
  EXPECT_EQ(plan.sold, 1);
  EXPECT_EQ(plan.held, 1);
  EXPECT_EQ(plan.in_flight, 0);
}

TEST(BookingReconcilePlan, AgreeingGateHasNoDifferences) {
  const RangeSnapshot gate =
      Gate({Sold("s:1", 0, 4, kA), Sold("s:1", 4, 8, kB),
            Held("s:2", 2, 6, kC, kNow + 60000 + kMargin)});
  const RangePlan plan = PlanRangeGate(
      kGate, kUnits, gate,
      Pg({Row("s:1", 0, 4, BookingState::kSold, kA),
          Row("s:1", 4, 8, BookingState::kSold, kB),
          Row("s:2", 2, 6, BookingState::kHeld, kC, kNow + 60000)},
         {kA, kB}),
      {}, kOptions);
  EXPECT_FALSE(plan.rebuild);
  EXPECT_FALSE(plan.changed()) << All(plan.differences);
  EXPECT_EQ(Dump(plan.target.ranges), Dump(gate.ranges));
}

TEST(BookingReconcilePlan, MissingSoldRangeIsAdded) {
  const RangePlan plan =
      PlanRangeGate(kGate, kUnits, Gate({Sold("s:1", 0, 4, kA)}),
                    Pg({Row("s:1", 0, 4, BookingState::kSold, kA),
                        Row("s:1", 4, 8, BookingState::kSold, kB)}),
                    {}, kOptions);
  EXPECT_EQ(Dump(plan.target.ranges), "s:1:S[0,4)1@0 s:1:S[4,8)2@0 ");
  ASSERT_EQ(plan.differences.size(), 1u);
  EXPECT_NE(plan.differences[0].find("s:1 missing -> PostgreSQL SOLD [4,8)"),
            std::string::npos)
      << plan.differences[0];
}

TEST(BookingReconcilePlan, WrongUnitsAreADifference) {
  RangeSnapshot gate = Gate({Held("m:1", 0, 2, kC, kNow + 20000 + kMargin)});
  gate.units = 12;
  const RangePlan plan =
      PlanRangeGate(kGate, kUnits, gate, Pg({}), {}, kOptions);
  ASSERT_EQ(plan.differences.size(), 1u) << All(plan.differences);
  EXPECT_EQ(plan.target.units, kUnits);
  EXPECT_EQ(plan.in_flight, 1);
  // A hold past the catalogue's units cannot be written back.
  gate.ranges.push_back(Held("m:2", 8, 11, kC, kNow + 20000 + kMargin));
  const RangePlan shrunk =
      PlanRangeGate(kGate, kUnits, gate, Pg({}), {}, kOptions);
  EXPECT_EQ(Dump(shrunk.target.ranges), Dump({gate.ranges[0]}));
  EXPECT_EQ(shrunk.differences.size(), 2u) << All(shrunk.differences);
}

TEST(BookingReconcilePlan, YoungUndecidedHoldUnknownToPostgresIsKept) {
  // Its Try is between the gate step and the PostgreSQL commit.
  const GateRange hold = Held("m:1", 2, 4, kC, kNow + 20000 + kMargin);
  const RangePlan plan =
      PlanRangeGate(kGate, kUnits, Gate({hold}), Pg({}), {}, kOptions);
  EXPECT_FALSE(plan.changed()) << All(plan.differences);
  EXPECT_EQ(plan.in_flight, 1);
  EXPECT_EQ(Dump(plan.target.ranges), Dump({hold}));
  // Just past its deadline, within the stale horizon: still in flight.
  const RangePlan late = PlanRangeGate(
      kGate, kUnits, Gate({Held("m:1", 2, 4, kC, kNow - 9000 + kMargin)}),
      Pg({}), {}, kOptions);
  EXPECT_FALSE(late.changed()) << All(late.differences);
  EXPECT_EQ(late.in_flight, 1);
}

TEST(BookingReconcilePlan, StaleHoldUnknownToPostgresIsDropped) {
  const RangePlan plan = PlanRangeGate(
      kGate, kUnits, Gate({Held("m:1", 2, 4, kC, kNow - 11000 + kMargin)}),
      Pg({}), {}, kOptions);
  EXPECT_TRUE(plan.target.ranges.empty());
  EXPECT_EQ(plan.in_flight, 0);
  ASSERT_EQ(plan.differences.size(), 1u);
  EXPECT_NE(plan.differences[0].find("stranded"), std::string::npos);
}

TEST(BookingReconcilePlan, HoldOfDecidedOwnerIsDropped) {
  // Cancelled long ago (no decision time known, or one past the grace).
  for (const DecisionTimes& times :
       {DecisionTimes{}, DecisionTimes{{kC, kNow - 60000}}}) {
    const RangePlan plan = PlanRangeGate(
        kGate, kUnits, Gate({Held("m:1", 2, 4, kC, kNow + 20000)}),
        Pg({}, {kC}), times, kOptions);
    EXPECT_TRUE(plan.target.ranges.empty());
    ASSERT_EQ(plan.differences.size(), 1u);
    EXPECT_NE(plan.differences[0].find("decided"), std::string::npos);
    EXPECT_EQ(plan.in_flight, 0);
    EXPECT_EQ(plan.settling, 0);
  }
}

TEST(BookingReconcilePlan, GateEntryOverlappingAnotherOwnersRowIsReplaced) {
  // A live hold of C and a sold range of B where PostgreSQL has A's rows.
  const RangePlan plan = PlanRangeGate(
      kGate, kUnits,
      Gate({Held("m:1", 2, 6, kC, kNow + 20000 + kMargin),
            Sold("m:2", 0, 3, kB)}),
      Pg({Row("m:1", 4, 8, BookingState::kSold, kA),
          Row("m:2", 1, 5, BookingState::kHeld, kA, kNow + 60000)}),
      {}, kOptions);
  EXPECT_EQ(Dump(plan.target.ranges), "m:1:S[4,8)1@0 m:2:H[1,5)1@90000 ");
  EXPECT_EQ(plan.in_flight, 0);
  const std::string all = All(plan.differences);
  EXPECT_EQ(plan.differences.size(), 4u) << all;
  EXPECT_NE(all.find("m:1 H [2,6) of " + std::string(kC) +
                     " for 50 s dropped: "
                     "overlaps S [4,8) of " +
                     std::string(kA)),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("m:2 S [0,3) of " + std::string(kB) + " dropped"),
            std::string::npos)
      << all;
}

TEST(BookingReconcilePlan, SameOwnerDifferentStateFollowsPostgres) {
  // Gate sold, PostgreSQL held (and the other way, past the grace).
  const RangePlan plan = PlanRangeGate(
      kGate, kUnits,
      Gate({Sold("m:1", 0, 2, kA), Held("m:2", 0, 2, kB, kNow + 5000)}),
      Pg({Row("m:1", 0, 2, BookingState::kHeld, kA, kNow + 1000),
          Row("m:2", 0, 2, BookingState::kSold, kB)},
         {kB}),
      {{kB, kNow - 6000}}, kOptions);
  EXPECT_EQ(Dump(plan.target.ranges), "m:1:H[0,2)1@31000 m:2:S[0,2)2@0 ");
  EXPECT_EQ(plan.differences.size(), 2u) << All(plan.differences);
}

TEST(BookingReconcilePlan, LapsedGateHoldsAreIgnored) {
  // A lapsed hold is free: nothing to keep, nothing to report.
  const RangePlan plan =
      PlanRangeGate(kGate, kUnits, Gate({Held("m:1", 0, 2, kC, kNow - 1)}),
                    Pg({}), {}, kOptions);
  EXPECT_FALSE(plan.changed()) << All(plan.differences);
  EXPECT_TRUE(plan.target.ranges.empty());
  // PostgreSQL still holds it (its Cancel is late): held again from now.
  const RangePlan held = PlanRangeGate(
      kGate, kUnits, Gate({Held("m:1", 0, 2, kC, kNow)}),
      Pg({Row("m:1", 0, 2, BookingState::kHeld, kC, kNow - 40000)}), {},
      kOptions);
  EXPECT_EQ(Dump(held.target.ranges), "m:1:H[0,2)3@30000 ");
  ASSERT_EQ(held.differences.size(), 1u);
  EXPECT_NE(held.differences[0].find("missing"), std::string::npos);
}

TEST(BookingReconcilePlan, DecisionWithinTheSettleGraceIsLeftAlone) {
  // A confirmed (SOLD in PostgreSQL, still H in the gate) and C cancelled
  // (no row, H in the gate), both 1 s ago: their own scripts follow.
  const RangeSnapshot gate = Gate({Held("m:1", 0, 4, kA, kNow + 20000),
                                   Held("m:2", 0, 4, kC, kNow + 20000)});
  const GateSnapshot pg =
      Pg({Row("m:1", 0, 4, BookingState::kSold, kA)}, {kA, kC});
  const RangePlan plan =
      PlanRangeGate(kGate, kUnits, gate, pg,
                    {{kA, kNow - 1000}, {kC, kNow - 1000}}, kOptions);
  EXPECT_FALSE(plan.changed()) << All(plan.differences);
  EXPECT_EQ(plan.settling, 2);
  EXPECT_EQ(Dump(plan.target.ranges), Dump(gate.ranges));
  // Past the grace: the reconciler settles them itself.
  const RangePlan later =
      PlanRangeGate(kGate, kUnits, gate, pg,
                    {{kA, kNow - 6000}, {kC, kNow - 6000}}, kOptions);
  EXPECT_EQ(later.settling, 0);
  EXPECT_EQ(Dump(later.target.ranges), "m:1:S[0,4)1@0 ");
  EXPECT_EQ(later.differences.size(), 2u) << All(later.differences);
}

// Random gates against random PostgreSQL rows: the target holds every
// PostgreSQL row (blocking its range), never two overlapping entries of one
// resource, keeps only live holds, and planning again on the target finds
// nothing to fix.
TEST(BookingReconcilePlan, RandomizedTargetCoversPostgresWithoutOverlaps) {
  std::mt19937 rng(20261201);
  const std::vector<std::string> owners = {
      kA, kB, kC, "01890a5d-ac96-774b-bcce-b302099a8004:booking",
      "01890a5d-ac96-774b-bcce-b302099a8005:booking"};
  const std::vector<std::string> resources = {"s:1", "s:2", "s:3", "s:4"};
  auto pick = [&](int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(rng);
  };
  // Disjoint random ranges over [0, kUnits).
  auto ranges = [&]() {
    std::vector<std::pair<int, int>> out;
    int at = pick(3);
    while (at < kUnits) {
      const int to = std::min(kUnits, at + 1 + pick(3));
      if (pick(3) > 0) out.emplace_back(at, to);
      at = to + pick(2);
    }
    return out;
  };
  int64_t in_flight = 0, settling = 0, fixed = 0, rebuilt = 0;
  for (int round = 0; round < 2000; ++round) {
    GateSnapshot pg = Pg({});
    RangeSnapshot gate = pick(8) == 0 ? Absent() : Gate({});
    DecisionTimes times;
    for (const std::string& o : owners) {
      if (pick(3) == 0) {
        pg.finished_owners.push_back(o);
        if (pick(2) == 0) times[o] = kNow - pick(10000);
      }
    }
    for (const std::string& res : resources) {
      for (auto [from, to] : ranges()) {
        const std::string& owner = owners[pick(owners.size())];
        pg.rows.push_back(Row(
            res, from, to, pick(2) ? BookingState::kSold : BookingState::kHeld,
            owner, kNow - 50000 + pick(120000)));
        // Often the gate agrees, sometimes not.
        if (gate.status == GateStatus::kOk && pick(2) == 0) {
          gate.ranges.push_back(
              pick(2) ? Sold(res, from, to, owner)
                      : Held(res, from, to, owner, kNow - 5000 + pick(60000)));
        }
      }
      if (gate.status == GateStatus::kOk && pick(2) == 0) {
        // Unrelated gate entries, overlapping or not.
        for (auto [from, to] : ranges()) {
          gate.ranges.push_back(
              pick(4) == 0 ? Sold(res, from, to, owners[pick(owners.size())])
                           : Held(res, from, to, owners[pick(owners.size())],
                                  kNow - 20000 + pick(100000)));
        }
      }
    }
    const RangePlan plan =
        PlanRangeGate(kGate, kUnits, gate, pg, times, kOptions);
    ASSERT_EQ(plan.rebuild, gate.status != GateStatus::kOk);
    in_flight += plan.in_flight;
    settling += plan.settling;
    fixed += plan.rebuild ? 0 : plan.differences.size();
    rebuilt += plan.rebuild;
    std::map<std::string, std::vector<const GateRange*>> by_res;
    for (const GateRange& t : plan.target.ranges) {
      ASSERT_LT(t.from, t.to);
      ASSERT_LE(t.to, kUnits);
      if (t.state == GateRangeState::kHeld) {
        ASSERT_GT(t.expiry_ms, kNow) << "round " << round;
      } else {
        ASSERT_EQ(t.expiry_ms, 0);
      }
      for (const GateRange* o : by_res[t.resource_id]) {
        ASSERT_FALSE(o->from < t.to && t.from < o->to)
            << "round " << round << ": " << Dump(plan.target.ranges);
      }
      by_res[t.resource_id].push_back(&t);
    }
    for (const GateRow& row : pg.rows) {
      bool found = false;
      for (const GateRange* t : by_res[row.booking.resource_id]) {
        if (t->from == row.booking.range.from &&
            t->to == row.booking.range.to && t->owner == row.owner) {
          found = true;
          const bool sold = row.booking.state == BookingState::kSold;
          if (sold != (t->state == GateRangeState::kSold)) {
            // Only a confirm within the settle grace, still held.
            ASSERT_TRUE(sold);
            ASSERT_TRUE(times.count(row.owner));
            ASSERT_LT(pg.now_ms - times[row.owner], 5000);
          }
        }
      }
      ASSERT_TRUE(found) << "round " << round << ": row "
                         << row.booking.resource_id << " missing from "
                         << Dump(plan.target.ranges);
    }
    // Applying the target leaves nothing to fix.
    RangeSnapshot applied = Gate(plan.target.ranges);
    const RangePlan again =
        PlanRangeGate(kGate, kUnits, applied, pg, times, kOptions);
    ASSERT_FALSE(again.changed()) << "round " << round << ":\n"
                                  << All(again.differences);
    ASSERT_EQ(Dump(again.target.ranges), Dump(plan.target.ranges));
  }
  // Every path was exercised.
  EXPECT_GT(in_flight, 0);
  EXPECT_GT(settling, 0);
  EXPECT_GT(fixed, 0);
  EXPECT_GT(rebuilt, 0);
}

// With run_users, the target ranges of a run gate carry their PostgreSQL
// row's user (range_init restores range_hold's per-user lists); a kept
// in-flight hold carries none (range_init keeps the gate's); venue gates
// and plans without the option carry none.
TEST(BookingReconcilePlan, RunGateTargetsCarryTheirUsers) {
  const RangeSnapshot gate =
      Gate({Sold("s:1", 0, 4, kA), Held("s:3", 0, 2, kC, kNow + 60000)});
  GateRow sold = Row("s:1", 0, 4, BookingState::kSold, kA);
  sold.user_id = "u1";
  GateRow held = Row("s:2", 2, 6, BookingState::kHeld, kB, kNow + 60000);
  held.user_id = "u2";
  RangePlanOptions options = kOptions;
  options.run_users = true;
  auto users = [](const RangePlan& plan) {
    std::string out;
    for (const GateRange& r : plan.target.ranges) {
      out += r.resource_id + "=" + r.user_id + " ";
    }
    return out;
  };
  EXPECT_EQ(users(PlanRangeGate("r:G1234", kUnits, gate, Pg({sold, held}), {},
                                options)),
            "s:1=u1 s:2=u2 s:3= ");
  EXPECT_EQ(users(PlanRangeGate("r:G1234", kUnits, Absent(), Pg({sold, held}),
                                {}, options)),
            "s:1=u1 s:2=u2 ");
  EXPECT_EQ(users(PlanRangeGate("v:cafe1:2026-12-24", kUnits, gate,
                                Pg({sold, held}), {}, options)),
            "s:1= s:2= s:3= ");
  EXPECT_EQ(users(PlanRangeGate("r:G1234", kUnits, gate, Pg({sold, held}), {},
                                kOptions)),
            "s:1= s:2= s:3= ");
}

}  // namespace
}  // namespace turnstile::booking
