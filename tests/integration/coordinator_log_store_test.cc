// The coordinator log's SQL against a real PostgreSQL (schema from
// sql/coordinator): claims with FOR UPDATE SKIP LOCKED and a lease never hand
// the same transaction to two claimers, the deadline sweep only moves expired
// TRYING rows, a delivery round finishes a transaction only when no branch is
// left, retention deletes only old finished transactions (with their
// branches), and the operators' stuck filter lists what the gauge counts.
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "services/common/migrate.h"
#include "services/common/uuid.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_process.h"
#include "txn-coordinator/group_commit.h"
#include "txn-coordinator/log_store.h"
#include "txn-coordinator/retention.h"
#include "txn-coordinator/txn_ops.h"

namespace turnstile::coordinator {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using testing::SharedPg;

class LogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabaseName("log");
    SharedPg().CreateDatabase(db_, "coordinator");
    auto applied = Migrate(SharedPg().OwnerConninfo(db_, "coordinator"),
                           MigrationDir("coordinator"));
    ASSERT_TRUE(applied.ok()) << applied.status();
    pool_ = std::make_unique<PgPool>(
        SharedPg().OwnerConninfo(db_, "coordinator"), 8, LogStore::Prepare);
    log_ = std::make_unique<LogStore>(pool_.get(), "replica-a",
                                      milliseconds(5000));
    writer_ = std::make_unique<GroupCommit>(
        SharedPg().OwnerConninfo(db_, "coordinator"), LogStore::Prepare,
        GroupCommitOptions{64, microseconds(500)});
  }

  std::string Sql(const std::string& sql) const {
    return SharedPg().Query(db_, sql);
  }
  void Exec(const std::string& sql) const {
    pqxx::connection conn(SharedPg().Conninfo(db_));
    pqxx::nontransaction(conn).exec(sql);
  }
  // Inserts a transaction in `state` with `branches` REGISTERED branches.
  std::string Insert(const std::string& state, const std::string& deadline,
                     const std::string& next_attempt, int branches = 1,
                     const std::string& updated = "now()") {
    const std::string gid = NewUuidV7();
    Exec(
        "INSERT INTO global_txn (gid, request_id, state, deadline, "
        "next_attempt_at, updated_at) VALUES ('" +
        gid + "', '" + gid + "', '" + state + "', " + deadline + ", " +
        next_attempt + ", " + updated + ")");
    for (int i = 0; i < branches; ++i) {
      Exec("INSERT INTO branch (gid, branch_id, participant) VALUES ('" + gid +
           "', 'b" + std::to_string(i) + "', 'payment')");
    }
    return gid;
  }

  std::string db_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<LogStore> log_;
  std::unique_ptr<GroupCommit> writer_;
};

TEST_F(LogStoreTest, ClaimTakesALeaseSoASecondClaimerGetsNothing) {
  const std::string due =
      Insert("CONFIRMING", "now()", "now() - interval '1 s'");
  Insert("CONFIRMING", "now()", "now() + interval '1 hour'");  // not due
  Insert("TRYING", "now() + interval '1 hour'", "NULL");
  Insert("CONFIRMED", "now()", "NULL");
  auto claimed = log_->ClaimDue(10);
  ASSERT_TRUE(claimed.ok()) << claimed.status();
  ASSERT_EQ(*claimed, std::vector<std::string>{due});
  EXPECT_EQ(Sql("SELECT lease_owner || '/' || (next_attempt_at > now() + "
                "interval '4 s')::text || '/' || (lease_until IS NOT "
                "NULL)::text FROM global_txn WHERE gid = '" +
                due + "'"),
            "replica-a/true/true");
  LogStore other(pool_.get(), "replica-b", milliseconds(5000));
  auto again = other.ClaimDue(10);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty()) << "leased work is not claimed twice";
}

