#include "tests/support/service_process.h"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdlib>

#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/test_pki.h"

namespace turnstile::testing {

ServiceProcess::ServiceProcess(std::string name, std::string log_path)
    : name_(std::move(name)),
      log_path_(std::move(log_path)),
      address_("127.0.0.1:" + std::to_string(FreePort())) {}

ServiceProcess::~ServiceProcess() {
  channels_.clear();
  if (process_.running()) process_.Terminate(5000);
}

std::shared_ptr<grpc::Channel> ServiceProcess::channel(
    const std::string& identity) {
  auto& channel = channels_[identity];
  if (!channel) channel = TestChannel(address_, name_, identity);
  return channel;
}

bool ServiceProcess::Start(const std::vector<std::string>& args) {
  if (process_.running()) Stop();
  std::vector<std::string> all = {
      "--listen=" + address_,
      "--metrics_listen=" +
          (metrics_port_ == 0 ? std::string()
                              : "127.0.0.1:" + std::to_string(metrics_port_))};
  for (auto& flag : TlsFlags()) all.push_back(flag);
  all.insert(all.end(), args.begin(), args.end());
  process_.Start(Binary("turnstile-" + name_), all, log_path_);
  // A probe channel of its own: the shared one may sit in reconnect backoff.
  auto probe = TestChannel(address_, name_, "turnstilectl");
  const auto until =
      std::chrono::system_clock::now() + std::chrono::seconds(30);
  while (!probe->WaitForConnected(std::chrono::system_clock::now() +
                                  std::chrono::milliseconds(100))) {
    if (process_.Exited() || std::chrono::system_clock::now() > until) {
      std::fprintf(stderr, "%s did not start\n", name_.c_str());
      DumpLog();
      return false;
    }
  }
  return true;
}

int ServiceProcess::Stop(int timeout_ms) {
  channels_.clear();
  return process_.Terminate(timeout_ms);
}

void ServiceProcess::Kill() { process_.Kill(); }

void ServiceProcess::DumpLog(int lines) const {
  std::fprintf(stderr, "---- last lines of %s ----\n", log_path_.c_str());
  std::system(
      ("tail -n " + std::to_string(lines) + " " + log_path_ + " >&2").c_str());
}

std::string TestDatabaseName(const std::string& prefix) {
  std::string name =
      prefix + "_" +
      ::testing::UnitTest::GetInstance()->current_test_info()->name();
  for (auto& c : name) c = static_cast<char>(std::tolower(c));
  return name.substr(0, 63);
}

}  // namespace turnstile::testing
