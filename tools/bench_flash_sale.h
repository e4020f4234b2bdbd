// The flash-sale scenario of turnstile-bench (issue 3): creates one SKU
// (stock, per-user limit, hot-SKU buckets), funds the buyers' wallets, lets
// --buyers distinct buyers each place one order through the real order
// service with at most --concurrency asynchronous calls in flight, then
// prints and checks the outcome: requests, successes, refusals by reason,
// errors, throughput, latency percentiles of successes and of refusals, the
// SKU's counters against the PAID orders (oversold must be 0) and the
// invariant checker of turnstilectl check. --baselines adds, against the same
// servers in the same run: pay_now throughput through the full TCC and
// through the bench-only turnstile-order-bypass (--bypass_order), pgbench
// tpcb-like and redis-benchmark EVALSHA of the reserve script, and prints
// our figures as ratios of theirs. --json writes every number, --plot a
// latency CDF (PNG).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tools/bench_baselines.h"
#include "tools/bench_external.h"
#include "tools/bench_outcome.h"
#include "tools/bench_stats.h"
#include "tools/invariants.h"

namespace turnstile::bench {

// What --baselines measured (empty tallies / nullopt when skipped).
struct BaselineResults {
  Tally full, bypass;
  std::optional<PgbenchResult> pgbench;
  std::optional<RedisBaseline> redis_bench;
};

// Everything one flash-sale run measured, for the JSON file and the plot.
struct FlashSaleRun {
  std::string label, flow, sku;
  int64_t buyers = 0, stock = 0;
  int limit = 0, buckets = 1, concurrency = 0;
  double load_before = 0, load_after = 0;
  Tally funding, sale;
  bool capped = false;  // the duration cap stopped the sale early
  SkuOutcome outcome;
  std::vector<tools::CheckResult> checks;
  bool all_ok = false;
  BaselineResults baselines;  // --baselines only
};

// Runs the scenario from the flags; 0 if every check passed, 1 if one
// failed (exits with 2 on a setup failure).
int RunFlashSale();

// --json: every number of `run` (sorts its latency samples).
void WriteFlashSaleJson(const std::string& path, FlashSaleRun& run);
// --plot: the latency CDF of successes and refusals (gnuplot); a warning,
// not a failure, if it cannot be drawn.
void PlotFlashSale(const std::string& png, const FlashSaleRun& run);

}  // namespace turnstile::bench
