// A private Prometheus (Debian's /usr/bin/prometheus) for live alert and
// dashboard tests: a child process on a free 127.0.0.1 port with a fresh
// TSDB in its own temporary directory, scraping the given targets every
// second and evaluating the given rule files every second; waited for until
// /-/ready answers, and queried through its HTTP API (/api/v1/query,
// /api/v1/alerts, /api/v1/rules) with answers parsed by nlohmann-json. Stopped
// with SIGTERM and its directory removed on destruction.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/prometheus_config.h"

namespace turnstile::testing {

class PrometheusServer {
 public:
  // Writes the config (prometheus_config.h), starts the server and waits
  // (up to 30 s) until it is ready. Returns null, with the log tail on
  // stderr, if it fails to start.
  static std::unique_ptr<PrometheusServer> Start(
      const std::vector<ScrapeTarget>& targets,
      const PrometheusConfigOptions& options);
  ~PrometheusServer();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string log_path() const { return dir_ + "/prometheus.log"; }

  // GET /api/v1/query?query=...: the whole answer ({"status": "success",
  // "data": ...} or {"status": "error", "errorType", "error"}); a JSON
  // object {"status": "error", "error": "<why>"} if there was no parsable
  // answer at all.
  nlohmann::json Query(const std::string& promql);
  // The result vector of an instant query (empty on error).
  nlohmann::json QueryVector(const std::string& promql);
  // data.alerts of GET /api/v1/alerts (pending and firing alerts).
  nlohmann::json Alerts();
  // "firing", "pending" or "" (inactive) for the alert named `name` (the
  // most advanced state of any of its series).
  std::string AlertState(const std::string& name);
  // data.groups of GET /api/v1/rules: each group's rules with their
  // health ("ok", "err", "unknown") and lastError after evaluation.
  nlohmann::json RuleGroups();
  // Waits until every configured job has `up == 1`; false on timeout.
  bool WaitTargetsUp(std::chrono::milliseconds timeout);

  // SIGTERM and wait.
  void Stop();

 private:
  PrometheusServer() = default;
  nlohmann::json Get(const std::string& target);

  std::string dir_;
  int port_ = 0;
  size_t jobs_ = 0;
  ChildProcess process_;
};

}  // namespace turnstile::testing
