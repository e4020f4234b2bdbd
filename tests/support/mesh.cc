#include "tests/support/mesh.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace turnstile::testing {

const std::vector<std::string>& Mesh::Services() {
  static const std::vector<std::string> kServices = {
      "coordinator", "inventory", "seat", "payment", "order"};
  return kServices;
}

std::string Binary(const std::string& name) {
  return std::string(TURNSTILE_BIN_DIR) + "/" + name;
}

Mesh::Mesh(const PgCluster& pg, const std::string& prefix)
    : pg_(pg), redis_(RedisServer::Start()), prefix_(prefix) {
  for (const auto& s : Services()) {
    pg_.CreateDatabase(Db(s));
    ports_[s] = FreePort();
  }
}

Mesh::~Mesh() {
  // Open client channels would hold each server's graceful shutdown for its
  // whole grace period.
  channels_.clear();
  // Order first so that nothing calls a participant already gone.
  for (auto it = Services().rbegin(); it != Services().rend(); ++it) {
    if (procs_.count(*it)) procs_[*it]->Terminate(5000);
  }
}

void Mesh::SetArgs(const std::string& service, std::vector<std::string> args) {
  args_[service] = std::move(args);
}

void Mesh::StartAll() {
  for (const auto& s : Services()) Start(s);
}

void Mesh::Start(const std::string& service,
                 const std::vector<std::string>& extra) {
  std::vector<std::string> args = {
      "--listen=" + Address(service), "--pg=" + Conninfo(service),
      "--metrics_listen=",
      "--redis=127.0.0.1:" + std::to_string(redis_->port())};
  if (service == "coordinator") {
    args.push_back("--participants=order=" + Address("order") + ",inventory=" +
                   Address("inventory") + ",seat=" + Address("seat") +
                   ",payment=" + Address("payment"));
    args.push_back("--poll_interval_ms=100");
    args.push_back("--lease_ms=2000");
  } else if (service == "order") {
    for (const auto& peer : {"coordinator", "inventory", "seat", "payment"}) {
      args.push_back(std::string("--") + peer + "=" + Address(peer));
    }
  }
  for (const auto& a : args_[service]) args.push_back(a);
  for (const auto& a : extra) args.push_back(a);
  auto& proc = procs_[service];
  if (proc && proc->running()) proc->Terminate(5000);
  proc = std::make_unique<ChildProcess>();
  proc->Start(Binary("turnstile-" + service), args, LogPath(service));
  // Ready once it accepts connections (it listens only after migrating).
  auto probe =
      grpc::CreateChannel(Address(service), grpc::InsecureChannelCredentials());
  const auto until =
      std::chrono::system_clock::now() + std::chrono::seconds(30);
  while (!probe->WaitForConnected(std::chrono::system_clock::now() +
                                  std::chrono::milliseconds(100))) {
    if (proc->Exited() || std::chrono::system_clock::now() > until) {
      std::fprintf(stderr, "%s did not start; log %s:\n", service.c_str(),
                   LogPath(service).c_str());
      std::system(("tail -n 30 " + LogPath(service) + " >&2").c_str());
      std::abort();
    }
  }
}

void Mesh::Kill(const std::string& service) { procs_[service]->Kill(); }

void Mesh::Stop(const std::string& service) { procs_[service]->Terminate(); }

std::string Mesh::Address(const std::string& service) const {
  return "127.0.0.1:" + std::to_string(ports_.at(service));
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

std::shared_ptr<grpc::Channel> Mesh::Channel(const std::string& service) {
  auto& ch = channels_[service];
  if (!ch) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    ch = grpc::CreateCustomChannel(Address(service),
                                   grpc::InsecureChannelCredentials(), args);
  }
  return ch;
}

std::string Mesh::Query(const std::string& service,
                        const std::string& sql) const {
  return pg_.Query(Db(service), sql);
}

}  // namespace turnstile::testing
