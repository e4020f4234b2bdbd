// The real turnstile-gateway in front of a test Mesh: started as a child
// process on a free loopback port with the mesh's addresses, the test PKI
// (it presents the `gateway` certificate), the mesh's Redis for its rate
// limits, a fresh HS256 secret and an (initially empty) JWKS file of its
// own, and any extra flags; waits until its HTTP port answers.
#pragma once

#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/mesh.h"

namespace turnstile::testing {

class GatewayProcess {
 public:
  explicit GatewayProcess(Mesh& mesh);
  ~GatewayProcess();

  // Starts with `args` after the defaults (later flags win). False (log
  // tail printed) if it exits or does not answer within 30 s.
  bool Start(const std::vector<std::string>& args = {});
  int Stop(int timeout_ms = 10000);
  void Kill();

  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  pid_t pid() const { return process_.pid(); }
  std::string url() const;  // http://127.0.0.1:PORT
  std::string metrics_url() const;
  const std::string& secret_file() const { return secret_file_; }
  const std::string& jwks_file() const { return jwks_file_; }
  const std::string& dir() const { return dir_; }
  std::string log_path() const { return dir_ + "/gateway.log"; }
  void DumpLog(int lines = 40) const;
  // A bearer token for `user` (an operator if `admin`) signed with this
  // gateway's HS256 secret, valid for an hour; "" if it cannot be made.
  std::string Token(const std::string& user, bool admin = false) const;

  static constexpr char kIssuer[] = "turnstile-test";
  static constexpr char kAudience[] = "turnstile";

 private:
  Mesh& mesh_;
  std::string dir_;
  std::string secret_file_;
  std::string jwks_file_;
  int port_ = 0;
  int metrics_port_ = 0;
  ChildProcess process_;
};

// True once something accepts TCP connections on 127.0.0.1:port.
bool PortAnswers(int port);

}  // namespace turnstile::testing
