// One real service binary under test (bin/turnstile-<name>): started on a
// loopback port that stays the same across restarts, over mTLS with the test
// PKI, with client channels (one per identity) that reconnect quickly, stopped
// gracefully (channel closed first so the server need not wait out its grace
// period) or killed with SIGKILL. Used by every per-service integration test
// and by Mesh.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace turnstile::testing {

class ServiceProcess {
 public:
  // `name` picks the binary turnstile-<name>; output goes to `log_path`.
  ServiceProcess(std::string name, std::string log_path);
  ~ServiceProcess();

  // Starts with --listen, --metrics_listen (empty = off unless
  // set_metrics_port), the test PKI (TlsFlags) and `args`, and waits until it
  // accepts connections over mTLS. Returns false (after printing the log tail)
  // if it exits or does not serve within 30 s.
  bool Start(const std::vector<std::string>& args);
  // Closes the channel, sends SIGTERM, returns the exit code (-1 if killed).
  int Stop(int timeout_ms = 10000);
  // SIGKILL.
  void Kill();
  bool running() const { return process_.running(); }
  pid_t pid() const { return process_.pid(); }

  const std::string& address() const { return address_; }
  // Serve Prometheus metrics on 127.0.0.1:port from the next Start on
  // (0 = off, the default).
  void set_metrics_port(int port) { metrics_port_ = port; }
  int metrics_port() const { return metrics_port_; }
  // The channel to the current process (reconnects after a restart),
  // presenting `identity`'s certificate (test_pki.h); one per identity.
  std::shared_ptr<grpc::Channel> channel(
      const std::string& identity = "turnstilectl");
  // Prints the last `lines` lines of the log to stderr.
  void DumpLog(int lines = 30) const;

 private:
  std::string name_;
  std::string log_path_;
  std::string address_;
  int metrics_port_ = 0;
  ChildProcess process_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

// A database name unique to the running test: <prefix>_<test name>,
// lower-cased.
std::string TestDatabaseName(const std::string& prefix);

}  // namespace turnstile::testing
