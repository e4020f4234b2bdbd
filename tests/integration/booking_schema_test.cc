// The booking database (sql/booking) against a real PostgreSQL: migrated by
// its owner (not a superuser, so btree_gist must be creatable as a trusted
// extension), the exclusion constraint refusing overlapping ranges of one
// resource (23P01) and accepting adjacent ones, the CHECKs, and 50
// concurrent inserters of overlapping two-machine groups: never an overlap,
// every loser refused with 23P01 or 40P01, which
// services/booking/booking_errors.h maps to SLOT_TAKEN (never INTERNAL);
// and the per-identity quota functions under concurrent takers.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <thread>
#include <vector>

#include "services/booking/booking_errors.h"
#include "services/common/migrate.h"
#include "services/common/status.h"
#include "tests/support/pg_cluster.h"

namespace turnstile::booking {
namespace {

using turnstile::testing::SharedPg;

class BookingSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SharedPg().CreateDatabase(db_, "booking");
    auto applied = Migrate(Owner(), MigrationDir("booking"));
    ASSERT_TRUE(applied.ok()) << applied.status();
    EXPECT_EQ(*applied, 4);
  }

  std::string Owner() const { return SharedPg().OwnerConninfo(db_, "booking"); }
  std::string Q(const std::string& sql) { return SharedPg().Query(db_, sql); }

  // Inserts one HELD booking of `resource` over `range` ("[18,22)").
  static void Insert(pqxx::work& tx, const std::string& resource,
                     const std::string& range) {
    tx.exec_params(
        "INSERT INTO booking (gate_key, resource_id, during, day, state, gid,"
        " branch_id, user_id, deadline) VALUES ('v:cafe:2026-12-24', $1,"
        " $2::int4range, '2026-12-24', 'HELD', gen_random_uuid(), 'b1',"
        " 'u1', now() + interval '5 minutes')",
        resource, range);
  }

  // Inserts and commits; returns the SQLSTATE of the refusal ("" if none).
  std::string TryInsert(const std::string& resource, const std::string& range) {
    pqxx::connection conn(Owner());
    try {
      pqxx::work tx(conn);
      Insert(tx, resource, range);
      tx.commit();
      return "";
    } catch (const pqxx::sql_error& e) {
      last_status_ = BookingStatusFromException(e, ResourceKind::kMachine);
      return e.sqlstate();
    }
  }

  const std::string db_ = "booking_schema_test";
  absl::Status last_status_;
};

TEST_F(BookingSchemaTest, OwnerIsNoSuperuserAndMigrationIsIdempotent) {
  pqxx::connection conn(Owner());
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT rolsuper::text FROM pg_roles WHERE rolname ="
                     " current_user")[0]
                .as<std::string>(),
            "false");
  EXPECT_EQ(Q("SELECT count(*) FROM pg_extension WHERE extname ="
              " 'btree_gist'"),
            "1");
  auto again = Migrate(Owner(), MigrationDir("booking"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
}

TEST_F(BookingSchemaTest, OverlapIsRefusedAdjacentIsNot) {
  const std::string m1 = "m:cafe:a1:2026-12-24";
  EXPECT_EQ(TryInsert(m1, "[18,22)"), "");
  EXPECT_EQ(TryInsert(m1, "[22,24)"), "");  // adjacent: both sell
  EXPECT_EQ(TryInsert(m1, "[10,18)"), "");
  for (const char* overlapping :
       {"[21,23)", "[18,22)", "[19,20)", "[0,30)", "[17,19)", "[23,24)"}) {
    EXPECT_EQ(TryInsert(m1, overlapping), "23P01") << overlapping;
    EXPECT_EQ(last_status_.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ReasonOf(last_status_), "SLOT_TAKEN");
  }
  // Another resource (another machine, the same machine another day) is
  // free over the same range.
  EXPECT_EQ(TryInsert("m:cafe:a2:2026-12-24", "[18,22)"), "");
  EXPECT_EQ(TryInsert("m:cafe:a1:2026-12-25", "[18,22)"), "");
  EXPECT_EQ(Q("SELECT count(*) FROM booking"), "5");
  // The seat flavour of the same error.
  pqxx::connection conn(Owner());
  pqxx::work tx(conn);
  try {
    Insert(tx, m1, "[20,21)");
    FAIL() << "overlap accepted";
  } catch (const pqxx::sql_error& e) {
    const absl::Status status =
        BookingStatusFromException(e, ResourceKind::kSeat);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ReasonOf(status), "SEAT_TAKEN");
  }
}

