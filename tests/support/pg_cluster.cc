#include "tests/support/pg_cluster.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <pqxx/pqxx>
#include <set>
#include <stdexcept>

#include "services/common/migrate.h"

namespace turnstile::testing {
namespace {
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
  if (RunCommand(pg->bindir_ + "/initdb -A trust -U postgres -E UTF8 -D " +
                     data + " >" + pg->dir_ + "/initdb.log 2>&1",
                 true) != 0) {
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
  return pg;
}

PgCluster::~PgCluster() {
  RunCommand(bindir_ + "/pg_ctl -D " + dir_ + "/data -m immediate stop" +
                 " >/dev/null 2>&1",
             true);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PgCluster::Conninfo(const std::string& db) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + db +
         " user=postgres";
}

void PgCluster::CreateDatabase(const std::string& db) const {
  pqxx::connection conn(Conninfo("postgres"));
  pqxx::nontransaction tx(conn);
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(db) + " WITH (FORCE)");
  tx.exec("CREATE DATABASE " + tx.quote_name(db));
}

std::string PgCluster::Query(const std::string& db,
                             const std::string& sql) const {
  pqxx::connection conn(Conninfo(db));
  pqxx::nontransaction tx(conn);
  auto result = tx.exec(sql);
  if (result.empty() || result[0][0].is_null()) return "";
  return result[0][0].c_str();
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