TEST_F(LogStoreTest, ConcurrentClaimersSplitTheWorkWithoutOverlap) {
  constexpr int kTxns = 120;
  for (int i = 0; i < kTxns; ++i) {
    Insert(i % 2 ? "CONFIRMING" : "CANCELLING", "now()",
           "now() - interval '1 s'");
  }
  std::mutex mu;
  std::vector<std::string> all;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      LogStore replica(pool_.get(), "replica-" + std::to_string(t),
                       milliseconds(60000));
      while (true) {
        auto claimed = replica.ClaimDue(7);
        ASSERT_TRUE(claimed.ok()) << claimed.status();
        if (claimed->empty()) return;
        std::lock_guard lock(mu);
        all.insert(all.end(), claimed->begin(), claimed->end());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(all.size(), static_cast<size_t>(kTxns));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(),
            static_cast<size_t>(kTxns))
      << "no transaction was handed to two claimers";
  EXPECT_EQ(Sql("SELECT count(*) FROM global_txn WHERE lease_owner IS NULL"),
            "0");
}

TEST_F(LogStoreTest, DeadlineSweepMovesOnlyExpiredTrying) {
  const std::string expired =
      Insert("TRYING", "now() - interval '1 s'", "NULL");
  const std::string live =
      Insert("TRYING", "now() + interval '1 hour'", "NULL");
  const std::string decided =
      Insert("CONFIRMING", "now() - interval '1 s'", "now() + interval '1 h'");
  auto moved = log_->CancelExpired(100);
  ASSERT_TRUE(moved.ok()) << moved.status();
  ASSERT_EQ(*moved, std::vector<std::string>{expired});
  EXPECT_EQ(Sql("SELECT state || '/' || cancel_reason || '/' || lease_owner || "
                "'/' || (next_attempt_at > now())::text FROM global_txn WHERE "
                "gid = '" +
                expired + "'"),
            "CANCELLING/2/replica-a/true");
  EXPECT_EQ(Sql("SELECT state FROM global_txn WHERE gid = '" + live + "'"),
            "TRYING");
  EXPECT_EQ(Sql("SELECT state FROM global_txn WHERE gid = '" + decided + "'"),
            "CONFIRMING");
  auto twice = log_->CancelExpired(100);
  ASSERT_TRUE(twice.ok());
  EXPECT_TRUE(twice->empty());
}

TEST_F(LogStoreTest, RoundFinishesOnlyWhenNoBranchIsLeft) {
  const std::string gid =
      Insert("CONFIRMING", "now()", "now() + interval '5 s'", 2);
  RoundResult out;
  // b0 delivered, b1 failed: stays CONFIRMING, due when b1 is.
  ASSERT_TRUE(writer_
                  ->Run([&](pqxx::work& tx) {
                    return RecordRound(
                        *log_, tx, gid, TxnState::kConfirming,
                        {Delivery{"b0", true, "", milliseconds(0)},
                         Delivery{"b1", false, "UNAVAILABLE: down",
                                  milliseconds(60000)}},
                        &out);
                  })
                  .ok());
  EXPECT_FALSE(out.finished);
  ASSERT_EQ(out.failed_attempts.size(), 1u);
  EXPECT_EQ(out.failed_attempts[0].second, 1);
  EXPECT_EQ(Sql("SELECT state || '/' || attempts FROM branch WHERE gid = '" +
                gid + "' AND branch_id = 'b0'"),
            "CONFIRMED/1");
  EXPECT_EQ(Sql("SELECT state || '/' || attempts || '/' || last_error FROM "
                "branch WHERE gid = '" +
                gid + "' AND branch_id = 'b1'"),
            "REGISTERED/1/UNAVAILABLE: down");
  // The transaction is due when its earliest branch is, lease released.
  EXPECT_EQ(Sql("SELECT (g.next_attempt_at = b.next_attempt_at)::text || '/' "
                "|| (g.lease_owner IS NULL)::text FROM global_txn g JOIN "
                "branch b USING (gid) WHERE g.gid = '" +
                gid + "' AND b.branch_id = 'b1'"),
            "true/true");
  auto snap = log_->LoadForDrive(gid);
  ASSERT_TRUE(snap.ok());
  ASSERT_EQ(snap->pending.size(), 1u);
  EXPECT_FALSE(snap->pending[0].due) << "backing off for 60 s";

  ASSERT_TRUE(writer_
                  ->Run([&](pqxx::work& tx) {
                    return RecordRound(*log_, tx, gid, TxnState::kConfirming,
                                       {Delivery{"b1", true, "", {}}}, &out);
                  })
                  .ok());
  EXPECT_TRUE(out.finished);
  EXPECT_EQ(out.state, TxnState::kConfirmed);
  EXPECT_EQ(Sql("SELECT state || '/' || (next_attempt_at IS NULL)::text FROM "
                "global_txn WHERE gid = '" +
                gid + "'"),
            "CONFIRMED/true");
  EXPECT_EQ(Sql("SELECT attempts FROM branch WHERE gid = '" + gid +
                "' AND branch_id = 'b1'"),
            "2");
}

