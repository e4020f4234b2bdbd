// Unit tests of the availability readers' pure decisions (read_batch.h:
// batch size, which gate calls a batch sends, what a gate answer means) and
// of the reader queue's bound (read_queue.h) with jobs that need no gate
// call, so no Redis and no database.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <optional>
#include <string>
#include <vector>

#include "services/booking/read_batch.h"
#include "services/booking/read_queue.h"
#include "services/common/status.h"

namespace turnstile::booking {
namespace {

RangeReadCall Count(const std::string& gate, int32_t from, int32_t to,
                    std::vector<std::string> ids) {
  RangeReadCall c;
  c.gate_key = gate;
  c.count_free = true;
  c.from = from;
  c.to = to;
  c.resource_ids = std::move(ids);
  return c;
}

RangeReadCall Read(const std::string& gate, std::vector<std::string> ids) {
  RangeReadCall c;
  c.gate_key = gate;
  c.resource_ids = std::move(ids);
  return c;
}

TEST(ReadBatch, BatchTakesWhatIsQueuedUpToItsBound) {
  EXPECT_EQ(NextBatchSize(0, 64), 0u);
  EXPECT_EQ(NextBatchSize(1, 64), 1u);
  EXPECT_EQ(NextBatchSize(63, 64), 63u);
  EXPECT_EQ(NextBatchSize(64, 64), 64u);
  EXPECT_EQ(NextBatchSize(500, 64), 64u);
  EXPECT_EQ(NextBatchSize(5, 0), 1u) << "a zero bound still makes progress";
}

TEST(ReadBatch, IdenticalCallsAreSentOnceAndShareTheAnswer) {
  const RangeReadCall a = Count("r:R1", 2, 7, {"s1", "s2"});
  const RangeReadCall a2 = Count("r:R1", 2, 7, {"s1", "s2"});
  const RangeReadCall other_trip = Count("r:R1", 2, 6, {"s1", "s2"});
  const RangeReadCall other_from = Count("r:R1", 1, 7, {"s1", "s2"});
  const RangeReadCall other_gate = Count("r:R2", 2, 7, {"s1", "s2"});
  const RangeReadCall other_ids = Count("r:R1", 2, 7, {"s1", "s3"});
  const RangeReadCall read = Read("r:R1", {"s1", "s2"});
  const RangeReadCall read2 = Read("r:R1", {"s1", "s2"});
  const RangeReadCall whole = Read("r:R1", {});
  const std::vector<const RangeReadCall*> calls = {
      &a,         &other_trip, &a2,    &other_from, &other_gate,
      &other_ids, &read,       &whole, &read2,      &a};
  const BatchPlan plan = PlanBatch(calls, true);
  ASSERT_EQ(plan.distinct.size(), 7u);
  ASSERT_EQ(plan.call_of.size(), calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(*plan.distinct[plan.call_of[i]], *calls[i]) << i;
  }
  EXPECT_EQ(plan.call_of[0], plan.call_of[2]);
  EXPECT_EQ(plan.call_of[0], plan.call_of[9]);
  EXPECT_EQ(plan.call_of[6], plan.call_of[8]);
  EXPECT_NE(plan.call_of[6], plan.call_of[0]) << "a Read is no CountFree";
  EXPECT_NE(plan.call_of[6], plan.call_of[7]);
  // The first of each kind is the one sent, in arrival order.
  EXPECT_EQ(plan.distinct[0], &a);
  EXPECT_EQ(plan.distinct[1], &other_trip);
}

TEST(ReadBatch, WithoutCoalescingEveryCallIsSent) {
  const RangeReadCall a = Count("r:R1", 2, 7, {"s1"});
  const std::vector<const RangeReadCall*> calls = {&a, &a, &a};
  const BatchPlan plan = PlanBatch(calls, false);
  ASSERT_EQ(plan.distinct.size(), 3u);
  EXPECT_EQ(plan.call_of, (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(PlanBatch({}, true).distinct.empty());
}

TEST(ReadBatch, AnswerRebuildOrFail) {
  const RangeReadCall count = Count("r:R1", 0, 1, {"s1"});
  const RangeReadCall read = Read("v:V1:2026-12-24", {"m1"});
  RangeReadAnswer ok;
  ok.count.status = GateStatus::kOk;
  ok.snapshot.status = GateStatus::kOk;
  EXPECT_EQ(DecideRead(count, ok, false), ReadOutcome::kAnswer);
  EXPECT_EQ(DecideRead(read, ok, true), ReadOutcome::kAnswer);

  // The status of the call's own kind decides.
  RangeReadAnswer absent;
  absent.count.status = GateStatus::kNotInitialized;
  absent.snapshot.status = GateStatus::kOk;
  EXPECT_EQ(DecideRead(count, absent, false), ReadOutcome::kRebuild);
  EXPECT_EQ(DecideRead(read, absent, false), ReadOutcome::kAnswer);
  EXPECT_EQ(DecideRead(count, absent, true), ReadOutcome::kFail)
      << "rebuilt once and still absent: an error, no second rebuild";
  absent.count.message = "no meta";
  const absl::Status s = ReadFailure(count, absent);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(s), "GATE_NOT_INITIALIZED");
  EXPECT_EQ(s.message(), "range gate r:R1: NOT_INITIALIZED no meta");

  RangeReadAnswer odd;
  odd.snapshot.status = GateStatus::kInvalidArgument;
  odd.snapshot.message = "bad ids";
  EXPECT_EQ(DecideRead(read, odd, false), ReadOutcome::kFail);
  EXPECT_EQ(ReadFailure(read, odd).message(),
            "range gate v:V1:2026-12-24: INVALID_ARGUMENT bad ids");

  RangeReadAnswer down;
  down.status = absl::UnavailableError("redis down");
  down.count.status = GateStatus::kOk;
  EXPECT_EQ(DecideRead(count, down, false), ReadOutcome::kFail);
  EXPECT_EQ(ReadFailure(count, down), down.status);
}

// A job that needs no gate call: plan answers at once (OK or an error).
ReadJob Immediate(absl::Status result, std::function<void()> in_plan,
                  std::function<void(const absl::Status&)> finish) {
  ReadJob job;
  job.plan = [result,
              in_plan]() -> absl::StatusOr<std::optional<RangeReadCall>> {
    if (in_plan) in_plan();
    if (!result.ok()) return result;
    return std::nullopt;
  };
  job.answer = [](const RangeReadAnswer&) {
    ADD_FAILURE() << "no gate call was planned";
    return absl::OkStatus();
  };
  job.finish = std::move(finish);
  return job;
}

TEST(ReadQueue, FullQueueRefusesAtOnceWithARetryDelay) {
  ReadQueueOptions options;
  options.workers = 1;
  options.queue_max = 3;
  options.batch_max = 1;
  // No gate call is ever made: no Redis, no reconciler.
  ReadQueue queue(nullptr, nullptr, options);
  std::latch started(1);
  std::latch release(1);
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  auto count = [&](const absl::Status& s) { (s.ok() ? ok : failed)++; };
  // The worker takes the first job and blocks in its plan...
  ASSERT_TRUE(queue
                  .Submit(Immediate(
                      absl::OkStatus(),
                      [&] {
                        started.count_down();
                        release.wait();
                      },
                      count))
                  .ok());
  started.wait();
  // ... so three more fill the queue and the fourth is refused.
  ASSERT_TRUE(queue.Submit(Immediate(absl::OkStatus(), nullptr, count)).ok());
  ASSERT_TRUE(
      queue.Submit(Immediate(absl::NotFoundError("x"), nullptr, count)).ok());
  ASSERT_TRUE(queue.Submit(Immediate(absl::OkStatus(), nullptr, count)).ok());
  bool ran = false;
  const absl::Status refused = queue.Submit(Immediate(
      absl::OkStatus(), [&] { ran = true; }, count));
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(refused), "OVERLOADED");
  EXPECT_TRUE(RetryDelayOf(refused).has_value());
  release.count_down();
  queue.Stop();  // drains what was queued
  EXPECT_FALSE(ran) << "a refused job runs nothing";
  EXPECT_EQ(ok.load(), 3);
  EXPECT_EQ(failed.load(), 1);
  EXPECT_EQ(queue.Submit(Immediate(absl::OkStatus(), nullptr, count)).code(),
            absl::StatusCode::kResourceExhausted)
      << "stopped: refused";
}

}  // namespace
}  // namespace turnstile::booking
