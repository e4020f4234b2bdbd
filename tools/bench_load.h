// The asynchronous load engine of turnstile-bench: issues N operations with
// at most C in flight, each one an asynchronous gRPC call chain (the callback
// API: no thread per request), refilling from the completion callbacks. Each
// outcome is tallied (success, refusal by reason, error by kind) with its
// latency, and a live progress line goes to stderr about once a second.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tools/bench_stats.h"

namespace turnstile::bench {

// Completion of one operation: its final status. Safe to call from any
// thread, exactly once.
using OpDone = std::function<void(const grpc::Status&)>;
// Starts operation `i` (asynchronously; must not block) and arranges for
// `done` to be called when it finishes.
using AsyncOp = std::function<void(int64_t i, OpDone done)>;

struct LoadOptions {
  std::string label = "load";
  int64_t count = 0;     // operations to issue
  int concurrency = 64;  // at most this many in flight
  // Stop issuing new operations after this long (0 = no cap); those in
  // flight still finish and count.
  std::chrono::milliseconds duration_cap{0};
  // Offered load: start at most this many operations per second (0 = as
  // fast as completions allow, the closed loop). Latency under a rate the
  // servers can sustain is service time, not queueing.
  double rate = 0;
  bool progress = true;  // live line on stderr
};

// Runs the load and returns what happened.
Tally RunAsyncLoad(const LoadOptions& options, const AsyncOp& op);

// Business refusals (FAILED_PRECONDITION, ABORTED) as opposed to errors.
bool IsRefusalStatus(const grpc::Status& status);
// The machine reason of a gRPC status ("" if none).
std::string ReasonOfGrpc(const grpc::Status& status);

// `n` channels to `target` (whose certificate must name `peer`), each on
// its own TCP connection, so that a high concurrency is not funnelled
// through one HTTP/2 connection.
std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(
    const std::string& target, const std::string& peer, int n);

}  // namespace turnstile::bench
