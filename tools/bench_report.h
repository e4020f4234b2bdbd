// The console side of turnstile-bench's results: a run's tally as text
// (requests, successes, refusals by reason, errors by kind with a sample
// message, latency percentiles of successes and of refusals), ratios, and
// the machine's load average printed beside every figure (the machine is
// shared, so a number without it is hard to judge).
#pragma once

#include <string>

#include "tools/bench_stats.h"

namespace turnstile::bench {

// Prints `t` under `title`; sorts its latency samples.
void PrintTally(const std::string& title, Tally& t);

// a / b, 0 if b is not positive.
double Ratio(double a, double b);

// The 1-minute load average (-1 if unreadable).
double LoadAverage();

}  // namespace turnstile::bench
