// The parallel Try runner of the order service (services/order/fanout.h):
// all tasks start at once, transient failures are retried with backoff
// until the horizon, a refusal is final and stops the others, and nothing is
// left in flight when it returns.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "services/common/status.h"
#include "services/order/fanout.h"

namespace turnstile::order {
namespace {

using std::chrono::milliseconds;

RetryPolicy Fast() {
  RetryPolicy p;
  p.backoff = {milliseconds(1), milliseconds(4)};
  p.call_timeout = milliseconds(100);
  return p;
}

// A task that answers with `script[i]` on its i-th attempt (the last one
// repeats), after `delay` on a thread of its own (joined by the owner).
class Scripted {
 public:
  Scripted(std::vector<absl::Status> script, milliseconds delay)
      : script_(std::move(script)), delay_(delay) {}
  ~Scripted() {
    for (auto& t : threads_) t.join();
  }

  TryTask Task(const std::string& name) {
    return TryTask{name, [this](Deadline deadline,
                                std::function<void(absl::Status)> done) {
                     std::lock_guard lock(mu_);
                     deadlines.push_back(deadline);
                     const size_t i = attempts++;
                     absl::Status s = script_[std::min(i, script_.size() - 1)];
                     if (delay_.count() == 0) {
                       done(s);
                       return;
                     }
                     threads_.emplace_back([this, s, done] {
                       std::this_thread::sleep_for(delay_);
                       done(s);
                     });
                   }};
  }

  std::atomic<int> attempts{0};
  std::vector<Deadline> deadlines;

 private:
  std::vector<absl::Status> script_;
  milliseconds delay_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

TEST(RunTries, AllSucceed) {
  Scripted a({absl::OkStatus()}, milliseconds(0));
  Scripted b({absl::OkStatus()}, milliseconds(20));
  auto results = RunTries({a.Task("a"), b.Task("b")}, Fast(),
                          Clock::now() + std::chrono::seconds(5));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].status.ok());
  EXPECT_TRUE(results[1].status.ok());
  EXPECT_EQ(results[0].attempts, 1);
  EXPECT_EQ(results[1].attempts, 1);
}

TEST(RunTries, StartsEveryTaskBeforeWaiting) {
  // Serially these would take 900 ms; in parallel about 300 ms.
  Scripted a({absl::OkStatus()}, milliseconds(300));
  Scripted b({absl::OkStatus()}, milliseconds(300));
  Scripted c({absl::OkStatus()}, milliseconds(300));
  const auto start = Clock::now();
  auto results = RunTries({a.Task("a"), b.Task("b"), c.Task("c")}, Fast(),
                          start + std::chrono::seconds(5));
  EXPECT_LT(Clock::now() - start, milliseconds(800)) << "ran serially";
  for (const auto& r : results) EXPECT_TRUE(r.status.ok());
}

TEST(RunTries, RetriesTransientUntilSuccess) {
  Scripted a({Error(absl::StatusCode::kUnavailable, "", "down"),
              Error(absl::StatusCode::kDeadlineExceeded, "", "slow"),
              Error(absl::StatusCode::kResourceExhausted, "", "busy"),
              absl::OkStatus()},
             milliseconds(1));
  std::vector<std::string> retried;
  auto results =
      RunTries({a.Task("a")}, Fast(), Clock::now() + std::chrono::seconds(5),
               [&](const std::string& branch, const absl::Status&, int) {
                 retried.push_back(branch);
               });
  EXPECT_TRUE(results[0].status.ok());
  EXPECT_EQ(results[0].attempts, 4);
  EXPECT_EQ(retried.size(), 3u);
}

TEST(RunTries, RefusalIsFinalAndStopsOthers) {
  Scripted refuse({Refused("SOLD_OUT", "none left")}, milliseconds(5));
  Scripted flaky({Error(absl::StatusCode::kUnavailable, "", "down")},
                 milliseconds(1));
  auto results = RunTries({flaky.Task("flaky"), refuse.Task("refuse")}, Fast(),
                          Clock::now() + std::chrono::seconds(5));
  EXPECT_EQ(results[1].status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(results[1].attempts, 1);
  EXPECT_FALSE(results[0].status.ok());
  const int flaky_attempts = flaky.attempts;
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_EQ(flaky.attempts, flaky_attempts);
  EXPECT_LT(flaky_attempts, 50);
}

TEST(RunTries, NonTransientCodesAreNotRetried) {
  for (auto code :
       {absl::StatusCode::kNotFound, absl::StatusCode::kAborted,
        absl::StatusCode::kInvalidArgument, absl::StatusCode::kInternal,
        absl::StatusCode::kFailedPrecondition}) {
    Scripted a({absl::Status(code, "no")}, milliseconds(0));
    auto results =
        RunTries({a.Task("a")}, Fast(), Clock::now() + std::chrono::seconds(5));
    EXPECT_EQ(results[0].status.code(), code);
    EXPECT_EQ(results[0].attempts, 1) << code;
  }
}

TEST(RunTries, GivesUpAtTheHorizonWithDeadlinesWithinIt) {
  Scripted a({Error(absl::StatusCode::kUnavailable, "", "down")},
             milliseconds(0));
  const auto start = Clock::now();
  const auto until = start + milliseconds(150);
  auto results = RunTries({a.Task("a")}, Fast(), until);
  EXPECT_EQ(results[0].status.code(), absl::StatusCode::kUnavailable);
  EXPECT_GT(results[0].attempts, 5);
  EXPECT_LT(Clock::now() - start, milliseconds(600));
  for (const auto& d : a.deadlines) EXPECT_LE(d, until);
}

TEST(RunTries, NothingStartsAfterTheHorizon) {
  Scripted a({absl::OkStatus()}, milliseconds(0));
  auto results = RunTries({a.Task("a")}, Fast(), Clock::now());
  EXPECT_EQ(results[0].attempts, 0);
  EXPECT_EQ(results[0].status.code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(RunTries, WaitsForCallsInFlightAfterARefusal) {
  Scripted refuse({Refused("SEAT_TAKEN", "taken")}, milliseconds(0));
  Scripted slow({absl::OkStatus()}, milliseconds(150));
  const auto start = Clock::now();
  auto results = RunTries({slow.Task("slow"), refuse.Task("refuse")}, Fast(),
                          start + std::chrono::seconds(5));
  EXPECT_GE(Clock::now() - start, milliseconds(140));
  EXPECT_TRUE(results[0].status.ok());
  EXPECT_EQ(results[1].status.code(), absl::StatusCode::kFailedPrecondition);
}

TEST(RunTries, PerCallDeadlineIsTheCallTimeout) {
  Scripted a({absl::OkStatus()}, milliseconds(0));
  const auto start = Clock::now();
  RunTries({a.Task("a")}, Fast(), start + std::chrono::seconds(60));
  ASSERT_EQ(a.deadlines.size(), 1u);
  EXPECT_GE(a.deadlines[0], start + milliseconds(100));
  EXPECT_LE(a.deadlines[0], Clock::now() + milliseconds(100));
}

TEST(IsRetryable, OnlyTransientCodes) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("")));
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("")));
  EXPECT_TRUE(IsRetryable(absl::ResourceExhaustedError("")));
  EXPECT_FALSE(IsRetryable(absl::OkStatus()));
  EXPECT_FALSE(IsRetryable(absl::AbortedError("")));
  EXPECT_FALSE(IsRetryable(absl::FailedPreconditionError("")));
  EXPECT_FALSE(IsRetryable(absl::InternalError("")));
  EXPECT_FALSE(IsRetryable(absl::NotFoundError("")));
}

}  // namespace
}  // namespace turnstile::order
