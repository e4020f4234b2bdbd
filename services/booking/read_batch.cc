// Batching decisions of the availability readers (read_batch.h).
#include "services/booking/read_batch.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile::booking {

size_t NextBatchSize(size_t queued, size_t batch_max) {
  return std::min(queued, std::max<size_t>(1, batch_max));
}

BatchPlan PlanBatch(absl::Span<const RangeReadCall* const> calls,
                    bool coalesce) {
  BatchPlan plan;
  plan.call_of.reserve(calls.size());
  // Keyed by the whole call, compared by value.
  using Key = std::tuple<const std::string&, bool, int32_t, int32_t,
                         const std::vector<std::string>&>;
  auto key = [](const RangeReadCall& c) {
    return Key(c.gate_key, c.count_free, c.from, c.to, c.resource_ids);
  };
  std::map<Key, size_t> seen;
  for (const RangeReadCall* call : calls) {
    if (coalesce) {
      auto [it, added] = seen.emplace(key(*call), plan.distinct.size());
      if (!added) {
        plan.call_of.push_back(it->second);
        continue;
      }
    }
    plan.call_of.push_back(plan.distinct.size());
    plan.distinct.push_back(call);
  }
  return plan;
}

namespace {

GateStatus StatusOf(const RangeReadCall& call, const RangeReadAnswer& answer) {
  return call.count_free ? answer.count.status : answer.snapshot.status;
}

}  // namespace

ReadOutcome DecideRead(const RangeReadCall& call, const RangeReadAnswer& answer,
                       bool rebuilt) {
  if (!answer.status.ok()) return ReadOutcome::kFail;
  switch (StatusOf(call, answer)) {
    case GateStatus::kOk:
      return ReadOutcome::kAnswer;
    case GateStatus::kNotInitialized:
      return rebuilt ? ReadOutcome::kFail : ReadOutcome::kRebuild;
    default:
      return ReadOutcome::kFail;
  }
}

absl::Status ReadFailure(const RangeReadCall& call,
                         const RangeReadAnswer& answer) {
  if (!answer.status.ok()) return answer.status;
  const std::string& message =
      call.count_free ? answer.count.message : answer.snapshot.message;
  return Error(absl::StatusCode::kUnavailable, "GATE_NOT_INITIALIZED",
               absl::StrCat("range gate ", call.gate_key, ": ",
                            std::string(GateStatusName(StatusOf(call, answer))),
                            " ", message));
}

}  // namespace turnstile::booking
