#include "tests/support/mesh.h"

#include <cstdio>
#include <cstdlib>

namespace turnstile::testing {

const std::vector<std::string>& Mesh::Services() {
  static const std::vector<std::string> kServices = {
      "coordinator", "inventory", "seat", "booking", "payment", "order"};
  return kServices;
}

std::string Binary(const std::string& name) {
  return std::string(TURNSTILE_BIN_DIR) + "/" + name;
}

Mesh::Mesh(const PgCluster& pg, const std::string& prefix)
    : pg_(pg), redis_(RedisServer::Start()), prefix_(prefix) {
  for (const auto& s : Services()) {
    pg_.CreateDatabase(Db(s), s);
    procs_[s] = std::make_unique<ServiceProcess>(s, LogPath(s));
  }
}

Mesh::~Mesh() {
  // SIGKILL: the services hold channels to each other (coordinator <-> order
  // both ways), so a graceful stop would wait out every grace period.
  // Graceful shutdown has tests of its own.
  for (const auto& s : Services()) procs_[s]->Kill();
}

void Mesh::SetArgs(const std::string& service, std::vector<std::string> args) {
  args_[service] = std::move(args);
}

void Mesh::EnableMetrics() {
  for (const auto& s : Services()) procs_[s]->set_metrics_port(FreePort());
}

int Mesh::MetricsPort(const std::string& service) const {
  return procs_.at(service)->metrics_port();
}

void Mesh::StartAll() {
  for (const auto& s : Services()) Start(s);
}

void Mesh::Start(const std::string& service,
                 const std::vector<std::string>& extra) {
  std::vector<std::string> args = pg_.ServiceFlags(Db(service), service);
  if (service == "inventory" || service == "seat" || service == "booking" ||
      service == "order") {
    for (const auto& flag : redis_->ServiceFlags()) args.push_back(flag);
  } else {
    args.push_back("--redis=127.0.0.1:" + std::to_string(redis_->port()));
  }
  if (service == "coordinator") {
    args.push_back(
        "--participants=order=" + Address("order") +
        ",inventory=" + Address("inventory") + ",seat=" + Address("seat") +
        ",payment=" + Address("payment") + ",booking=" + Address("booking"));
    args.push_back("--poll_interval_ms=100");
    args.push_back("--lease_ms=2000");
    args.push_back("--rpc_timeout_ms=1500");
  } else if (service == "order") {
    for (const auto& peer :
         {"coordinator", "inventory", "seat", "payment", "booking"}) {
      args.push_back(std::string("--") + peer + "=" + Address(peer));
    }
  } else {
    // Inventory, seat, booking and payment ask it about holds past their
    // deadline (the orphan sweep).
    args.push_back("--coordinator=" + Address("coordinator"));
  }
  for (const auto& a : args_[service]) args.push_back(a);
  for (const auto& a : extra) args.push_back(a);
  if (!procs_[service]->Start(args)) std::abort();
}

void Mesh::Kill(const std::string& service) { procs_[service]->Kill(); }

void Mesh::Stop(const std::string& service) { procs_[service]->Stop(); }

pid_t Mesh::Pid(const std::string& service) const {
  return procs_.at(service)->pid();
}

std::string Mesh::Address(const std::string& service) const {
  return procs_.at(service)->address();
}

std::string Mesh::Db(const std::string& service) const {
  return prefix_ + "_" + service;
}

std::string Mesh::Conninfo(const std::string& service) const {
  return pg_.Conninfo(Db(service));
}

std::string Mesh::LogPath(const std::string& service) const {
  return pg_.dir() + "/" + prefix_ + "_" + service + ".log";
}

std::shared_ptr<grpc::Channel> Mesh::Channel(const std::string& service,
                                             const std::string& identity) {
  return procs_[service]->channel(identity);
}

std::string Mesh::Footprint() const {
  // Each table's rows as text, sorted, hashed; query_to_xml runs the dynamic
  // query per table inside one statement.
  static const char kSql[] =
      "SELECT string_agg(c.relname || '=' || (xpath('/row/h/text()', "
      "query_to_xml(format('SELECT md5(coalesce(string_agg(t::text, '','' "
      "ORDER BY t::text), '''')) AS h FROM %I t', c.relname), false, true, "
      "'')))[1]::text, ' ' ORDER BY c.relname) FROM pg_class c JOIN "
      "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
      "AND c.relkind = 'r'";
  std::string out;
  for (const auto& s : Services()) out += s + ": " + Query(s, kSql) + "\n";
  return out;
}

std::string Mesh::Query(const std::string& service,
                        const std::string& sql) const {
  return pg_.Query(Db(service), sql);
}

}  // namespace turnstile::testing
