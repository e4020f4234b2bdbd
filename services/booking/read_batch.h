// The pure decisions of the availability readers (read_queue.h), apart from
// their I/O so that unit tests check them without Redis: how many queued
// reads one batch takes, which gate calls a batch sends (identical calls
// queued together are sent once and share the answer: each call's answer
// still reflects the gate at a moment between its arrival and its answer),
// and what a gate answer means for a read (the answer, a gate to rebuild
// from PostgreSQL first, or an error).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "services/common/range_gate.h"

namespace turnstile::booking {

// How many of `queued` reads the next batch takes (at most `batch_max`,
// at least 1 when any is queued).
size_t NextBatchSize(size_t queued, size_t batch_max);

// The gate calls of one batch: `distinct` are the calls to send, and
// `call_of[i]` the index in `distinct` whose answer read i takes.
struct BatchPlan {
  std::vector<const RangeReadCall*> distinct;
  std::vector<size_t> call_of;
};
// Identical calls are sent once if `coalesce`, else every call is sent.
BatchPlan PlanBatch(absl::Span<const RangeReadCall* const> calls,
                    bool coalesce);

// What a read does with its gate answer.
enum class ReadOutcome {
  kAnswer,   // the gate answered: translate it
  kRebuild,  // the gate is absent: rebuild it from PostgreSQL, read again
  kFail,     // an error (ReadFailure)
};
// `rebuilt`: the gate was rebuilt for this read already (an absent gate
// then is an error, not another rebuild).
ReadOutcome DecideRead(const RangeReadCall& call, const RangeReadAnswer& answer,
                       bool rebuilt);
// The error of a kFail outcome: the transport or reply failure as it is,
// else UNAVAILABLE/GATE_NOT_INITIALIZED naming the gate and its answer.
absl::Status ReadFailure(const RangeReadCall& call,
                         const RangeReadAnswer& answer);

}  // namespace turnstile::booking