TEST_F(LogStoreTest, MakeDueResetsBackoffOnlyWhileDelivering) {
  const std::string gid =
      Insert("CANCELLING", "now()", "now() + interval '1 hour'", 2);
  Exec("UPDATE branch SET next_attempt_at = now() + interval '1 hour'");
  auto r = log_->MakeDue(gid);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->reset);
  EXPECT_EQ(Sql("SELECT count(*) FROM branch WHERE gid = '" + gid +
                "' AND next_attempt_at <= now() + interval '1 s'"),
            "2");
  auto claimed = log_->ClaimDue(10);
  ASSERT_TRUE(claimed.ok());
  EXPECT_EQ(claimed->size(), 1u);
  const std::string trying = Insert("TRYING", "now() + interval '1 h'", "NULL");
  r = log_->MakeDue(trying);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->reset);
  EXPECT_EQ(r->state, TxnState::kTrying);
  r = log_->MakeDue(NewUuidV7());
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->state.has_value());
}

TEST_F(LogStoreTest, RetentionDeletesOldFinishedTransactionsInBatches) {
  for (int i = 0; i < 25; ++i) {
    Insert(i % 2 ? "CONFIRMED" : "CANCELLED", "now()", "NULL", 2,
           "now() - interval '80 hours'");
  }
  const std::string recent = Insert("CONFIRMED", "now()", "NULL", 2);
  const std::string old_open =
      Insert("CONFIRMING", "now()", "now()", 2, "now() - interval '80 hours'");
  Retention retention(RetentionOptions{hours(72), milliseconds(60000), 10},
                      log_.get());
  EXPECT_EQ(retention.RunOnce(), 25);
  EXPECT_EQ(Sql("SELECT count(*) FROM global_txn"), "2");
  EXPECT_EQ(Sql("SELECT count(*) FROM branch"), "4") << "branches cascade";
  EXPECT_EQ(Sql("SELECT count(*) FROM global_txn WHERE gid IN ('" + recent +
                "', '" + old_open + "')"),
            "2");
  EXPECT_EQ(retention.RunOnce(), 0);
}

