// The pure overload decisions (services/common/overload.h) without any I/O:
// room in a bounded queue, the next step of a connection pool's caller, the
// refusal itself (RESOURCE_EXHAUSTED, OVERLOADED, retry delay, counted), and
// the coordinator's executor refusing past its queue bound at once.
#include "services/common/overload.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <latch>

#include "prometheus/registry.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "txn-coordinator/executor.h"

namespace turnstile {
namespace {

double Refusals(const std::string& queue) {
  for (const auto& family : Metrics().Collect()) {
    if (family.name != "turnstile_overload_refusals_total") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "queue" && label.value == queue) {
          return metric.counter.value;
        }
      }
    }
  }
  return 0;
}

TEST(Overload, QueueHasRoomBelowItsBound) {
  EXPECT_TRUE(HasRoom(0, 1));
  EXPECT_TRUE(HasRoom(2047, 2048));
  EXPECT_FALSE(HasRoom(2048, 2048));
  EXPECT_FALSE(HasRoom(5000, 2048));
  EXPECT_FALSE(HasRoom(0, 0));
}

TEST(Overload, PoolStepPrefersIdleThenConnectThenBoundedWait) {
  // idle, open, size, waiting
  EXPECT_EQ(NextPoolStep({1, 4, 4, 9}, 2), PoolStep::kUseIdle);
  EXPECT_EQ(NextPoolStep({0, 3, 4, 0}, 2), PoolStep::kConnect);
  EXPECT_EQ(NextPoolStep({0, 4, 4, 0}, 2), PoolStep::kWait);
  EXPECT_EQ(NextPoolStep({0, 4, 4, 1}, 2), PoolStep::kWait);
  EXPECT_EQ(NextPoolStep({0, 4, 4, 2}, 2), PoolStep::kRefuse);
  EXPECT_EQ(NextPoolStep({0, 4, 4, 0}, 0), PoolStep::kRefuse)
      << "0 waiters: refuse as soon as every connection is lent out";
}

TEST(Overload, RefusalIsResourceExhaustedWithADelayAndCounted) {
  const double before = Refusals("unit_test");
  const absl::Status s = RefuseOverload("unit_test", "full");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(s), "OVERLOADED");
  EXPECT_EQ(s.message(), "full");
  ASSERT_TRUE(RetryDelayOf(s).has_value());
  EXPECT_EQ(*RetryDelayOf(s), OverloadRetryAfter());
  EXPECT_GT(OverloadRetryAfter().count(), 0);
  EXPECT_EQ(Refusals("unit_test") - before, 1);
}

TEST(Overload, ExecutorRefusesPastItsQueueBoundAtOnce) {
  coordinator::Executor executor(1, 2);
  std::latch release(1);
  std::promise<void> started;
  ASSERT_TRUE(executor
                  .Post([&] {
                    started.set_value();
                    release.wait();
                  })
                  .ok());
  started.get_future().wait();  // the one thread is busy now
  std::atomic<int> ran{0};
  EXPECT_TRUE(executor.Post([&] { ++ran; }).ok());
  EXPECT_TRUE(executor.Post([&] { ++ran; }).ok());
  const double before = Refusals("executor");
  const auto start = std::chrono::steady_clock::now();
  const absl::Status refused = executor.Post([&] { ++ran; });
  EXPECT_LT(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds(50));
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(RetryDelayOf(refused).has_value());
  EXPECT_EQ(Refusals("executor") - before, 1);
  // Delayed work (the driver's) is not refused by the bound.
  std::promise<void> delayed;
  EXPECT_TRUE(executor.PostAfter(std::chrono::milliseconds(1),
                                 [&] { delayed.set_value(); }));
  release.count_down();
  EXPECT_EQ(delayed.get_future().wait_for(std::chrono::seconds(5)),
            std::future_status::ready);
  executor.Stop();
  EXPECT_EQ(ran.load(), 2) << "the refused task must never run";
}

}  // namespace
}  // namespace turnstile
