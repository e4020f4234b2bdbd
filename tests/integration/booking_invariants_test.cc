// The booking checks of turnstilectl check (tools/invariants_booking.h) and
// the range-gate comparison (tools/range_gate_check.h) against real
// PostgreSQL and Redis: a consistent state passes, and each kind of damage
// written straight into the databases or the gate is reported -- an overlap
// (with the exclusion constraint dropped for the purpose), a SOLD booking no
// PAID order accounts for, a HELD booking of a decided transaction, a quota
// count off by one, a gate missing a sale or holding a stranger's range.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "services/common/migrate.h"
#include "services/common/range_gate.h"
#include "services/common/redis_client.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"
#include "tools/invariants.h"
#include "tools/limit_gate_check.h"
#include "tools/range_gate_check.h"

namespace turnstile::tools {
namespace {

using testing::SharedPg;

constexpr char kGid[] = "01900000-0000-7000-8000-000000000001";
constexpr char kGid2[] = "01900000-0000-7000-8000-000000000002";

class BookingInvariantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string prefix = testing::TestDatabaseName("binv");
    for (const char* s :
         {"coordinator", "order", "booking", "inventory", "seat", "payment"}) {
      const std::string db = absl::StrCat(prefix, "_", s);
      SharedPg().CreateDatabase(db, s);
      auto migrated = Migrate(SharedPg().OwnerConninfo(db, s), MigrationDir(s));
      ASSERT_TRUE(migrated.ok()) << s << ": " << migrated.status();
      dbs_[s] = SharedPg().Conninfo(db);
      names_[s] = db;
    }
    // One CONFIRMED transaction whose PAID order (free: no capture needed)
    // has one leg item, and its SOLD booking with the quota units it took.
    Exec("coordinator",
         absl::StrCat("INSERT INTO global_txn (gid, request_id, state, "
                      "deadline) VALUES ('",
                      kGid, "', 'r1', 'CONFIRMED', now()), ('", kGid2,
                      "', 'r2', 'CANCELLED', now())"));
    Exec("order",
         absl::StrCat("INSERT INTO orders (order_id, user_id, request_id, "
                      "state, pay_now, total_minor, currency) VALUES ('",
                      kGid, "', 'u', 'r1', 'PAID', true, 0, 'EUR')"));
    Exec("order",
         absl::StrCat("INSERT INTO order_item (order_id, line_no, kind, "
                      "quantity, unit_price_minor, run_id, run_seat_id, "
                      "from_unit, to_unit, doc_id) VALUES ('",
                      kGid,
                      "', 1, 'leg', 1, 0, 'G1:2026-12-24', '2-1', 2, "
                      "5, 'D1')"));
    Exec("booking", Booking("HELD", kGid, "s:G1:2026-12-24:2-1", 2, 5, "D1") +
                        "; UPDATE booking SET state = 'SOLD'");
    Exec("booking",
         "INSERT INTO booking_quota VALUES ('doc:D1:2026-12-24', 1), "
         "('user-day:u:2026-12-24', 1), ('user-run:u:G1:2026-12-24', 1)");
  }

  static std::string Booking(const std::string& state, const std::string& gid,
                             const std::string& resource, int from, int to,
                             const std::string& doc) {
    return absl::StrCat(
        "INSERT INTO booking (gate_key, resource_id, during, day, state, gid, "
        "branch_id, user_id, doc_id, deadline) VALUES ('r:G1:2026-12-24', '",
        resource, "', int4range(", from, ", ", to, "), '2026-12-24', '", state,
        "', '", gid, "', 'booking', 'u', '", doc, "', now() + interval '1h')");
  }

  void Exec(const std::string& service, const std::string& sql) {
    SharedPg().Query(names_[service], sql + "; SELECT 1");
  }

  // The result of the check whose name starts with `prefix`.
  CheckResult Check(const std::string& prefix) {
    auto results = CheckInvariants(dbs_, {.horizon_seconds = 60});
    EXPECT_TRUE(results.ok()) << results.status();
    for (const auto& r : *results) {
      if (r.name.rfind(prefix, 0) == 0) return r;
    }
    ADD_FAILURE() << "no check " << prefix;
    return {};
  }

  Databases dbs_;
  std::map<std::string, std::string> names_;
};

TEST_F(BookingInvariantsTest, ConsistentStatePasses) {
  auto results = CheckInvariants(dbs_, {.horizon_seconds = 60});
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_TRUE(AllOk(*results)) << FormatResults(*results);
  int booking_checks = 0;
  for (const auto& r : *results)
    booking_checks += r.name.rfind("bookings:", 0) == 0;
  EXPECT_EQ(booking_checks, 4) << FormatResults(*results);
}

TEST_F(BookingInvariantsTest, OverlapIsReported) {
  Exec("booking",
       "ALTER TABLE booking DROP CONSTRAINT booking_resource_id_during_excl");
  Exec("booking", Booking("SOLD", kGid, "s:G1:2026-12-24:2-1", 4, 6, "D2"));
  EXPECT_FALSE(Check("bookings: no two").ok);
}

