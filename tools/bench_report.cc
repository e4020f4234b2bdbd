#include "tools/bench_report.h"

#include <fstream>
#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace turnstile::bench {

void PrintTally(const std::string& title, Tally& t) {
  std::cout << absl::StrFormat(
      "%s\n  requests   %lld in %.2f s (%.0f/s)\n"
      "  successes  %lld (%.0f/s)\n  refusals   %lld (%.0f/s; %.0f/s from "
      "the first to the last)",
      title, static_cast<long long>(t.requests()), t.seconds,
      t.Rate(t.requests()), static_cast<long long>(t.ok), t.Rate(t.ok),
      static_cast<long long>(t.refused_total()), t.Rate(t.refused_total()),
      t.RefusalRate());
  std::vector<std::string> reasons;
  for (const auto& [k, v] : t.refused)
    reasons.push_back(absl::StrCat(k, "=", v));
  if (!reasons.empty()) std::cout << ": " << absl::StrJoin(reasons, " ");
  std::cout << absl::StrFormat("\n  errors     %lld\n",
                               static_cast<long long>(t.errors_total()));
  for (const auto& [k, v] : t.errors) {
    std::cout << "    " << k << ": " << v << " (e.g. \"" << t.error_samples[k]
              << "\")\n";
  }
  std::cout << "  latency of successes: " << FormatSummary(Summarize(t.ok_ms))
            << "\n  latency of refusals:  "
            << FormatSummary(Summarize(t.refused_ms)) << "\n";
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double one = -1;
  in >> one;
  return one;
}

}  // namespace turnstile::bench
