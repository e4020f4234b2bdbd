// The whole Turnstile mesh for an integration test: six real processes on
// loopback ports, each with its own fresh database in a shared PgCluster,
// owned by and reached as the service's own role.
//
// Command-line contract of every service binary (bin/turnstile-<service>):
//   --listen=127.0.0.1:PORT  --metrics_listen= (or 127.0.0.1:PORT after
//   EnableMetrics)
//   --pg=<libpq conninfo, user turnstile_<service>>  --pg_password_file=FILE
//   --redis=127.0.0.1:PORT (every service accepts it; inventory, seat,
//   booking and order use it and also get --redis_password_file=FILE)
// coordinator: --participants=order=ADDR,inventory=ADDR,seat=ADDR,payment=ADDR,
//              booking=ADDR --poll_interval_ms=N --lease_ms=N
// order:       --coordinator=ADDR --inventory=ADDR --seat=ADDR --payment=ADDR
//              --booking=ADDR
// inventory, seat, booking, payment: --coordinator=ADDR (the orphan sweep)
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/pg_cluster.h"
#include "tests/support/redis_server.h"
#include "tests/support/service_process.h"

namespace turnstile::testing {

class Mesh {
 public:
  // Services in start order.
  static const std::vector<std::string>& Services();

  // Creates fresh databases <prefix>_<service>, starts a private
  // redis-server (the gate) and picks free ports.
  Mesh(const PgCluster& pg, const std::string& prefix);
  ~Mesh();

  // Extra flags for a service, used by every later Start of it.
  void SetArgs(const std::string& service, std::vector<std::string> args);
  // Gives every service a free metrics port (--metrics_listen), the same
  // across restarts; call before StartAll. Off by default.
  void EnableMetrics();
  // The metrics port of a service (0 if metrics are off).
  int MetricsPort(const std::string& service) const;
  // Starts every service and waits until each accepts connections.
  void StartAll();
  // Starts one service (with extra flags for this start only) and waits.
  void Start(const std::string& service,
             const std::vector<std::string>& extra = {});
  // SIGKILL, no goodbye.
  void Kill(const std::string& service);
  // SIGTERM, graceful.
  void Stop(const std::string& service);

  std::string Address(const std::string& service) const;
  // The process id of a running service (e.g. to SIGSTOP it).
  pid_t Pid(const std::string& service) const;
  std::string Db(const std::string& service) const;
  // The service's database as the superuser (checks and test helpers).
  std::string Conninfo(const std::string& service) const;
  std::string LogPath(const std::string& service) const;
  // A channel to the service presenting `identity`'s certificate (created
  // once per identity, reconnects after restarts).
  std::shared_ptr<grpc::Channel> Channel(
      const std::string& service, const std::string& identity = "turnstilectl");
  const PgCluster& pg() const { return pg_; }
  RedisServer& redis() { return *redis_; }
  const std::string& prefix() const { return prefix_; }
  // A digest of every row of every table of every service database
  // ("<table>=<md5>" per table): equal before and after means nothing
  // changed anywhere.
  std::string Footprint() const;
  // Runs `sql` in the service's database, returns the first value.
  std::string Query(const std::string& service, const std::string& sql) const;

 private:
  const PgCluster& pg_;
  std::unique_ptr<RedisServer> redis_;
  std::string prefix_;
  std::map<std::string, std::vector<std::string>> args_;
  std::map<std::string, std::unique_ptr<ServiceProcess>> procs_;
};

// Path of a built binary, e.g. Binary("turnstilectl").
std::string Binary(const std::string& name);

}  // namespace turnstile::testing
