#include "tests/support/test_pki.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace turnstile::testing {

const std::string& TestPkiDir() {
  static const std::string* dir = [] {
    char tmpl[] = "/tmp/turnstile-pki-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) std::abort();
    auto* path = new std::string(tmpl);
    std::atexit([] { std::filesystem::remove_all(TestPkiDir()); });
    const std::string cmd = std::string("bash ") + TURNSTILE_SOURCE_DIR +
                            "/scripts/pki.sh " + *path + " >&2";
    if (std::system(cmd.c_str()) != 0) {
      std::fprintf(stderr, "scripts/pki.sh failed\n");
      std::abort();
    }
    return path;
  }();
  return *dir;
}

void TestPki(const std::vector<std::string>& args) {
  std::string cmd = std::string("bash ") + TURNSTILE_SOURCE_DIR +
                    "/scripts/pki.sh " + TestPkiDir();
  for (const auto& a : args) cmd += " " + a;
  if (std::system((cmd + " >&2").c_str()) != 0) {
    std::fprintf(stderr, "%s failed\n", cmd.c_str());
    std::abort();
  }
}

std::vector<std::string> TlsFlags() {
  return {"--tls_dir=" + TestPkiDir(), "--tls_refresh_s=1"};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<grpc::ChannelCredentials> TestCredentials(
    const std::string& identity) {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(TestPkiDir() + "/ca.pem");
  if (!identity.empty()) {
    options.pem_cert_chain = ReadFile(TestPkiDir() + "/" + identity + ".pem");
    options.pem_private_key =
        ReadFile(TestPkiDir() + "/" + identity + "-key.pem");
  }
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::ServerCredentials> TestServerCredentials(
    const std::string& identity) {
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = ReadFile(TestPkiDir() + "/ca.pem");
  options.pem_key_cert_pairs.push_back(
      {ReadFile(TestPkiDir() + "/" + identity + "-key.pem"),
       ReadFile(TestPkiDir() + "/" + identity + ".pem")});
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::Channel> TestChannel(const std::string& address,
                                           const std::string& peer,
                                           const std::string& identity,
                                           int max_receive_bytes) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  args.SetSslTargetNameOverride(peer);
  // Channels of different identities must not share a subchannel (and so a
  // connection with another certificate).
  args.SetString("turnstile.test_identity", identity);
  if (max_receive_bytes > 0) args.SetMaxReceiveMessageSize(max_receive_bytes);
  return grpc::CreateCustomChannel(address, TestCredentials(identity), args);
}

}  // namespace turnstile::testing
