#include "tests/support/pg_cluster.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <stdexcept>

#include "services/common/migrate.h"

namespace turnstile::testing {
namespace {

constexpr const char* kServices[] = {"coordinator", "inventory", "seat",
                                     "payment",     "order",     "booking"};

// 24 random bytes in hex: no character that needs quoting anywhere.
std::string RandomPassword() {
  std::random_device random;
  std::string out;
  for (int i = 0; i < 24; ++i) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", random() & 0xff);
    out += hex;
  }
  return out;
}

// Writes `content` to `path` with mode 0600.
void WriteSecret(const std::string& path, const std::string& content) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << content << "\n";
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      std::abort();
    }
  }
  chmod(path.c_str(), 0600);
}
std::string FindBindir() {
  namespace fs = std::filesystem;
  std::string best;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql")) {
    const auto bin = entry.path() / "bin";
    if (fs::exists(bin / "initdb") && bin.string() > best) best = bin.string();
  }
  if (best.empty()) throw std::runtime_error("PostgreSQL server not installed");
  return best;
}
}  // namespace

int FreePort() {
  // The kernel may hand the same just-closed port out twice; a mesh that got
  // it for two services had one fail to listen (seen under ctest -j2), so a
  // process never gets the same port from here twice.
  static std::mutex mu;
  static std::set<int> given;
  std::lock_guard lock(mu);
  for (int attempt = 0;; ++attempt) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    const int port = ntohs(addr.sin_port);
    if (given.insert(port).second || attempt >= 100) return port;
  }
}

int RunCommand(const std::string& command, bool as_postgres) {
  std::string full = command;
  if (as_postgres && geteuid() == 0) {
    full = "runuser -u postgres -- sh -c '" + command + "'";
  }
  return std::system(full.c_str());
}

std::unique_ptr<PgCluster> PgCluster::Start() {
  std::unique_ptr<PgCluster> pg(new PgCluster());
  char tmpl[] = "/tmp/turnstile-pg-XXXXXX";
  pg->dir_ = mkdtemp(tmpl);
  pg->bindir_ = FindBindir();
  pg->port_ = FreePort();
  if (geteuid() == 0) {
    RunCommand("chown postgres:postgres " + pg->dir_ + " && chmod 700 " +
               pg->dir_);
  }
  const std::string data = pg->dir_ + "/data";
  // The secrets are readable by the tests' user only (postgres, if the tests
  // run as root, cannot enter the directory); initdb, run as postgres, reads
  // the superuser's password from a copy it owns, removed right after.
  const std::string secrets = pg->dir_ + "/secrets";
  std::filesystem::create_directory(secrets);
  chmod(secrets.c_str(), 0700);
  pg->passwords_["postgres"] = RandomPassword();
  for (const char* service : kServices) {
    pg->passwords_[service] = RandomPassword();
  }
  for (const auto& [name, password] : pg->passwords_) {
    WriteSecret(pg->PasswordFile(name), password);
  }
  const std::string pwfile = pg->dir_ + "/initdb.pwfile";
  WriteSecret(pwfile, pg->passwords_["postgres"]);
  if (geteuid() == 0) RunCommand("chown postgres:postgres " + pwfile);
  const int initdb =
      RunCommand(pg->bindir_ + "/initdb -A scram-sha-256 --pwfile=" + pwfile +
                     " -U postgres -E UTF8 -D " + data + " >" + pg->dir_ +
                     "/initdb.log 2>&1",
                 true);
  std::filesystem::remove(pwfile);
  if (initdb != 0) {
    std::fprintf(stderr, "initdb failed, see %s/initdb.log\n",
                 pg->dir_.c_str());
    std::abort();
  }
  const std::string opts =
      "-p " + std::to_string(pg->port_) + " -k " + pg->dir_ +
      " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400"
      " -c shared_buffers=128MB";
  if (RunCommand(pg->bindir_ + "/pg_ctl -w -t 60 -D " + data + " -o \"" + opts +
                     "\" -l " + pg->dir_ + "/server.log start >/dev/null",
                 true) != 0) {
    std::fprintf(stderr, "postgres failed to start, see %s/server.log\n",
                 pg->dir_.c_str());
    std::abort();
  }
  // The services' roles, as ./run makes them: login, nothing else; and no
  // database lets PUBLIC connect (CreateDatabase grants its owner).
  pqxx::connection conn(pg->Conninfo("postgres"));
  pqxx::nontransaction tx(conn);
  for (const char* service : kServices) {
    tx.exec("CREATE ROLE " + tx.quote_name(RoleOf(service)) +
            " LOGIN PASSWORD " + tx.quote(pg->passwords_[service]));
  }
  tx.exec("REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC");
  return pg;
}

PgCluster::~PgCluster() {
  RunCommand(bindir_ + "/pg_ctl -D " + dir_ + "/data -m immediate stop" +
                 " >/dev/null 2>&1",
             true);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PgCluster::RoleOf(const std::string& service) {
  for (const char* known : kServices) {
    if (service == known) return "turnstile_" + service;
  }
  throw std::invalid_argument("no role for service " + service);
}

std::string PgCluster::RoleConninfo(const std::string& db,
                                    const std::string& role) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + db +
         " user=" + role;
}

std::string PgCluster::Conninfo(const std::string& db) const {
  return RoleConninfo(db, "postgres") + " password=" + Password("postgres");
}

std::string PgCluster::OwnerConninfo(const std::string& db,
                                     const std::string& service) const {
  return RoleConninfo(db, RoleOf(service)) + " password=" + Password(service);
}

std::vector<std::string> PgCluster::ServiceFlags(
    const std::string& db, const std::string& service) const {
  return {"--pg=" + RoleConninfo(db, RoleOf(service)),
          "--pg_password_file=" + PasswordFile(service)};
}

std::string PgCluster::PasswordFile(const std::string& service) const {
  return dir_ + "/secrets/pg-" + service + ".pass";
}

const std::string& PgCluster::Password(const std::string& service) const {
  return passwords_.at(service);
}

void PgCluster::CreateDatabase(const std::string& db,
                               const std::string& service) const {
  pqxx::connection conn(Conninfo("postgres"));
  pqxx::nontransaction tx(conn);
  const std::string name = tx.quote_name(db);
  const std::string owner = tx.quote_name(RoleOf(service));
  tx.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  tx.exec("CREATE DATABASE " + name + " OWNER " + owner);
  tx.exec("REVOKE ALL ON DATABASE " + name + " FROM PUBLIC");
  tx.exec("GRANT CONNECT, TEMPORARY ON DATABASE " + name + " TO " + owner);
}

namespace {
std::string FirstValue(const std::string& conninfo, const std::string& sql) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  auto result = tx.exec(sql);
  if (result.empty() || result[0][0].is_null()) return "";
  return result[0][0].c_str();
}
}  // namespace

std::string PgCluster::Query(const std::string& db,
                             const std::string& sql) const {
  return FirstValue(Conninfo(db), sql);
}

std::string PgCluster::QueryAs(const std::string& service,
                               const std::string& db,
                               const std::string& sql) const {
  return FirstValue(OwnerConninfo(db, service), sql);
}

PgCluster& SharedPg() {
  static std::unique_ptr<PgCluster> pg = PgCluster::Start();
  return *pg;
}

int MigrationCount(const std::string& service) {
  int n = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(MigrationDir(service))) {
    if (entry.path().extension() == ".sql") ++n;
  }
  return n;
}

}  // namespace turnstile::testing
