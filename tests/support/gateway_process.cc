#include "tests/support/gateway_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/gateway/jwt/jwt_mint.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/test_pki.h"

namespace turnstile::testing {

bool PortAnswers(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok =
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

GatewayProcess::GatewayProcess(Mesh& mesh) : mesh_(mesh) {
  char tmpl[] = "/tmp/turnstile-gateway-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (dir == nullptr) {
    std::perror("mkdtemp");
    std::abort();
  }
  dir_ = dir;
  secret_file_ = dir_ + "/jwt-hs256.key";
  jwks_file_ = dir_ + "/jwks.json";
  std::random_device rd;
  std::string secret;
  for (int i = 0; i < 48; ++i) {
    secret.push_back("0123456789abcdef"[rd() % 16]);
  }
  std::ofstream(secret_file_) << secret << "\n";
  chmod(secret_file_.c_str(), 0600);
  std::ofstream(jwks_file_) << "{\"keys\":[]}\n";
  port_ = FreePort();
  metrics_port_ = FreePort();
}

GatewayProcess::~GatewayProcess() {
  if (process_.running()) process_.Kill();
  std::string cmd = "rm -rf '" + dir_ + "'";
  if (std::system(cmd.c_str()) != 0) {
  }
}

bool GatewayProcess::Start(const std::vector<std::string>& args) {
  std::vector<std::string> all = {
      absl::StrCat("--listen=127.0.0.1:", port_),
      absl::StrCat("--metrics_listen=127.0.0.1:", metrics_port_),
      "--order=" + mesh_.Address("order"),
      "--inventory=" + mesh_.Address("inventory"),
      "--seat=" + mesh_.Address("seat"),
      "--payment=" + mesh_.Address("payment"),
      "--coordinator=" + mesh_.Address("coordinator"),
      "--booking=" + mesh_.Address("booking"),
      "--jwt_hs256_secret_file=" + secret_file_,
      "--jwt_jwks_file=" + jwks_file_,
      std::string("--jwt_issuer=") + kIssuer,
      std::string("--jwt_audience=") + kAudience,
      absl::StrCat("--allowed_origins=", url()),
      "--shutdown_grace_ms=3000",
  };
  for (const auto& flag : TlsFlags()) all.push_back(flag);
  for (const auto& flag : mesh_.redis().ServiceFlags()) all.push_back(flag);
  for (const auto& flag : args) all.push_back(flag);
  process_.Start(Binary("turnstile-gateway"), all, log_path());
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    if (process_.Exited()) break;
    if (PortAnswers(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::cerr << "turnstile-gateway did not start\n";
  DumpLog();
  return false;
}

int GatewayProcess::Stop(int timeout_ms) {
  return process_.Terminate(timeout_ms);
}

void GatewayProcess::Kill() { process_.Kill(); }

std::string GatewayProcess::url() const {
  return absl::StrCat("http://127.0.0.1:", port_);
}

std::string GatewayProcess::metrics_url() const {
  return absl::StrCat("http://127.0.0.1:", metrics_port_, "/metrics");
}

void GatewayProcess::DumpLog(int lines) const {
  std::string cmd = absl::StrCat("tail -n ", lines, " '", log_path(), "' >&2");
  if (std::system(cmd.c_str()) != 0) {
  }
}

std::string GatewayProcess::Token(const std::string& user, bool admin) const {
  auto secret = gateway::ReadHs256Secret(secret_file_);
  if (!secret.ok()) return "";
  gateway::MintClaims claims;
  claims.user = user;
  claims.admin = admin;
  claims.issuer = kIssuer;
  claims.audience = kAudience;
  claims.now_s = absl::ToUnixSeconds(absl::Now());
  auto token = gateway::MintHs256(*secret, claims);
  return token.ok() ? *token : "";
}

}  // namespace turnstile::testing
