// Reads this process's own metrics (turnstile::Metrics(), the registry the
// /metrics endpoint serves) through prometheus::Registry::Collect, for tests
// of code that runs in the test process (pools, clients, watchers).
#pragma once

#include <map>
#include <string>

namespace turnstile::testing {

// The value of the series `name` whose labels include `labels`: a counter's
// or gauge's value, a histogram's sample count (`name` without _count).
// -1 if there is no such series.
double LocalMetric(const std::string& name,
                   const std::map<std::string, std::string>& labels = {});

}  // namespace turnstile::testing