TEST_F(BookingInvariantsTest, SoldWithoutPaidOrderIsReported) {
  Exec("order", absl::StrCat("UPDATE orders SET state = 'FAILED' WHERE "
                             "order_id = '",
                             kGid, "'"));
  EXPECT_FALSE(Check("bookings: every SOLD").ok);
}

TEST_F(BookingInvariantsTest, HeldOfDecidedTransactionIsReported) {
  Exec("booking", Booking("HELD", kGid2, "s:G1:2026-12-24:2-2", 0, 1, "D3"));
  Exec("booking",
       "UPDATE booking_quota SET used = used + 1 WHERE quota_key LIKE "
       "'user-%'; INSERT INTO booking_quota VALUES ('doc:D3:2026-12-24', 1)");
  EXPECT_FALSE(Check("bookings: no HELD").ok);
  EXPECT_TRUE(Check("bookings: quota").ok);
}

TEST_F(BookingInvariantsTest, QuotaDriftIsReported) {
  Exec("booking",
       "UPDATE booking_quota SET used = 2 WHERE quota_key = "
       "'doc:D1:2026-12-24'");
  EXPECT_FALSE(Check("bookings: quota").ok);
}

TEST_F(BookingInvariantsTest, RangeGatesAgainstPostgres) {
  auto& redis_server = testing::SharedRedis();
  redis_server.FlushAll();
  RedisClient redis(redis_server.Options());
  RangeGate gate(&redis);
  // Missing gate: reported.
  auto result = CheckRangeGates(dbs_["booking"], gate);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->ok);
  // The gate as PostgreSQL has it: passes.
  RangeInitSpec spec;
  spec.units = 9;
  spec.ranges.push_back({"s:G1:2026-12-24:2-1", 2, 5, GateRangeState::kSold,
                         absl::StrCat(kGid, ":booking"), 0});
  auto init = gate.Init("r:G1:2026-12-24", spec);
  ASSERT_TRUE(init.ok() && init->status == GateStatus::kOk);
  result = CheckRangeGates(dbs_["booking"], gate);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->ok) << result->detail;
  // A hold PostgreSQL does not have: reported.
  auto hold = gate.Hold("r:G1:2026-12-24", GateOwner{kGid2, "booking"},
                        {RangeItem{"s:G1:2026-12-24:2-2", 0, 3}},
                        absl::ToUnixMillis(absl::Now()) + 60000);
  ASSERT_TRUE(hold.ok() && hold->status == GateStatus::kOk);
  result = CheckRangeGates(dbs_["booking"], gate);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->ok);
}

TEST_F(BookingInvariantsTest, DayLimitGatesAgainstPostgres) {
  auto& redis_server = testing::SharedRedis();
  redis_server.FlushAll();
  RedisClient redis(redis_server.Options());
  LimitGate gate(&redis);
  // No gate for the day (no day limits, or not rebuilt yet): nothing to
  // compare.
  auto result = CheckLimitGates(dbs_["booking"], gate);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->ok) << result->detail;
  const std::string owner = absl::StrCat(kGid, ":booking");
  const int64_t expire_at = absl::ToUnixMillis(absl::Now()) + 86400000;
  // The doc counter as PostgreSQL has it (user-day not tracked): passes.
  auto init = gate.Init("2026-12-24", GateInitMode::kRepair, 0, expire_at,
                        {{owner, "doc:D1:2026-12-24", 1, 0}});
  ASSERT_TRUE(init.ok() && init->status == GateStatus::kOk);
  result = CheckLimitGates(dbs_["booking"], gate);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->ok) << result->detail;
  // A count PostgreSQL does not have: reported.
  auto taken =
      gate.Take("2026-12-24", GateOwner{kGid2, "booking"},
                {{"doc:D2:2026-12-24", 1, 10}}, expire_at - 3600000, expire_at);
  ASSERT_TRUE(taken.ok() && taken->status == GateStatus::kOk);
  result = CheckLimitGates(dbs_["booking"], gate);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->ok);
  // A tracked kind missing a counter PostgreSQL has: reported.
  init = gate.Init("2026-12-24", GateInitMode::kRepair, init->ver + 1,
                   expire_at, {{owner, "user-day:u:2026-12-24", 1, 0}});
  ASSERT_TRUE(init.ok() && init->status == GateStatus::kOk) << init->message;
  Exec("booking",
       "INSERT INTO booking_quota VALUES ('user-day:v:2026-12-24', 1)");
  result = CheckLimitGates(dbs_["booking"], gate);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->ok);
  EXPECT_NE(result->detail.find("user-day:v:2026-12-24"), std::string::npos)
      << result->detail;
}

}  // namespace
}  // namespace turnstile::tools
