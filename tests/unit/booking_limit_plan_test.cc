// The day-limit gate's pure side (services/booking/limit_plan.h): which
// counters a Try takes under which limits, the uses a day's bookings imply
// (grouped per branch, held until deadline + margin or sold for good), live
// totals, and the differences listed by the reconciler.
#include <gtest/gtest.h>

#include "services/booking/limit_plan.h"
#include "services/booking/quota.h"

namespace turnstile::booking {
namespace {

const absl::CivilDay kDay(2026, 12, 24);

HoldCommand LegCommand(const std::vector<std::string>& docs) {
  HoldCommand c;
  c.gid = "G";
  c.branch_id = "booking";
  c.user_id = "alice";
  c.gate_key = "r:G1:2026-12-24";
  c.day = kDay;
  for (const std::string& d : docs) c.items.push_back({"", {0, 1}, d});
  return c;
}

TEST(DayLimitCounters, KeepsOnlyLimitedDayKinds) {
  HoldCommand c = LegCommand({"P1", "P2"});
  c.limits = {10, 0, 4};
  auto counters = DayLimitCounters(QuotaTakes(c), c.limits);
  ASSERT_EQ(counters.size(), 2u);  // no user-day (unlimited), no user-run
  EXPECT_EQ(counters[0].name, "doc:P1:2026-12-24");
  EXPECT_EQ(counters[0].units, 1);
  EXPECT_EQ(counters[0].limit, 10);
  c.limits = {0, 5, 0};
  counters = DayLimitCounters(QuotaTakes(c), c.limits);
  ASSERT_EQ(counters.size(), 1u);
  EXPECT_EQ(counters[0].name, "user-day:alice:2026-12-24");
  EXPECT_EQ(counters[0].units, 2);
  EXPECT_EQ(counters[0].limit, 5);
  c.limits = {0, 0, 3};
  EXPECT_TRUE(DayLimitCounters(QuotaTakes(c), c.limits).empty());
}

TEST(DayLimitUses, GroupsBranchesAndSetsExpiry) {
  std::vector<DayBookingRow> rows;
  auto row = [](const std::string& gid, const std::string& doc, bool held,
                int64_t deadline) {
    DayBookingRow r;
    r.gid = gid;
    r.branch_id = "booking";
    r.user_id = "alice";
    r.gate_key = "r:G1:2026-12-24";
    r.booking.resource_id = "s:G1:2026-12-24:" + doc;
    r.booking.state = held ? BookingState::kHeld : BookingState::kSold;
    r.booking.doc_id = doc;
    r.deadline_ms = deadline;
    return r;
  };
  rows.push_back(row("AAA", "P1", true, 1000));
  rows.push_back(row("AAA", "P2", true, 1000));
  rows.push_back(row("BBB", "P3", false, 0));
  const auto uses = DayLimitUses(rows, kDay, {10, 5, 0}, 30);
  ASSERT_EQ(uses.size(), 5u);
  EXPECT_EQ(uses[0].owner, "aaa:booking");
  EXPECT_EQ(uses[0].counter, "doc:P1:2026-12-24");
  EXPECT_EQ(uses[0].expiry_ms, 1030);
  EXPECT_EQ(uses[2].counter, "user-day:alice:2026-12-24");
  EXPECT_EQ(uses[2].units, 2);
  EXPECT_EQ(uses[4].owner, "bbb:booking");
  EXPECT_EQ(uses[4].counter, "user-day:alice:2026-12-24");
  EXPECT_EQ(uses[4].expiry_ms, 0);

  const auto totals = LiveTotals(uses, 1029);
  ASSERT_EQ(totals.size(), 4u);
  EXPECT_EQ(totals[3].first, "user-day:alice:2026-12-24");
  EXPECT_EQ(totals[3].second, 3);
  const auto lapsed = LiveTotals(uses, 1030);  // AAA's holds lapsed
  ASSERT_EQ(lapsed.size(), 2u);
  EXPECT_EQ(lapsed[1].second, 1);
}

TEST(LimitDifferences, ListsEveryCounterThatDiffers) {
  const auto d = LimitDifferences({{"a", 1}, {"b", 2}}, {{"b", 2}, {"c", 3}});
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], "a gate 1, postgres 0");
  EXPECT_EQ(d[1], "c gate 0, postgres 3");
  EXPECT_TRUE(LimitDifferences({{"a", 1}}, {{"a", 1}}).empty());
}

TEST(LimitExpireAt, ThreeDaysAfterTheDayBegan) {
  EXPECT_EQ(LimitDay(kDay), "2026-12-24");
  // 2026-12-27T00:00:00Z
  EXPECT_EQ(LimitExpireAtMs(kDay), 1798329600000);
}

}  // namespace
}  // namespace turnstile::booking