TEST_F(LogStoreTest, StuckBranchesAreCountedByAttemptsOrByAge) {
  const milliseconds stuck_after(60000), horizon(600000);
  auto gauges = [&] {
    auto g = log_->ReadGauges(stuck_after, horizon);
    EXPECT_TRUE(g.ok()) << g.status();
    return g.ok() ? *g : LogGauges{};
  };
  EXPECT_EQ(gauges().stuck_branches, 0) << "empty log";

  // Past the attempt limit, whatever the age: b0 and b1 (b2 is at it).
  const std::string many = Insert("CONFIRMING", "now()", "now()", 3);
  Exec("UPDATE branch SET attempts = 11 WHERE gid = '" + many +
       "' AND branch_id IN ('b0', 'b1')");
  Exec("UPDATE branch SET attempts = 10 WHERE gid = '" + many +
       "' AND branch_id = 'b2'");
  EXPECT_EQ(gauges().stuck_branches, 2);
  Exec("UPDATE branch SET state = 'CONFIRMED' WHERE gid = '" + many +
       "' AND branch_id = 'b0'");
  EXPECT_EQ(gauges().stuck_branches, 1) << "a delivered branch is not stuck";

  // Decided more than stuck_after ago: stuck from the first failure on,
  // never before it (in flight for the first time).
  const std::string old_failing =
      Insert("CANCELLING", "now()", "now()", 2, "now() - interval '2 minutes'");
  Exec("UPDATE branch SET attempts = 1 WHERE gid = '" + old_failing +
       "' AND branch_id = 'b0'");
  EXPECT_EQ(gauges().stuck_branches, 2) << "b1 never failed";
  // Decided recently, failing a few times: not yet stuck.
  const std::string young = Insert("CONFIRMING", "now()", "now()", 1,
                                   "now() - interval '30 seconds'");
  Exec("UPDATE branch SET attempts = 3 WHERE gid = '" + young + "'");
  EXPECT_EQ(gauges().stuck_branches, 2);
  // A shorter stuck_after counts it.
  auto shorter = log_->ReadGauges(milliseconds(10000), horizon);
  ASSERT_TRUE(shorter.ok());
  EXPECT_EQ(shorter->stuck_branches, 3);

  // Only branches of decided transactions: a TRYING one is not delivered.
  const std::string trying = Insert("TRYING", "now() + interval '1 hour'",
                                    "NULL", 1, "now() - interval '1 hour'");
  Exec("UPDATE branch SET attempts = 12 WHERE gid = '" + trying + "'");
  EXPECT_EQ(gauges().stuck_branches, 2);
}

TEST_F(LogStoreTest, GaugesCountOpenAndOverdueTransactionsAndTheOldest) {
  const milliseconds horizon(600000);
  auto gauges = [&] {
    auto g = log_->ReadGauges(milliseconds(300000), horizon);
    EXPECT_TRUE(g.ok()) << g.status();
    return g.ok() ? *g : LogGauges{};
  };
  LogGauges g = gauges();
  EXPECT_EQ(g.trying + g.confirming + g.cancelling + g.overdue, 0);
  EXPECT_EQ(g.oldest_undelivered_age_s, 0);

  Insert("TRYING", "now() + interval '1 minute'", "NULL");
  Insert("TRYING", "now() - interval '11 minutes'", "NULL");  // overdue
  Insert("TRYING", "now() - interval '9 minutes'", "NULL");   // not yet
  Insert("CONFIRMING", "now() - interval '20 minutes'", "now()", 1,
         "now() - interval '90 seconds'");  // overdue, the oldest decision
  Insert("CONFIRMING", "now() + interval '1 minute'", "now()", 1,
         "now() - interval '10 seconds'");
  Insert("CANCELLING", "now() - interval '1 minute'", "now()");
  // Final ones count nowhere, however old.
  Insert("CONFIRMED", "now() - interval '1 day'", "NULL", 1,
         "now() - interval '1 day'");
  Insert("CANCELLED", "now() - interval '1 day'", "NULL", 1,
         "now() - interval '1 day'");

  g = gauges();
  EXPECT_EQ(g.trying, 3);
  EXPECT_EQ(g.confirming, 2);
  EXPECT_EQ(g.cancelling, 1);
  EXPECT_EQ(g.overdue, 2);
  EXPECT_GE(g.oldest_undelivered_age_s, 89);
  EXPECT_LT(g.oldest_undelivered_age_s, 150);
  // A longer horizon: nothing is overdue yet.
  auto longer = log_->ReadGauges(milliseconds(300000), milliseconds(3600000));
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(longer->overdue, 0);
}

