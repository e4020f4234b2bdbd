// The availability readers (read_queue.h).
#include "services/booking/read_queue.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>
#include <string>
#include <utility>

#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "services/booking/read_batch.h"
#include "services/common/overload.h"
#include "services/common/process.h"
#include "services/common/trace_scope.h"

namespace turnstile::booking {
namespace {

prometheus::Gauge& DepthGauge() {
  static auto& gauge =
      prometheus::BuildGauge()
          .Name("turnstile_booking_read_queue_depth")
          .Help("Availability reads queued for the booking readers")
          .Register(Metrics())
          .Add({});
  return gauge;
}

prometheus::Histogram& BatchSizes() {
  static auto& histogram =
      prometheus::BuildHistogram()
          .Name("turnstile_booking_read_batch_size")
          .Help(
              "Availability reads per reader batch (their gate calls go "
              "pipelined over one Redis connection)")
          .Register(Metrics())
          .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32,
                                                           64, 128, 256});
  return histogram;
}

// A job with the state its steps left.
struct Pending {
  ReadJob* job;
  RangeReadCall call;
  RangeReadAnswer answer;
};

void Finish(ReadJob& job, const absl::Status& status) {
  const TraceScope trace(job.trace);
  job.finish(status);
}

}  // namespace

ReadQueue::ReadQueue(RangeGate* gate, BookingReconciler* reconciler,
                     ReadQueueOptions options)
    : gate_(gate), reconciler_(reconciler), options_(options) {
  SetDepth(0);
  BatchSizes();
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { Work(); });
  }
}

ReadQueue::~ReadQueue() { Stop(); }

void ReadQueue::SetDepth(size_t depth) {
  DepthGauge().Set(static_cast<double>(depth));
}

absl::Status ReadQueue::Submit(ReadJob job) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && HasRoom(queue_.size(), options_.queue_max)) {
      queue_.push_back(std::move(job));
      SetDepth(queue_.size());
      cv_.notify_one();
      return absl::OkStatus();
    }
  }
  return RefuseOverload("booking_read",
                        "too many availability reads queued; retry later");
}

void ReadQueue::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && workers_.empty()) return;
    stopping_ = true;
    cv_.notify_all();
  }
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void ReadQueue::Work() {
  std::vector<ReadJob> jobs;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      const size_t n = NextBatchSize(queue_.size(), options_.batch_max);
      for (size_t i = 0; i < n; ++i) {
        jobs.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      SetDepth(queue_.size());
    }
    BatchSizes().Observe(static_cast<double>(jobs.size()));
    RunBatch(jobs);
    jobs.clear();
  }
}

void ReadQueue::RunBatch(std::vector<ReadJob>& jobs) {
  // 1. Plan every job; those that need no gate call finish now.
  std::vector<Pending> pending;
  pending.reserve(jobs.size());
  for (ReadJob& job : jobs) {
    absl::StatusOr<std::optional<RangeReadCall>> planned;
    {
      const TraceScope trace(job.trace);
      planned = job.plan();
    }
    if (!planned.ok()) {
      Finish(job, planned.status());
    } else if (!planned->has_value()) {
      Finish(job, absl::OkStatus());
    } else {
      pending.push_back({&job, std::move(**planned), {}});
    }
  }
  // 2. The gate calls, pipelined; an absent gate is rebuilt, then read
  // again (the second round reads only those).
  for (bool rebuilt : {false, true}) {
    if (pending.empty()) return;
    std::vector<const RangeReadCall*> calls;
    calls.reserve(pending.size());
    for (const Pending& p : pending) calls.push_back(&p.call);
    const BatchPlan plan = PlanBatch(calls, options_.coalesce);
    const std::vector<RangeReadAnswer> answers =
        gate_->ReadBatch(plan.distinct);
    std::vector<Pending> again;
    std::map<std::string, absl::Status> rebuilds;  // by gate key
    for (size_t i = 0; i < pending.size(); ++i) {
      Pending& p = pending[i];
      p.answer = answers[plan.call_of[i]];
      switch (DecideRead(p.call, p.answer, rebuilt)) {
        case ReadOutcome::kAnswer: {
          absl::Status s;
          {
            const TraceScope trace(p.job->trace);
            s = p.job->answer(p.answer);
          }
          Finish(*p.job, s);
          break;
        }
        case ReadOutcome::kFail:
          Finish(*p.job, ReadFailure(p.call, p.answer));
          break;
        case ReadOutcome::kRebuild:
          rebuilds.emplace(p.call.gate_key, absl::OkStatus());
          again.push_back(std::move(p));
          break;
      }
    }
    // After the answers: a rebuild (PostgreSQL) delays only the jobs of
    // the absent gates.
    for (auto& [gate_key, status] : rebuilds) {
      status = reconciler_->EnsureGate(gate_key);
    }
    pending.clear();
    for (Pending& p : again) {
      const absl::Status& s = rebuilds.at(p.call.gate_key);
      if (!s.ok()) {
        Finish(*p.job, s);
      } else {
        pending.push_back(std::move(p));
      }
    }
  }
}

}  // namespace turnstile::booking