TEST_F(BookingSchemaTest, ChecksRefuseBadRows) {
  const std::string m1 = "m:cafe:a1:2026-12-24";
  for (const char* bad : {"[5,5)", "empty", "[-1,3)"}) {
    EXPECT_EQ(TryInsert(m1, bad), "23514") << bad;  // check_violation
    // Not "taken": the ordinary constraint mapping.
    EXPECT_EQ(ReasonOf(last_status_), "CONSTRAINT") << bad;
  }
  EXPECT_EQ(TryInsert("x:cafe", "[1,2)"), "23514");
  // A reversed range does not even parse as a range.
  EXPECT_EQ(TryInsert(m1, "[5,3)"), "22000");
  // A hold must carry its transaction's deadline.
  pqxx::connection conn(Owner());
  pqxx::work tx(conn);
  EXPECT_THROW(tx.exec("INSERT INTO booking (gate_key, resource_id, during,"
                       " day, state, gid, branch_id, user_id) VALUES ('g',"
                       " 's:G1:2026-12-24:1A', '[0,2)', '2026-12-24', 'HELD',"
                       " gen_random_uuid(), 'b', 'u')"),
               pqxx::check_violation);
}

TEST_F(BookingSchemaTest, CatalogueConstraints) {
  pqxx::connection conn(Owner());
  {
    pqxx::work tx(conn);
    tx.exec(
        "INSERT INTO venue VALUES ('cafe', 'Cafe', 'Asia/Shanghai',"
        " 'CNY', 1080, 360, 30)");  // 18:00-06:00
    tx.exec("INSERT INTO zone VALUES ('cafe', 'vip', 'VIP', 1500)");
    tx.exec("INSERT INTO package VALUES ('cafe', 'vip', '4h', 4, 5000)");
    tx.exec("INSERT INTO machine VALUES ('cafe', 'vip', 'v01')");
    tx.exec(
        "INSERT INTO run VALUES ('G1234:2026-12-24', 'G1234',"
        " '2026-12-24', 'CNY')");
    tx.exec(
        "INSERT INTO stop VALUES ('G1234:2026-12-24', 0, 'Beijing',"
        " '2026-12-24 08:00+08'), ('G1234:2026-12-24', 1, 'Jinan',"
        " '2026-12-24 09:30+08')");
    tx.exec("INSERT INTO seat_class VALUES ('G1234:2026-12-24', '2nd', 800)");
    tx.exec(
        "INSERT INTO run_seat VALUES ('G1234:2026-12-24', '05-01A', 5, 1,"
        " '2nd')");
    tx.commit();
  }
  auto refused = [&](const std::string& sql) {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec(sql), pqxx::sql_error) << sql;
  };
  // 10:00-21:50 is not a whole number of 30-minute slots.
  refused("INSERT INTO venue VALUES ('c2', 'C', 'UTC', 'EUR', 600, 1310, 30)");
  refused("INSERT INTO venue VALUES ('c3', 'C', 'UTC', 'EUR', 600, 1440, 30)");
  refused("INSERT INTO machine VALUES ('cafe', 'nozone', 'v02')");
  refused("INSERT INTO package VALUES ('cafe', 'vip', '0h', 0, 1)");
  refused(
      "INSERT INTO run_seat VALUES ('G1234:2026-12-24', '05-01B', 5, 1,"
      " '2nd')");  // car 5 number 1 twice
  refused(
      "INSERT INTO run_seat VALUES ('G1234:2026-12-24', '01-01A', 1, 1,"
      " 'sleeper')");
}