TEST_F(LogStoreTest, GaugeQueryUsesThePartialIndexesNotATableScan) {
  // Many finished transactions and a few open ones: the statement must not
  // read the finished history (retention keeps days of it).
  Exec(
      "INSERT INTO global_txn (gid, request_id, state, deadline, updated_at) "
      "SELECT gen_random_uuid(), 'f' || i, "
      " CASE WHEN i % 2 = 0 THEN 'CONFIRMED' ELSE 'CANCELLED' END, "
      " now() - interval '1 day', now() - interval '1 day' "
      "FROM generate_series(1, 20000) AS i");
  Exec(
      "INSERT INTO branch (gid, branch_id, participant, state, attempts) "
      "SELECT gid, 'payment', 'payment', 'CONFIRMED', 1 FROM global_txn");
  Insert("TRYING", "now() + interval '1 minute'", "NULL");
  Insert("CONFIRMING", "now()", "now()", 2);
  Exec("ANALYZE global_txn");
  Exec("ANALYZE branch");
  pqxx::connection conn(SharedPg().OwnerConninfo(db_, "coordinator"));
  LogStore::Prepare(conn);
  pqxx::nontransaction tx(conn);
  tx.exec_prepared("cc_gauges", 300000, 600000);  // libpqxx prepares lazily
  std::string plan;
  for (const auto& row : tx.exec("EXPLAIN EXECUTE cc_gauges(300000, 600000)")) {
    plan += std::string(row[0].c_str()) + "\n";
  }
  EXPECT_EQ(plan.find("Seq Scan on global_txn"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Seq Scan on branch"), std::string::npos) << plan;
  auto g = log_->ReadGauges(milliseconds(300000), milliseconds(600000));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->trying, 1);
  EXPECT_EQ(g->confirming, 1);
}

// The stuck filter of ListTransactions: the transactions with a branch the
// gauge counts (same log as StuckBranchesAreCountedByAttemptsOrByAge).
TEST_F(LogStoreTest, StuckFilterListsTheTransactionsTheGaugeCounts) {
  const std::string many = Insert("CONFIRMING", "now()", "now()", 3);
  Exec("UPDATE branch SET attempts = 11 WHERE gid = '" + many +
       "' AND branch_id IN ('b0', 'b1')");
  const std::string at_limit = Insert("CONFIRMING", "now()", "now()", 1);
  Exec("UPDATE branch SET attempts = 10 WHERE gid = '" + at_limit + "'");
  const std::string old_failing =
      Insert("CANCELLING", "now()", "now()", 2, "now() - interval '2 minutes'");
  Exec("UPDATE branch SET attempts = 1 WHERE gid = '" + old_failing +
       "' AND branch_id = 'b0'");
  const std::string old_never_failed =
      Insert("CANCELLING", "now()", "now()", 1, "now() - interval '2 minutes'");
  const std::string young = Insert("CONFIRMING", "now()", "now()", 1,
                                   "now() - interval '30 seconds'");
  Exec("UPDATE branch SET attempts = 3 WHERE gid = '" + young + "'");
  const std::string trying = Insert("TRYING", "now() + interval '1 hour'",
                                    "NULL", 1, "now() - interval '1 hour'");
  Exec("UPDATE branch SET attempts = 12 WHERE gid = '" + trying + "'");
  const std::string done =
      Insert("CONFIRMED", "now()", "NULL", 1, "now() - interval '1 hour'");
  Exec("UPDATE branch SET attempts = 12, state = 'CONFIRMED' WHERE gid = '" +
       done + "'");

  auto list = [&](ListFilter f) {
    auto rows = log_->List(f);
    EXPECT_TRUE(rows.ok()) << rows.status();
    std::set<std::string> gids;
    if (rows.ok()) {
      for (const auto& t : *rows) gids.insert(t.gid);
    }
    return gids;
  };
  ListFilter stuck;
  stuck.stuck_only = true;
  stuck.stuck_after = milliseconds(60000);
  EXPECT_EQ(list(stuck), (std::set<std::string>{many, old_failing}));
  auto gauges = log_->ReadGauges(milliseconds(60000), milliseconds(600000));
  ASSERT_TRUE(gauges.ok());
  EXPECT_EQ(gauges->stuck_branches, 3) << "many's b0 and b1, old_failing's b0";
  // A shorter stuck_after also lists the young one, as the gauge counts it.
  stuck.stuck_after = milliseconds(10000);
  EXPECT_EQ(list(stuck), (std::set<std::string>{many, old_failing, young}));
  // Combined with the other filters.
  stuck.state = TxnState::kCancelling;
  EXPECT_EQ(list(stuck), (std::set<std::string>{old_failing}));
  stuck.state.reset();
  stuck.participant = "inventory";
  EXPECT_TRUE(list(stuck).empty());
  stuck.participant = "";
  // Paged: one at a time, newest first, each exactly once.
  stuck.limit = 1;
  std::vector<std::string> pages;
  for (int i = 0; i < 5; ++i) {
    auto rows = log_->List(stuck);
    ASSERT_TRUE(rows.ok());
    if (rows->empty()) break;
    pages.push_back(rows->front().gid);
    stuck.after_gid = rows->front().gid;
  }
  EXPECT_EQ(pages, (std::vector<std::string>{young, old_failing, many}));
  // Without the filter everything is listed.
  EXPECT_EQ(list(ListFilter{}).size(), 7u);
}

TEST_F(LogStoreTest, StuckFilterUsesThePartialIndexes) {
  // A long finished history and many healthy open transactions: the stuck
  // filter reaches the stuck branches over branch_stuck, not by reading
  // every branch.
  Exec(
      "INSERT INTO global_txn (gid, request_id, state, deadline, updated_at) "
      "SELECT gen_random_uuid(), 'f' || i, "
      " CASE WHEN i % 2 = 0 THEN 'CONFIRMED' ELSE 'CANCELLED' END, "
      " now() - interval '1 day', now() - interval '1 day' "
      "FROM generate_series(1, 20000) AS i");
  Exec(
      "INSERT INTO branch (gid, branch_id, participant, state, attempts) "
      "SELECT gid, 'payment', 'payment', 'CONFIRMED', 1 FROM global_txn");
  const std::string stuck = Insert("CONFIRMING", "now()", "now()", 2);
  Exec("UPDATE branch SET attempts = 20 WHERE gid = '" + stuck +
       "' AND branch_id = 'b0'");
  Exec("ANALYZE global_txn");
  Exec("ANALYZE branch");
  pqxx::connection conn(SharedPg().OwnerConninfo(db_, "coordinator"));
  LogStore::Prepare(conn);
  pqxx::nontransaction tx(conn);
  // libpqxx prepares lazily.
  tx.exec_prepared("cc_list", "", "", 0, "", 101, true, 300000);
  std::string plan;
  for (const auto& row :
       tx.exec("EXPLAIN EXECUTE cc_list('', '', 0, '', 101, true, 300000)")) {
    plan += std::string(row[0].c_str()) + "\n";
  }
  EXPECT_NE(plan.find("branch_stuck"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Seq Scan on branch"), std::string::npos) << plan;
  ListFilter f;
  f.stuck_only = true;
  auto rows = log_->List(f);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().gid, stuck);
}

TEST_F(LogStoreTest, FinishedCountsAreOfTheWindowOnly) {
  Insert("CONFIRMED", "now()", "NULL", 1, "now() - interval '10 minutes'");
  Insert("CONFIRMED", "now()", "NULL", 1, "now() - interval '20 minutes'");
  Insert("CANCELLED", "now()", "NULL", 1, "now() - interval '5 minutes'");
  Insert("CONFIRMED", "now()", "NULL", 1, "now() - interval '2 hours'");
  Insert("CANCELLED", "now()", "NULL", 1, "now() - interval '3 hours'");
  Insert("CONFIRMING", "now()", "now()", 1);
  auto hour = log_->CountFinished(std::chrono::hours(1));
  ASSERT_TRUE(hour.ok()) << hour.status();
  EXPECT_EQ(hour->confirmed, 2);
  EXPECT_EQ(hour->cancelled, 1);
  auto day = log_->CountFinished(std::chrono::hours(24));
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(day->confirmed, 3);
  EXPECT_EQ(day->cancelled, 2);
}

}  // namespace
}  // namespace turnstile::coordinator
