// Process start-up shared by every binary: flags with environment fallbacks
// (TURNSTILE_<FLAG_NAME>), structured logging, signal handling, metrics
// exposer, and the gRPC server with health and reflection.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}

namespace turnstile {

class CertExpiryWatcher;

// Parses flags (environment first, then the command line), sets up logging
// with the service name, checks the TLS files (the service name is the
// default identity, tls.h; exits if they are unusable), and blocks
// SIGTERM/SIGINT so that WaitForShutdownSignal can receive them. Call first
// in main.
// `identity` (default: `service`) is the TLS identity it presents.
std::vector<char*> InitProcess(int argc, char** argv, const char* service,
                               const char* identity = nullptr);

// For tools (turnstilectl, the demo, the bench): parses flags (environment
// fallbacks included) with `identity` as the default TLS identity. The TLS
// files are checked when the tool makes its first channel (tls.h).
bool InitTool(int argc, char** argv, const char* identity,
              std::vector<char*>* rest = nullptr);

// Turns off Abseil's Mutex deadlock detector (on in Debian's build, and
// paid on every lock gRPC takes). InitProcess calls it; tools that parse
// their own flags call it first thing in main.
void DisableMutexDeadlockDetection();

// The process-wide metrics registry (exposed over HTTP by SideServers).
prometheus::Registry& Metrics();

// The operator's side doors of a process: the metrics endpoint
// (--metrics_listen) and the plaintext health-only gRPC port
// (--health_listen), plus the watcher that exports the own certificate's
// expiry (cert_expiry.h). ServeGrpc opens them itself; a process that is no
// gRPC server (the gateway) opens them with this.
class SideServers {
 public:
  SideServers();
  ~SideServers();
  // False (and logged) if a configured port cannot be opened.
  bool Start();
  // Health of the process on the health port ("" service), e.g. false
  // while draining.
  void SetServing(bool serving);
  void Shutdown();

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<grpc::Server> health_;
  std::unique_ptr<CertExpiryWatcher> cert_expiry_;
};

// Blocks until SIGTERM or SIGINT (blocked by InitProcess) and returns it.
int WaitForShutdownSignal();

// How long in-flight calls may run after SIGTERM (--shutdown_grace_ms).
std::chrono::milliseconds ShutdownGrace();

struct ServerConfig {
  std::string listen;    // e.g. "127.0.0.1:50051"
  int max_threads = 64;  // at least this many (see --grpc_max_threads)
  std::string service;   // name for logs and metrics
};

// Builds and starts the server with the given services over mTLS
// (tls.h), the authorization table enforced before every handler
// (authz_processor.h), health checking, reflection, request metrics, the
// metrics HTTP endpoint (--metrics_listen) and the plaintext health-only
// port (--health_listen). Blocks until SIGTERM/SIGINT, then stops accepting,
// lets in-flight calls finish (up to --shutdown_grace_ms), runs `on_stop`
// and returns.
int ServeGrpc(const ServerConfig& config,
              const std::vector<grpc::Service*>& services,
              const std::function<void()>& on_stop = nullptr);

}  // namespace turnstile