// 50 buyers at once, each holding two machines (a group, in random order so
// that some deadlock) over random overlapping windows of one evening.
TEST_F(BookingSchemaTest, ConcurrentInsertersNeverOverlap) {
  constexpr int kBuyers = 50;
  const std::vector<std::string> machines = {"m:cafe:a1:2026-12-24",
                                             "m:cafe:a2:2026-12-24"};
  std::mutex mu;
  std::condition_variable go;
  bool started = false;
  std::atomic<int> won{0}, exclusion{0}, deadlock{0}, other{0};
  std::vector<std::string> other_errors;
  std::vector<std::thread> threads;
  for (int buyer = 0; buyer < kBuyers; ++buyer) {
    threads.emplace_back([&, buyer] {
      std::mt19937 random(buyer);
      const int from = std::uniform_int_distribution<>(14, 20)(random);
      const int to = from + std::uniform_int_distribution<>(1, 6)(random);
      const std::string range =
          "[" + std::to_string(from) + "," + std::to_string(to) + ")";
      const bool reversed = random() % 2;
      pqxx::connection conn(Owner());
      {
        std::unique_lock lock(mu);
        go.wait(lock, [&] { return started; });
      }
      try {
        pqxx::work tx(conn);
        Insert(tx, machines[reversed ? 1 : 0], range);
        Insert(tx, machines[reversed ? 0 : 1], range);
        tx.commit();
        ++won;
      } catch (const std::exception& e) {
        const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
        // libpqxx 6 reports a deadlock as its own class, without SQLSTATE.
        const std::string state =
            dynamic_cast<const pqxx::deadlock_detected*>(&e) ? "40P01"
            : sql                                            ? sql->sqlstate()
                                                             : "";
        const absl::Status status =
            BookingStatusFromException(e, ResourceKind::kMachine);
        if (state == "23P01") ++exclusion;
        if (state == "40P01") ++deadlock;
        if (status.code() != absl::StatusCode::kFailedPrecondition ||
            ReasonOf(status) != "SLOT_TAKEN") {
          ++other;
          std::lock_guard lock(mu);
          other_errors.push_back(state + " " + e.what());
        }
      }
    });
  }
  {
    std::lock_guard lock(mu);
    started = true;
  }
  go.notify_all();
  for (auto& thread : threads) thread.join();

  for (const std::string& error : other_errors) ADD_FAILURE() << error;
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(won.load(), 1);
  EXPECT_EQ(won + exclusion + deadlock, kBuyers);
  EXPECT_GE(exclusion + deadlock, 1);
  std::cout << "won " << won << ", 23P01 " << exclusion << ", 40P01 "
            << deadlock << "\n";
  // No two bookings of one machine overlap, and groups stayed whole.
  EXPECT_EQ(Q("SELECT count(*) FROM booking a JOIN booking b ON"
              " a.resource_id = b.resource_id AND a.booking_id < b.booking_id"
              " AND a.during && b.during"),
            "0");
  EXPECT_EQ(Q("SELECT count(*) FROM booking"), std::to_string(2 * won));
  EXPECT_EQ(Q("SELECT count(*) FROM booking WHERE resource_id = '" +
              machines[0] + "'"),
            std::to_string(won.load()));
}

// Two (here 30) concurrent orders cannot pass a limit together: each takes
// 1..3 units of one identity document's daily quota of 10 at once.
TEST_F(BookingSchemaTest, QuotaHoldsUnderConcurrentTakers) {
  constexpr int kTakers = 30;
  constexpr int kLimit = 10;
  std::atomic<int> granted{0}, refusals{0};
  std::atomic<bool> start{false};
  std::vector<std::thread> threads;
  for (int taker = 0; taker < kTakers; ++taker) {
    threads.emplace_back([&, taker] {
      const int n = 1 + taker % 3;
      pqxx::connection conn(Owner());
      while (!start) std::this_thread::yield();
      pqxx::work tx(conn);
      const bool ok = tx.exec_params1("SELECT booking_quota_take($1, $2, $3)",
                                      "doc:P1234567:2026-12-24", n, kLimit)[0]
                          .as<bool>();
      tx.commit();
      if (ok) {
        granted += n;
      } else {
        ++refusals;
      }
    });
  }
  start = true;
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(Q("SELECT used FROM booking_quota"), std::to_string(granted));
  EXPECT_LE(granted.load(), kLimit);
  EXPECT_GE(granted.load(), kLimit - 2);  // a refusal means it is nearly full
  EXPECT_GT(refusals.load(), 0);

  pqxx::connection conn(Owner());
  pqxx::work tx(conn);
  tx.exec("SELECT booking_quota_give('doc:P1234567:2026-12-24', 2)");
  EXPECT_FALSE(tx.exec1("SELECT booking_quota_take("
                        "'doc:P1234567:2026-12-24', 3, " +
                        std::to_string(granted) + ")")[0]
                   .as<bool>());
  EXPECT_TRUE(tx.exec1("SELECT booking_quota_take('doc:P1234567:2026-12-24',"
                       " 2, " +
                       std::to_string(granted) + ")")[0]
                  .as<bool>());
  tx.exec("SELECT booking_quota_give('doc:P1234567:2026-12-24', 100)");
  EXPECT_EQ(tx.exec1("SELECT used FROM booking_quota")[0].as<int>(), 0);
  EXPECT_THROW(tx.exec("SELECT booking_quota_take('k', 0, 5)"),
               pqxx::sql_error);
}

}  // namespace
}  // namespace turnstile::booking
