// Shared plumbing of the per-service integration tests (inventory, seat):
// the RPC Outcome type, one Redis server per test binary next to SharedPg(),
// concurrent-call and retry helpers, and ServiceHarness, a GoogleTest
// fixture that gives every test a fresh database and runs the real
// turnstile-<service> binary on a fresh port with a quickly reconnecting
// channel. InventoryHarness and SeatHarness add each service's stubs and
// RPC helpers on top.
#pragma once

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/redis_server.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile::testing {

// The outcome of one RPC: code plus the machine-readable reason.
struct Outcome {
  grpc::StatusCode code;
  std::string reason;
  std::string message;
};

Outcome OutcomeOf(const grpc::Status& status);
std::ostream& operator<<(std::ostream& os, const Outcome& o);

// Runs fn(i) for i in [0, n) on n threads at once (a start barrier lines them
// up) and waits for all.
template <typename F>
void RunConcurrently(int n, F fn) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (!go.load()) std::this_thread::yield();
      fn(i);
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
}

// Calls `call` until its answer is not transient (RESOURCE_EXHAUSTED,
// UNAVAILABLE) or `max_retries` retries were made, as a caller would (the
// barrier makes every phase idempotent). Before retry n (from 1) it calls
// on_retry(outcome) and sleeps n * step_ms.
template <typename F, typename OnRetry>
Outcome RetryTransient(F call, int max_retries, int step_ms, OnRetry on_retry) {
  for (int attempt = 0;; ++attempt) {
    Outcome outcome = call();
    const bool transient =
        outcome.code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
        outcome.code == grpc::StatusCode::UNAVAILABLE;
    if (!transient || attempt == max_retries) return outcome;
    on_retry(outcome);
    std::this_thread::sleep_for(
        std::chrono::milliseconds(step_ms * (attempt + 1)));
  }
}

// One service binary on a fresh database of SharedPg() per test. SetUp
// creates the database "<db_prefix>_<n>" and flushes SharedRedis(); the
// test's fixture starts the process with Launch(). TearDown prints the log
// tail if the test failed and stops the process.
class ServiceHarness : public ::testing::Test {
 protected:
  // `service` picks the binary turnstile-<service>.
  // `service` is also the default branch id.
  ServiceHarness(std::string service, std::string db_prefix,
                 int log_tail_lines);

  void SetUp() override;
  void TearDown() override;
  // What TearDown prints after a failure: the last lines of the log.
  virtual void DumpOnFailure();

  // Starts the binary with --listen (a fresh port), --pg and
  // --pg_password_file (the service's role), --redis_password_file (of
  // SharedRedis()) and `args`, and waits until it serves; then Connected()
  // makes the stubs. A positive `max_receive_bytes` raises the channel's
  // receive limit.
  void Launch(const std::vector<std::string>& args, int max_receive_bytes = 0);
  // Graceful stop; the client goes first so that the server need not wait
  // for its connection to drain. 0 if no process runs.
  int Stop();

  // The TCC phases of branch `branch` (default_branch_ if not given) of
  // transaction `gid`; *applied tells whether the call changed anything.
  Outcome Confirm(const std::string& gid, bool* applied = nullptr,
                  std::optional<std::string> branch = std::nullopt);
  Outcome Cancel(const std::string& gid, bool* applied = nullptr,
                 std::optional<std::string> branch = std::nullopt);

  // The service's own stubs over channel_ (made after every Launch, dropped
  // by Stop).
  virtual void Connected() = 0;
  virtual void Disconnected() = 0;

  // A channel to the running process presenting `identity` (test_pki.h):
  // "order" for Tries, "coordinator" for Confirm/Cancel, "turnstilectl" for
  // operator calls (channel_), "loadgen" with ActAs for buyers.
  std::shared_ptr<grpc::Channel> Channel(const std::string& identity);

  std::string LogPath() const;
  // "--redis=127.0.0.1:<port>" of SharedRedis().
  static std::string RedisFlag();

  // A context with a deadline `seconds` from now (0: rpc_deadline_s_).
  std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 0) const;

  std::string Query(const std::string& sql) const;
  int64_t Count(const std::string& sql) const;
  // Phases in the TCC barrier of a transaction, e.g. "confirm,try".
  std::string Barrier(const std::string& gid) const;

  std::string service_;
  // Branch id of the service's TCC branches; reason sent with Cancel.
  std::string default_branch_;
  v1::CancelReason cancel_reason_ = v1::CANCEL_REASON_TRY_FAILED;
  std::string db_prefix_;
  int log_tail_lines_;
  int rpc_deadline_s_ = 10;
  std::string db_;
  std::string address_;
  ChildProcess process_;
  std::shared_ptr<grpc::Channel> channel_;  // as turnstilectl
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  int max_receive_bytes_ = 0;
  std::unique_ptr<v1::Participant::Stub> participant_;
};

}  // namespace turnstile::testing
