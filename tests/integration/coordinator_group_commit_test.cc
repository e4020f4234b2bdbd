// Group commit against a real PostgreSQL: concurrent ops share transactions
// (bounded by max_batch), an op's refusal does not undo its batch, a failed
// batch answers every op in it UNAVAILABLE and writes nothing, Stop()
// flushes what is queued, and a full queue refuses a client's op at once
// (RESOURCE_EXHAUSTED with a retry delay) but not the driver's records.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "services/common/status.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_process.h"
#include "txn-coordinator/group_commit.h"
#include "txn-coordinator/metrics.h"

namespace turnstile::coordinator {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using testing::SharedPg;

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabaseName("gc");
    SharedPg().CreateDatabase(db_, "coordinator");
    SharedPg().QueryAs(
        "coordinator", db_,
        "CREATE TABLE item (id int PRIMARY KEY, batch_txid bigint NOT NULL)");
  }
  std::string Count() const {
    return SharedPg().Query(db_, "SELECT count(*) FROM item");
  }

  static GroupCommit::Op Insert(int id) {
    return [id](pqxx::work& tx) {
      tx.exec_params(
          "INSERT INTO item (id, batch_txid) VALUES ($1, txid_current()) "
          "ON CONFLICT DO NOTHING",
          id);
      return absl::OkStatus();
    };
  }

  std::string db_;
};

TEST_F(GroupCommitTest, ConcurrentOpsShareTransactionsUpToMaxBatch) {
  GroupCommit gc(SharedPg().OwnerConninfo(db_, "coordinator"), nullptr,
                 GroupCommitOptions{16, microseconds(20000)});
  constexpr int kOps = 96;
  auto& m = M();
  const double ops_before = m.gc_ops.Value();
  const double batches_before = m.gc_batches.Value();
  const auto sizes_before = m.gc_batch_size.Collect().histogram.sample_count;
  std::vector<std::future<absl::Status>> results;
  for (int i = 0; i < kOps; ++i) {
    results.push_back(
        std::async(std::launch::async, [&gc, i] { return gc.Run(Insert(i)); }));
  }
  for (auto& r : results) EXPECT_TRUE(r.get().ok());
  EXPECT_EQ(Count(), std::to_string(kOps));
  // Fewer transactions than ops, none larger than the batch limit.
  const int txids = std::stoi(
      SharedPg().Query(db_, "SELECT count(DISTINCT batch_txid) FROM item"));
  const int largest = std::stoi(SharedPg().Query(
      db_,
      "SELECT max(n) FROM (SELECT count(*) AS n FROM item GROUP BY "
      "batch_txid) t"));
  EXPECT_LT(txids, kOps);
  EXPECT_GT(largest, 1);
  EXPECT_LE(largest, 16);
  EXPECT_EQ(gc.batches(), txids);
  EXPECT_EQ(gc.largest_batch(), largest);
  // The same is counted in the Prometheus metrics.
  EXPECT_EQ(m.gc_ops.Value() - ops_before, kOps);
  EXPECT_EQ(m.gc_batches.Value() - batches_before, txids);
  EXPECT_EQ(m.gc_batch_size.Collect().histogram.sample_count - sizes_before,
            static_cast<uint64_t>(txids));
}

