// A private PostgreSQL cluster for one test binary (DESIGN.md §7): initdb into
// a fresh directory under /tmp, a free loopback port, the Unix socket in that
// directory, run as the `postgres` user when the tests run as root. Stopped
// and deleted on destruction.
#pragma once

#include <memory>
#include <string>

namespace turnstile::testing {

class PgCluster {
 public:
  // Starts a cluster; aborts the test binary on failure (nothing can run).
  static std::unique_ptr<PgCluster> Start();
  ~PgCluster();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // libpq connection string for database `db`.
  std::string Conninfo(const std::string& db) const;
  // Drops (if present) and creates database `db`.
  void CreateDatabase(const std::string& db) const;
  // Runs one SQL statement in `db` and returns the first column of the first
  // row ("" if none).
  std::string Query(const std::string& db, const std::string& sql) const;

 private:
  PgCluster() = default;
  std::string dir_;
  std::string bindir_;
  int port_ = 0;
};

// A free TCP port on 127.0.0.1.
int FreePort();

// Runs a shell command (as `postgres` if root and as_postgres) and returns its
// exit code.
int RunCommand(const std::string& command, bool as_postgres = false);

// The cluster shared by every test of this binary (started on first use,
// stopped at exit).
PgCluster& SharedPg();

// How many migrations sql/<service>/ holds (what a fresh database gets).
int MigrationCount(const std::string& service);

}  // namespace turnstile::testing
