// The text a test Prometheus runs on, as pure functions (no I/O) so that
// they have unit tests of their own: the prometheus.yml of a local mesh
// (one job per service scraping its metrics port, fast scrape and rule
// evaluation), a rules file with every `for:` shortened (same expressions,
// so that a live test need not wait out production durations), and a
// Grafana panel expression made concrete (interval macros and template
// variables replaced) so that Prometheus itself can evaluate it.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace turnstile::testing {

struct ScrapeTarget {
  std::string job;  // the `job` label, e.g. "turnstile-payment"
  int port = 0;     // metrics port on 127.0.0.1
};

struct PrometheusConfigOptions {
  std::string scrape_interval = "1s";
  std::string evaluation_interval = "1s";
  std::vector<std::string> rule_files;  // absolute paths
};

// prometheus.yml: global intervals, rule_files, one static job per target
// (scrape timeout = the interval, /metrics on 127.0.0.1:port).
std::string PrometheusConfigYaml(const std::vector<ScrapeTarget>& targets,
                                 const PrometheusConfigOptions& options);

// `rules_yaml` with the value of every `for:` key replaced by `duration`
// (e.g. "3s"); comments, indentation and everything else unchanged.
// `replaced` (if not null) gets how many were rewritten.
std::string ShortenAlertFor(const std::string& rules_yaml,
                            const std::string& duration,
                            int* replaced = nullptr);

// A Grafana panel expression made evaluable by Prometheus: $__rate_interval,
// $__interval, $__range (and their ${...} forms, and the _ms/_s variants)
// become the given windows; every other $name / ${name} / ${name:fmt}
// becomes variables[name] (an unknown variable is left as it is, so that
// Prometheus reports it as a parse error).
struct GrafanaWindows {
  std::string rate_interval = "1m";
  std::string interval = "15s";
  std::string range = "5m";
};
std::string ConcreteGrafanaExpr(
    const std::string& expr,
    const std::map<std::string, std::string>& variables,
    const GrafanaWindows& windows = {});

// application/x-www-form-urlencoded / query-string encoding of `s`.
std::string UrlEncode(const std::string& s);

}  // namespace turnstile::testing
