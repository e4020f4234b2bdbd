// The baselines of turnstile-bench --baselines (issue 3), against the same
// servers in the same run: pay_now throughput through an order service (the
// real one, or the bench-only coordinator bypass) and redis-benchmark
// EVALSHA of the stock_reserve script, on a huge-stock and on a sold-out
// gate. pgbench is in bench_external.h.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "services/common/redis_client.h"
#include "tools/bench_stats.h"

namespace turnstile::bench {

// pay_now orders for --throughput_s on a fresh uncontended SKU with
// `buckets` stock buckets through `order`, --concurrency in flight, buyers
// cycling over [0, --buyers).
Tally PayNowThroughput(const std::string& order, const std::string& label,
                       int buckets);

struct RedisBaseline {
  double rps_reserve = 0;   // huge stock (after the first: DUPLICATE path)
  double rps_sold_out = 0;  // remaining 0: the SOLD_OUT path
  std::string command;
};

// redis-benchmark EVALSHA stock_reserve (--redis_requests calls,
// --concurrency clients) on scratch gate keys, removed afterwards.
absl::StatusOr<RedisBaseline> RedisBenchmarkReserve(RedisClient& redis);

}  // namespace turnstile::bench
