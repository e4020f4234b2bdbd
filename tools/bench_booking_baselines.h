// The Redis baselines of the range-booking scenarios, against the same
// Redis in the same run: redis-benchmark EVALSHA of the range gate's scripts
// on the very gate the booking service keeps for a bench run (key layout of
// services/common/range_gate.h: ts:{rng:<gate_key>}:meta and :ranges, the
// gate key and resource names of services/booking/model.h) -- range_free
// counting one class's seats free over one trip (what RemainingSeats asks
// the gate), and range_hold of a sold-out seat (the TAKEN refusal, nothing
// written). Before each, one call through RangeGate checks that the gate
// answers as expected, so that a missing gate is not benchmarked as a cheap
// NOT_INITIALIZED.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/redis_client.h"

namespace turnstile::bench {

struct RangeBaseline {
  double rps = 0;
  std::string command;  // as run, the password and the id list elided
  int64_t answer = 0;   // range_free: the free count of the checking call
};

// redis-benchmark EVALSHA range_free (--redis_requests calls, --concurrency
// clients) of `resource_ids` (the booking resource names) over [from, to)
// on gate `gate_key`.
absl::StatusOr<RangeBaseline> RedisBenchmarkRangeFree(
    RedisClient& redis, const std::string& gate_key, int from, int to,
    const std::vector<std::string>& resource_ids);

// redis-benchmark EVALSHA range_hold of `resource_id` over [from, to) on
// gate `gate_key`, which must be taken there (FAILED_PRECONDITION if the
// checking call does not answer TAKEN).
absl::StatusOr<RangeBaseline> RedisBenchmarkRangeHoldTaken(
    RedisClient& redis, const std::string& gate_key,
    const std::string& resource_id, int from, int to);

}  // namespace turnstile::bench
