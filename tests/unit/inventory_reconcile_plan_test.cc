// Unit tests of the reconciler's decision (PlanStockGate): given a gate
// snapshot and PostgreSQL's truth, what it settles, what it keeps in flight
// and what the repaired gate must hold. No Redis, no database.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "services/inventory/reconcile_plan.h"

namespace turnstile::inventory {
namespace {

constexpr char kG1[] = "01890a5d-ac96-774b-bcce-b302099a8001:inventory";
constexpr char kG2[] = "01890a5d-ac96-774b-bcce-b302099a8002:inventory";
constexpr char kG3[] = "01890a5d-ac96-774b-bcce-b302099a8003:inventory";
constexpr int64_t kNow = 1'700'000'000'000;
const PlanOptions kOptions{std::chrono::milliseconds(60000),
                           std::chrono::milliseconds(5000)};

StockSnapshot Gate(int64_t remaining, int64_t limit,
                   std::vector<std::pair<std::string, int64_t>> users,
                   std::vector<GateReservation> res) {
  StockSnapshot s;
  s.status = GateStatus::kOk;
  s.remaining = remaining;
  s.per_user_limit = limit;
  s.ver = 42;
  s.now_ms = kNow;
  s.user_units = std::move(users);
  s.reservations = std::move(res);
  return s;
}

GateReservation Res(const std::string& owner, int64_t qty,
                    const std::string& user, int64_t age_ms = 100) {
  return {owner, qty, user, kNow - age_ms};
}

StockTruth Truth(int64_t available, int64_t limit,
                 std::vector<std::pair<std::string, int64_t>> users,
                 std::vector<LockedLine> locked) {
  StockTruth t;
  t.available = available;
  t.per_user_limit = limit;
  t.user_units = std::move(users);
  t.locked = std::move(locked);
  for (const LockedLine& l : t.locked) {
    t.owners[l.owner] = {"LOCKED", l.quantity, l.user_id, true, false, 1000};
  }
  return t;
}

std::string Users(const StockInitSpec& spec) {
  std::string out;
  for (const auto& [u, n] : spec.user_units) {
    out += u + "=" + std::to_string(n) + ",";
  }
  return out;
}

std::string Reservations(const StockInitSpec& spec) {
  std::string out;
  for (const auto& r : spec.reservations) {
    out += r.owner + "=" + std::to_string(r.quantity) + "/" + r.user_id + ",";
  }
  return out;
}

bool Mentions(const StockPlan& plan, const std::string& text) {
  return std::any_of(
      plan.differences.begin(), plan.differences.end(),
      [&](const std::string& d) { return d.find(text) != std::string::npos; });
}

TEST(ReconcilePlan, ConsistentGateNeedsNothing) {
  // 10 units: u1 holds 2 (LOCKED), u2 bought 1 (SOLD and committed).
  const auto plan = PlanStockGate(
      "s", Gate(7, 3, {{"u1", 2}, {"u2", 1}}, {Res(kG1, 2, "u1")}),
      Truth(7, 3, {{"u1", 2}, {"u2", 1}}, {{kG1, "u1", 2}}), kOptions);
  EXPECT_FALSE(plan.rebuild);
  EXPECT_TRUE(plan.settlements.empty());
  EXPECT_TRUE(plan.differences.empty()) << plan.differences[0];
  EXPECT_EQ(plan.target.remaining, 7);
  EXPECT_EQ(Users(plan.target), "u1=2,u2=1,");
  EXPECT_EQ(Reservations(plan.target), std::string(kG1) + "=2/u1,");
}

TEST(ReconcilePlan, MissingGateIsRebuiltFromPostgres) {
  StockSnapshot absent;
  absent.status = GateStatus::kNotInitialized;
  absent.now_ms = kNow;
  const auto plan = PlanStockGate(
      "s", absent, Truth(5, 0, {{"u1", 3}, {"u2", 2}}, {{kG1, "u1", 3}}),
      kOptions);
  EXPECT_TRUE(plan.rebuild);
  EXPECT_TRUE(plan.settlements.empty());
  ASSERT_EQ(plan.differences.size(), 1u);
  EXPECT_TRUE(Mentions(plan, "gate missing"));
  EXPECT_EQ(plan.target.remaining, 5);
  EXPECT_EQ(plan.target.per_user_limit, 0);
  EXPECT_EQ(Users(plan.target), "u1=3,u2=2,");
  EXPECT_EQ(Reservations(plan.target), std::string(kG1) + "=3/u1,");
}

// The core rule: a reservation the gate made and PostgreSQL has not yet
// committed keeps its units taken; the gate is right as it is.
TEST(ReconcilePlan, InFlightReservationsStayTaken) {
  // PostgreSQL: 10 available, nothing else. Gate: g2 (3 units of u2) in
  // flight, so 7 remain.
  StockTruth truth = Truth(10, 0, {}, {});
  truth.owners[kG2] = {};  // asked, unknown to PostgreSQL
  const auto plan = PlanStockGate(
      "s", Gate(7, 0, {{"u2", 3}}, {Res(kG2, 3, "u2")}), truth, kOptions);
  EXPECT_TRUE(plan.settlements.empty());
  EXPECT_TRUE(plan.differences.empty()) << plan.differences[0];
  EXPECT_EQ(plan.in_flight, 1);
  EXPECT_EQ(plan.in_flight_units, 3);
  EXPECT_EQ(plan.target.remaining, 7);
  EXPECT_EQ(Users(plan.target), "u2=3,");

  // The same gate with remaining wrongly at 10 (e.g. a lost decrement):
  // repaired to 7, never to PostgreSQL's 10.
  const auto drift = PlanStockGate(
      "s", Gate(10, 0, {{"u2", 3}}, {Res(kG2, 3, "u2")}), truth, kOptions);
  EXPECT_EQ(drift.target.remaining, 7);
  ASSERT_EQ(drift.differences.size(), 1u);
  EXPECT_TRUE(Mentions(drift, "remaining 10 -> 7"));
  EXPECT_TRUE(Mentions(drift, "in flight 3"));
}

TEST(ReconcilePlan, InFlightBeyondAvailableClampsAtZero) {
  StockTruth truth = Truth(1, 0, {}, {});
  const auto plan = PlanStockGate(
      "s", Gate(0, 0, {{"u", 2}}, {Res(kG2, 2, "u")}), truth, kOptions);
  EXPECT_EQ(plan.target.remaining, 0);
  EXPECT_TRUE(plan.differences.empty());
}

TEST(ReconcilePlan, DecidedReservationsAreSettledAfterTheGrace) {
  StockTruth truth = Truth(8, 0, {{"u1", 1}}, {});
  truth.owners[kG1] = {"SOLD", 1, "u1", true, false, 60000};
  truth.owners[kG2] = {"RELEASED", 2, "u2", true, true, 60000};
  truth.owners[kG3] = {"", 0, "", true, true, 60000};  // empty rollback
  const auto plan = PlanStockGate(
      "s",
      Gate(5, 0, {{"u1", 1}, {"u2", 2}, {"u3", 2}},
           {Res(kG1, 1, "u1"), Res(kG2, 2, "u2"), Res(kG3, 2, "u3")}),
      truth, kOptions);
  ASSERT_EQ(plan.settlements.size(), 3u);
  EXPECT_EQ(plan.settlements[0].kind, GateSettlement::Kind::kCommit);
  EXPECT_EQ(plan.settlements[0].owner, kG1);
  EXPECT_EQ(plan.settlements[1].kind, GateSettlement::Kind::kRelease);
  EXPECT_EQ(plan.settlements[1].owner, kG2);
  EXPECT_EQ(plan.settlements[2].kind, GateSettlement::Kind::kRelease);
  EXPECT_NE(plan.settlements[2].why.find("cancelled"), std::string::npos);
  // If they could not be settled, the repair leaves them out.
  EXPECT_EQ(plan.target.remaining, 8);
  EXPECT_EQ(Users(plan.target), "u1=1,");
  EXPECT_EQ(Reservations(plan.target), "");
  EXPECT_TRUE(Mentions(plan, "dropped: SOLD in PostgreSQL"));
  EXPECT_TRUE(Mentions(plan, "dropped: RELEASED in PostgreSQL"));
}

TEST(ReconcilePlan, FreshDecisionsAreLeftToTheService) {
  // Confirm and Cancel committed in PostgreSQL a moment ago; the service's
  // stock_commit / stock_release are on their way. The gate is right for
  // that moment and must not be touched.
  StockTruth truth = Truth(7, 0, {{"u1", 1}}, {});
  truth.owners[kG1] = {"SOLD", 1, "u1", true, false, 20};
  truth.owners[kG2] = {"RELEASED", 2, "u2", true, true, 20};
  const auto plan = PlanStockGate("s",
                                  Gate(5, 0, {{"u1", 1}, {"u2", 2}},
                                       {Res(kG1, 1, "u1"), Res(kG2, 2, "u2")}),
                                  truth, kOptions);
  EXPECT_TRUE(plan.settlements.empty());
  EXPECT_TRUE(plan.differences.empty()) << plan.differences[0];
  EXPECT_EQ(plan.settling, 2);
  EXPECT_EQ(plan.target.remaining, 5);
}

TEST(ReconcilePlan, StrandedTryIsReleasedOnlyWhenStale) {
  StockTruth truth = Truth(10, 0, {}, {});
  truth.owners[kG2] = {};
  const auto young = PlanStockGate(
      "s", Gate(9, 0, {{"u", 1}}, {Res(kG2, 1, "u", 59000)}), truth, kOptions);
  EXPECT_TRUE(young.settlements.empty());
  EXPECT_EQ(young.target.remaining, 9);
  const auto old = PlanStockGate(
      "s", Gate(9, 0, {{"u", 1}}, {Res(kG2, 1, "u", 61000)}), truth, kOptions);
  ASSERT_EQ(old.settlements.size(), 1u);
  EXPECT_EQ(old.settlements[0].kind, GateSettlement::Kind::kRelease);
  EXPECT_NE(old.settlements[0].why.find("stranded"), std::string::npos);
  EXPECT_EQ(old.target.remaining, 10);
  EXPECT_EQ(Users(old.target), "");
}

TEST(ReconcilePlan, TryCommittedWithoutThisSkuIsReleased) {
  // A repeated Try named this SKU, the original did not: PostgreSQL has the
  // barrier row but no line here.
  StockTruth truth = Truth(10, 0, {}, {});
  truth.owners[kG2] = {"", 0, "", true, false, 60000};
  const auto plan = PlanStockGate(
      "s", Gate(9, 0, {{"u", 1}}, {Res(kG2, 1, "u")}), truth, kOptions);
  ASSERT_EQ(plan.settlements.size(), 1u);
  EXPECT_NE(plan.settlements[0].why.find("without this SKU"),
            std::string::npos);
}

TEST(ReconcilePlan, DriftInEveryFieldIsListed) {
  // PostgreSQL: 6 available, limit 2, u1 holds 2 (g1 LOCKED), u2 bought 2.
  StockTruth truth = Truth(6, 2, {{"u1", 2}, {"u2", 2}}, {{kG1, "u1", 2}});
  truth.owners[kG3] = {};  // in flight, 1 unit of u3
  const auto plan =
      PlanStockGate("s",
                    Gate(9, 5, {{"u2", 7}, {"u3", 1}, {"ghost", 4}},
                         {Res(kG3, 1, "u3"), Res(kG2, 1, "u2", 10)}),
                    truth, kOptions);
  // g2 and g3 are unknown to PostgreSQL and young: in flight, kept, and
  // their 2 units stay taken.
  EXPECT_EQ(plan.target.remaining, 4);
  EXPECT_EQ(plan.target.per_user_limit, 2);
  EXPECT_EQ(Users(plan.target), "u1=2,u2=3,u3=1,");
  EXPECT_EQ(Reservations(plan.target),
            std::string(kG1) + "=2/u1," + kG2 + "=1/u2," + kG3 + "=1/u3,");
  EXPECT_TRUE(Mentions(plan, "remaining 9 -> 4"));
  EXPECT_TRUE(Mentions(plan, "per-user limit 5 -> 2"));
  EXPECT_TRUE(Mentions(plan, "user u1 units 0 -> 2"));
  EXPECT_TRUE(Mentions(plan, "user u2 units 7 -> 3"));
  EXPECT_TRUE(Mentions(plan, "user ghost units 4 -> 0"));
  EXPECT_TRUE(Mentions(plan, std::string("reservation ") + kG1));
  EXPECT_TRUE(Mentions(plan, "added: LOCKED in PostgreSQL"));
  EXPECT_EQ(plan.in_flight, 2);
  EXPECT_EQ(plan.differences.size(), 6u);
}

TEST(ReconcilePlan, ReservationQuantityFollowsPostgres) {
  const auto plan =
      PlanStockGate("s", Gate(7, 0, {{"u1", 3}}, {Res(kG1, 2, "u1")}),
                    Truth(7, 0, {{"u1", 3}}, {{kG1, "u1", 3}}), kOptions);
  ASSERT_EQ(plan.differences.size(), 1u);
  EXPECT_TRUE(Mentions(plan, "2 units of user u1 -> 3 units of user u1"));
  EXPECT_EQ(Reservations(plan.target), std::string(kG1) + "=3/u1,");
}

}  // namespace
}  // namespace turnstile::inventory
