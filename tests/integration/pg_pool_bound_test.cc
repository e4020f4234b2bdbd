// PgPool's bounded wait against a real PostgreSQL (DESIGN.md §7): with every
// connection lent out, at most max_waiters callers wait -- one more is
// refused at once -- and a waiter gives up after max_wait; both refusals are
// RESOURCE_EXHAUSTED/OVERLOADED with a retry delay. A released connection
// goes to a waiter.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "services/common/pg_pool.h"
#include "services/common/status.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_process.h"

namespace turnstile {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
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
  PgPool pool(SharedPg().Conninfo(db_), 1, nullptr,
              PgPoolLimits{1, milliseconds(300)});
  auto held = pool.Acquire();
  ASSERT_TRUE(held.ok()) << held.status();

  // The one waiter allowed.
  auto waiter = std::async(std::launch::async, [&] {
    const auto start = Clock::now();
    auto lease = pool.Acquire();
    return std::make_pair(lease.status(), Clock::now() - start);
  });
  std::this_thread::sleep_for(milliseconds(50));  // let it start waiting

  // One more is refused at once.
  const auto start = Clock::now();
  auto refused = pool.Acquire();
  EXPECT_LT(Clock::now() - start, milliseconds(50));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(refused.status()), "OVERLOADED");
  EXPECT_TRUE(RetryDelayOf(refused.status()).has_value());

  // The waiter gives up after max_wait, refused the same way.
  const auto [status, waited] = waiter.get();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_GE(waited, milliseconds(250));
  EXPECT_LT(waited, milliseconds(2000));

  // A released connection goes to a waiter.
  auto second = std::async(std::launch::async, [&] {
    auto lease = pool.Acquire();
    return lease.ok() ? (*lease)->is_open() : false;
  });
  std::this_thread::sleep_for(milliseconds(50));
  { auto release = std::move(*held); }
  EXPECT_TRUE(second.get());

  // And Transact works through the same pool.
  EXPECT_TRUE(pool.Transact([](pqxx::work& tx) {
                    tx.exec("SELECT 1");
                    return absl::OkStatus();
                  })
                  .ok());
}

}  // namespace
}  // namespace turnstile
