#include "services/common/tls.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

ABSL_FLAG(std::string, tls_dir, "",
          "Directory in the layout of scripts/pki.sh: ca.pem, "
          "<identity>.pem, <identity>-key.pem");
ABSL_FLAG(std::string, tls_ca, "", "CA certificate file (overrides --tls_dir)");
ABSL_FLAG(std::string, tls_cert, "",
          "This process's certificate file (overrides --tls_dir)");
ABSL_FLAG(std::string, tls_key, "",
          "This process's private key file (overrides --tls_dir)");
ABSL_FLAG(std::string, tls_identity, "",
          "Identity whose certificate this process presents (default: the "
          "service or tool name)");
ABSL_FLAG(int, tls_refresh_s, 10,
          "How often certificate and key files are checked for changes");
ABSL_FLAG(bool, insecure_plaintext, false,
          "INSECURE: no TLS and no peer authentication anywhere in this "
          "process (measurement only; the health port is plaintext anyway)");

namespace turnstile {
namespace {

ABSL_CONST_INIT absl::Mutex identity_mu(absl::kConstInit);
std::string& DefaultIdentity() {
  static auto* name = new std::string();
  return *name;
}

bool Readable(const std::string& path) {
  std::ifstream in(path);
  return in.good() && in.peek() != std::ifstream::traits_type::eof();
}

// One watcher per identity (normally just the process's own): every channel
// and the server share it, so a rotation is read once and reaches all.
std::shared_ptr<grpc::experimental::CertificateProviderInterface> Provider(
    const std::string& identity = "") {
  ABSL_CONST_INIT static absl::Mutex mu(absl::kConstInit);
  static auto* providers = new std::map<
      std::string,
      std::shared_ptr<grpc::experimental::CertificateProviderInterface>>();
  absl::MutexLock lock(&mu);
  auto& provider = (*providers)[identity];
  if (provider) return provider;
  auto files = TlsFilesFromFlags(identity);
  if (files.ok() && identity.empty()) {
    if (auto s = CheckTransportSecurity(); !s.ok()) files = s;
  }
  if (!files.ok()) {
    // Servers checked at start-up already; a tool learns it here.
    std::fprintf(stderr, "%s: %s\n",
                 (identity.empty() ? TlsIdentity() : identity).c_str(),
                 std::string(files.status().message()).c_str());
    std::exit(2);
  }
  provider =
      std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
          files->key, files->cert, files->ca, TlsRefreshSeconds());
  return provider;
}

}  // namespace

void SetDefaultTlsIdentity(absl::string_view name) {
  absl::MutexLock lock(&identity_mu);
  DefaultIdentity() = std::string(name);
}

std::string TlsIdentity() {
  std::string flag = absl::GetFlag(FLAGS_tls_identity);
  if (!flag.empty()) return flag;
  absl::MutexLock lock(&identity_mu);
  return DefaultIdentity();
}

bool InsecurePlaintext() { return absl::GetFlag(FLAGS_insecure_plaintext); }

int TlsRefreshSeconds() {
  return std::max(1, absl::GetFlag(FLAGS_tls_refresh_s));
}

absl::StatusOr<TlsFiles> TlsFilesFromFlags(const std::string& other) {
  const std::string dir = absl::GetFlag(FLAGS_tls_dir);
  const std::string identity = other.empty() ? TlsIdentity() : other;
  TlsFiles files{absl::GetFlag(FLAGS_tls_ca),
                 other.empty() ? absl::GetFlag(FLAGS_tls_cert) : "",
                 other.empty() ? absl::GetFlag(FLAGS_tls_key) : ""};
  if (!dir.empty()) {
    if (files.ca.empty()) files.ca = absl::StrCat(dir, "/ca.pem");
    if (files.cert.empty())
      files.cert = absl::StrCat(dir, "/", identity, ".pem");
    if (files.key.empty()) {
      files.key = absl::StrCat(dir, "/", identity, "-key.pem");
    }
  }
  if (files.ca.empty() || files.cert.empty() || files.key.empty()) {
    return absl::InvalidArgumentError(
        "no TLS files: give --tls_dir (or --tls_ca, --tls_cert and "
        "--tls_key); plaintext only with --insecure_plaintext");
  }
  return files;
}

absl::Status CheckTransportSecurity() {
  if (InsecurePlaintext()) {
    for (int i = 0; i < 3; ++i) {
      spdlog::warn(
          "event=INSECURE_PLAINTEXT note=\"no TLS, no peer authentication: "
          "anyone who reaches a port can call anything. Measurement only.\"");
    }
    return absl::OkStatus();
  }
  auto files = TlsFilesFromFlags();
  if (!files.ok()) return files.status();
  for (const auto* path : {&files->ca, &files->cert, &files->key}) {
    if (!Readable(*path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read TLS file ", *path));
    }
  }
  spdlog::info("event=tls identity={} ca={} cert={} refresh_s={}",
               TlsIdentity(), files->ca, files->cert,
               absl::GetFlag(FLAGS_tls_refresh_s));
  return absl::OkStatus();
}

std::shared_ptr<grpc::ServerCredentials> MeshServerCredentials() {
  if (InsecurePlaintext()) return grpc::InsecureServerCredentials();
  grpc::experimental::TlsServerCredentialsOptions options(Provider());
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  // Request and verify; a missing certificate is refused per call with a
  // clear UNAUTHENTICATED instead of an opaque handshake failure.
  options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> MeshChannelCredentials(
    const std::string& identity) {
  if (InsecurePlaintext()) return grpc::InsecureChannelCredentials();
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(Provider(identity));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  return grpc::experimental::TlsCredentials(options);
}

void SetPeerName(grpc::ChannelArguments& args, absl::string_view peer) {
  if (!InsecurePlaintext() && !peer.empty()) {
    args.SetSslTargetNameOverride(std::string(peer));
  }
}

}  // namespace turnstile
