// A private redis-server for one test binary (DESIGN.md §7): a free loopback
// port, its own temporary directory, no persistence (--save "" --appendonly
// no), stopped and deleted on destruction. Restart() brings it back empty on
// the same port, as a Redis without persistence comes back after a crash.
// The query helpers use their own connection, so tests check the data in
// Redis itself, not only what the code under test reports. Like the local
// stack's, the server requires a password (requirepass, a random one per
// server, also in <dir>/redis.pass for --redis_password_file); Options()
// and the helpers send it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "services/common/redis_client.h"
#include "tests/support/child_process.h"

namespace turnstile::testing {

class RedisServer {
 public:
  // Starts a server and waits until it answers PING; aborts the test binary
  // on failure (nothing can run without it).
  static std::unique_ptr<RedisServer> Start();
  ~RedisServer();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // Client options for this server, password included.
  RedisOptions Options(int pool_size = 8) const;
  const std::string& password() const { return password_; }
  // The file holding password() (0600).
  std::string password_file() const { return dir_ + "/redis.pass"; }
  // What a service that uses Redis gets: --redis and --redis_password_file.
  std::vector<std::string> ServiceFlags() const;

  // SIGTERM and wait (nothing is saved).
  void Stop();
  // SIGKILL.
  void Kill();
  // Starts again on the same port (after Stop/Kill) and waits for PING.
  void StartAgain();
  // Stop + StartAgain: the server comes back empty.
  void Restart();
  bool running() const { return process_.running(); }

  void FlushAll();
  // Runs one command; the reply as text: strings and status as they are,
  // integers in decimal, nil as "(nil)", errors prefixed with "error: ",
  // arrays as their elements joined by ",".
  std::string Run(const std::vector<std::string>& argv);
  // Runs a command whose reply is an array of strings/integers.
  std::vector<std::string> RunList(const std::vector<std::string>& argv);
  std::map<std::string, std::string> HGetAll(const std::string& key);
  // Every key -> its DUMP serialization plus whether it has a TTL. Equal
  // snapshots mean that no key was created, deleted or changed.
  std::map<std::string, std::string> Snapshot();

 private:
  RedisServer() = default;
  void Launch();
  redisReply* Raw(const std::vector<std::string>& argv);

  std::string dir_;
  std::string binary_;
  std::string password_;
  int port_ = 0;
  ChildProcess process_;
};

// The Redis server shared by every test of this binary (started on first
// use, stopped at exit), as SharedPg() is the PostgreSQL cluster.
RedisServer& SharedRedis();

}  // namespace turnstile::testing
