// PgPool's bounded wait against a real PostgreSQL (DESIGN.md §7): with every
// connection lent out, at most max_waiters callers wait -- one more is
// refused at once -- and a waiter gives up after max_wait; both refusals are
// RESOURCE_EXHAUSTED/OVERLOADED with a retry delay. A released connection
// goes to a waiter. The pool's metrics (pg_pool_metrics.h) follow every
// step: connections in use and idle, waiters, refusals by why, waits.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <string>
#include <thread>

#include "services/common/pg_pool.h"
#include "services/common/status.h"
#include "tests/support/metrics_reader.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_process.h"

namespace turnstile {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::LocalMetric;
using testing::SharedPg;

class PgPoolBoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabaseName("pool");
    SharedPg().CreateDatabase(db_, "payment");
  }
  std::string db_;
};

TEST_F(PgPoolBoundTest, WaitersAreBoundedInNumberAndTime) {
  const std::string name = "bound_test";
  const auto metric = [&](const std::string& metric_name,
                          std::map<std::string, std::string> labels = {}) {
    labels["pool"] = name;
    return LocalMetric(metric_name, labels);
  };
  const auto in_use = [&] {
    return metric("turnstile_pg_pool_connections", {{"state", "in_use"}});
  };
  const auto idle = [&] {
    return metric("turnstile_pg_pool_connections", {{"state", "idle"}});
  };
  const auto refused = [&](const std::string& why) {
    return metric("turnstile_pg_pool_refused_total", {{"why", why}});
  };
  {
    PgPool pool(SharedPg().Conninfo(db_), 1, nullptr,
                PgPoolLimits{1, milliseconds(300), name});
    EXPECT_EQ(metric("turnstile_pg_pool_size"), 1);
    EXPECT_EQ(in_use(), 0);
    EXPECT_EQ(refused("max_waiters"), 0) << "series exist before any refusal";
    EXPECT_EQ(refused("max_wait"), 0);
    auto held = pool.Acquire();
    ASSERT_TRUE(held.ok()) << held.status();
    EXPECT_EQ(in_use(), 1);
    EXPECT_EQ(idle(), 0);

    // The one waiter allowed.
    auto waiter = std::async(std::launch::async, [&] {
      const auto start = Clock::now();
      auto lease = pool.Acquire();
      return std::make_pair(lease.status(), Clock::now() - start);
    });
    std::this_thread::sleep_for(milliseconds(50));  // let it start waiting
    EXPECT_EQ(metric("turnstile_pg_pool_waiters"), 1);

    // One more is refused at once.
    const auto start = Clock::now();
    auto refused_now = pool.Acquire();
    EXPECT_LT(Clock::now() - start, milliseconds(50));
    ASSERT_FALSE(refused_now.ok());
    EXPECT_EQ(refused_now.status().code(),
              absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(ReasonOf(refused_now.status()), "OVERLOADED");
    EXPECT_TRUE(RetryDelayOf(refused_now.status()).has_value());
    EXPECT_EQ(refused("max_waiters"), 1);

    // The waiter gives up after max_wait, refused the same way.
    const auto [status, waited] = waiter.get();
    EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
    EXPECT_GE(waited, milliseconds(250));
    EXPECT_LT(waited, milliseconds(2000));
    EXPECT_EQ(refused("max_wait"), 1);
    EXPECT_EQ(metric("turnstile_pg_pool_waiters"), 0);
    EXPECT_EQ(metric("turnstile_pg_pool_wait_seconds"), 1) << "one wait seen";

    // A released connection goes to a waiter.
    auto second = std::async(std::launch::async, [&] {
      auto lease = pool.Acquire();
      return lease.ok() ? (*lease)->is_open() : false;
    });
    std::this_thread::sleep_for(milliseconds(50));
    { auto release = std::move(*held); }
    EXPECT_TRUE(second.get());
    EXPECT_EQ(metric("turnstile_pg_pool_wait_seconds"), 2);
    EXPECT_EQ(in_use(), 0);
    EXPECT_EQ(idle(), 1);

    // And Transact works through the same pool.
    EXPECT_TRUE(pool.Transact([&](pqxx::work& tx) {
                      tx.exec("SELECT 1");
                      EXPECT_EQ(in_use(), 1);
                      EXPECT_EQ(idle(), 0);
                      return absl::OkStatus();
                    })
                    .ok());
    EXPECT_EQ(refused("max_waiters"), 1);
    EXPECT_EQ(refused("max_wait"), 1);
  }
  // A destroyed pool takes its share away.
  EXPECT_EQ(metric("turnstile_pg_pool_size"), 0);
  EXPECT_EQ(idle(), 0);
  EXPECT_EQ(in_use(), 0);
}

}  // namespace
}  // namespace turnstile
