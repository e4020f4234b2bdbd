// A private PostgreSQL cluster for one test binary (DESIGN.md §7): initdb into
// a fresh directory under /tmp, a free loopback port, the Unix socket in that
// directory, run as the `postgres` user when the tests run as root. Stopped
// and deleted on destruction.
//
// It is set up like the local stack (./run): scram-sha-256 for every
// connection, nothing trusted; a random password for the superuser
// `postgres` (what the test helpers use) and for each service's role
// turnstile_<service>, in files under <dir>/secrets/ (pg-<name>.pass, 0600).
// Every test database is owned by the role of the service that uses it, and
// only that role (and the superuser) may connect to it; a service process
// under test connects as that role with --pg_password_file (ServiceFlags).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace turnstile::testing {

class PgCluster {
 public:
  // Starts a cluster; aborts the test binary on failure (nothing can run).
  static std::unique_ptr<PgCluster> Start();
  ~PgCluster();

  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // libpq connection string for database `db` as the superuser, password
  // included: for test helpers that read or change anything.
  std::string Conninfo(const std::string& db) const;
  // The role service `service` connects as: turnstile_<service>.
  static std::string RoleOf(const std::string& service);
  // Database `db` as the role of `service`, password included: for code
  // under test that runs in the test process (stores, migrations).
  std::string OwnerConninfo(const std::string& db,
                            const std::string& service) const;
  // What a service process under test gets: --pg=<db as the role of
  // `service`, no password> and --pg_password_file=<PasswordFile(service)>.
  std::vector<std::string> ServiceFlags(const std::string& db,
                                        const std::string& service) const;
  // The file holding the password of `service`'s role ("postgres": the
  // superuser's).
  std::string PasswordFile(const std::string& service) const;
  // The password itself (tests that check it is not logged).
  const std::string& Password(const std::string& service) const;
  // Drops (if present) and creates database `db`, owned by the role of
  // `service`, which alone (with the superuser) may connect to it.
  void CreateDatabase(const std::string& db, const std::string& service) const;
  // Runs one SQL statement in `db` as the superuser and returns the first
  // column of the first row ("" if none).
  std::string Query(const std::string& db, const std::string& sql) const;
  // The same as the role of `service`, e.g. DDL whose objects the service
  // must own.
  std::string QueryAs(const std::string& service, const std::string& db,
                      const std::string& sql) const;

 private:
  PgCluster() = default;
  // `db` as `role`, no password.
  std::string RoleConninfo(const std::string& db,
                           const std::string& role) const;

  std::string dir_;
  std::string bindir_;
  int port_ = 0;
  std::map<std::string, std::string> passwords_;  // "postgres" or service
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