TEST_F(GroupCommitTest, FlushesAfterMaxWaitWhenTheBatchIsNotFull) {
  GroupCommit gc(SharedPg().OwnerConninfo(db_, "coordinator"), nullptr,
                 GroupCommitOptions{128, microseconds(2000)});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(gc.Run(Insert(1)).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
  EXPECT_EQ(Count(), "1");
}

TEST_F(GroupCommitTest, RefusalOfOneOpDoesNotUndoTheOthers) {
  GroupCommit gc(SharedPg().OwnerConninfo(db_, "coordinator"), nullptr,
                 GroupCommitOptions{3, microseconds(2000000)});
  std::promise<absl::Status> a, b, c;
  gc.Submit(Insert(1), [&](absl::Status s) { a.set_value(s); });
  gc.Submit([](pqxx::work&) { return NotFound("no such thing"); },
            [&](absl::Status s) { b.set_value(s); });
  gc.Submit(Insert(2), [&](absl::Status s) { c.set_value(s); });
  EXPECT_TRUE(a.get_future().get().ok());
  EXPECT_EQ(b.get_future().get().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(c.get_future().get().ok());
  EXPECT_EQ(Count(), "2");
  EXPECT_EQ(gc.batches(), 1);
}

TEST_F(GroupCommitTest, FailedBatchAnswersEveryOpUnavailableAndWritesNothing) {
  GroupCommit gc(SharedPg().OwnerConninfo(db_, "coordinator"), nullptr,
                 GroupCommitOptions{3, microseconds(2000000)});
  std::promise<absl::Status> a, b, c;
  gc.Submit(Insert(1), [&](absl::Status s) { a.set_value(s); });
  gc.Submit(
      [](pqxx::work& tx) {
        tx.exec("SELECT * FROM no_such_table");
        return absl::OkStatus();
      },
      [&](absl::Status s) { b.set_value(s); });
  gc.Submit(Insert(2), [&](absl::Status s) { c.set_value(s); });
  for (auto* p : {&a, &b, &c}) {
    const absl::Status s = p->get_future().get();
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
    EXPECT_EQ(ReasonOf(s), "LOG_WRITE_FAILED");
  }
  EXPECT_EQ(Count(), "0");
  // The writer recovers: the next batch commits.
  EXPECT_TRUE(gc.Run(Insert(3)).ok());
  EXPECT_EQ(Count(), "1");
}

TEST_F(GroupCommitTest, StopFlushesQueuedOpsThenRefusesNewOnes) {
  auto gc = std::make_unique<GroupCommit>(
      SharedPg().OwnerConninfo(db_, "coordinator"), nullptr,
      GroupCommitOptions{128, microseconds(5000000)});
  std::atomic<int> ok{0};
  for (int i = 0; i < 10; ++i) {
    gc->Submit(Insert(i), [&](absl::Status s) { ok += s.ok(); });
  }
  const auto start = std::chrono::steady_clock::now();
  gc->Stop();  // must not wait out the 5 s batch window
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(Count(), "10");
  std::promise<absl::Status> late;
  gc->Submit(Insert(99), [&](absl::Status s) { late.set_value(s); });
  EXPECT_EQ(late.get_future().get().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Count(), "10");
}

TEST_F(GroupCommitTest, DatabaseDownAnswersUnavailable) {
  GroupCommit gc(
      "host=127.0.0.1 port=1 dbname=x user=postgres connect_timeout=2", nullptr,
      GroupCommitOptions{8, microseconds(1000)});
  const absl::Status s = gc.Run(Insert(1));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
}

TEST_F(GroupCommitTest, FullQueueRefusesClientOpsAtOnceButNotDriverRecords) {
  // Batches of 8 with a 2 s fill window: three ops stay queued meanwhile.
  GroupCommit gc(SharedPg().Conninfo(db_), nullptr,
                 GroupCommitOptions{8, microseconds(2000000), 3});
  std::vector<std::promise<absl::Status>> queued(3);
  for (int i = 0; i < 3; ++i) {
    gc.Submit(Insert(i), [&, i](absl::Status s) { queued[i].set_value(s); });
  }
  std::promise<absl::Status> refused;
  const auto start = std::chrono::steady_clock::now();
  gc.Submit(Insert(10), [&](absl::Status s) { refused.set_value(s); });
  auto refusal = refused.get_future();
  ASSERT_EQ(refusal.wait_for(milliseconds(0)), std::future_status::ready)
      << "answered on the calling thread, not queued";
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(50));
  const absl::Status s = refusal.get();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_EQ(ReasonOf(s), "OVERLOADED");
  EXPECT_TRUE(RetryDelayOf(s).has_value());
  EXPECT_EQ(gc.refused(), 1);
  // The driver's record of a delivery round is admitted regardless.
  std::promise<absl::Status> driver;
  gc.Submit(
      Insert(11), [&](absl::Status s) { driver.set_value(s); },
      GroupCommit::Admit::kAlways);
  for (auto& q : queued) EXPECT_TRUE(q.get_future().get().ok());
  EXPECT_TRUE(driver.get_future().get().ok());
  EXPECT_EQ(Count(), "4");
  EXPECT_EQ(SharedPg().Query(db_, "SELECT count(*) FROM item WHERE id = 10"),
            "0");
}

}  // namespace
}  // namespace turnstile::coordinator
