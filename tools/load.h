// A small closed-loop load runner shared by the demo and quick throughput
// runs: N calls spread over C worker threads, each call's status and latency
// tallied (successes, refusals by machine reason, errors, percentiles).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace turnstile::tools {

struct Tally {
  int ok = 0;
  std::map<std::string, int> refused;  // "CODE REASON" -> count
  std::map<std::string, int> errors;   // unexpected failures
  std::vector<double> ok_ms, refused_ms;
  double seconds = 0;

  int refused_total() const;
  int errors_total() const;
  // "p50=.. p90=.. p99=.. ms" of `ms` (sorted copy).
  static std::string Percentiles(std::vector<double> ms);
  // Multi-line human summary.
  std::string Summary(const std::string& title) const;
};

// True for statuses that are business refusals (not errors).
bool IsRefusal(const grpc::Status& status);

// Runs call(i) for i in [0, n) on `concurrency` threads.
Tally RunLoad(int n, int concurrency,
              const std::function<grpc::Status(int)>& call);

}  // namespace turnstile::tools
