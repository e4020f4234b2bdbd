// The coordinator log's SQL against a real PostgreSQL (schema from
// sql/coordinator): claims with FOR UPDATE SKIP LOCKED and a lease never hand
// the same transaction to two claimers, the deadline sweep only moves expired
// TRYING rows, a delivery round finishes a transaction only when no branch is
// left, and retention deletes only old finished transactions (with their
// branches).
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

TEST_F(LogStoreTest, StuckBranchesAreCounted) {
  const std::string gid = Insert("CONFIRMING", "now()", "now()", 3);
  Exec("UPDATE branch SET attempts = 11 WHERE branch_id IN ('b0', 'b1')");
  Exec("UPDATE branch SET attempts = 10 WHERE branch_id = 'b2'");
  auto stuck = log_->CountStuck();
  ASSERT_TRUE(stuck.ok());
  EXPECT_EQ(*stuck, 2);
  Exec("UPDATE branch SET state = 'CONFIRMED' WHERE branch_id = 'b0'");
  EXPECT_EQ(*log_->CountStuck(), 1);
}

}  // namespace
}  // namespace turnstile::coordinator
