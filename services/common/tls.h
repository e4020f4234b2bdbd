// Transport security of every process (DESIGN.md §8): mutual TLS with the
// mesh's private CA. A process presents the certificate of its identity
// (--tls_identity, by default the service or tool name) and verifies its
// peers against the CA; certificates and keys are watched on disk and
// re-read when they change (a Kubernetes secret rotation needs no restart).
// Files: --tls_ca/--tls_cert/--tls_key, or the layout of scripts/pki.sh under
// --tls_dir (<dir>/ca.pem, <dir>/<identity>.pem, <dir>/<identity>-key.pem).
// --insecure_plaintext turns all of it off (with a warning) for measurement.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace turnstile {

struct TlsFiles {
  std::string ca;
  std::string cert;
  std::string key;
};

// The identity this process presents when no --tls_identity is given; set by
// InitProcess (the service name) or by a tool before it parses flags.
void SetDefaultTlsIdentity(absl::string_view name);
// --tls_identity, else the default above.
std::string TlsIdentity();
// True if --insecure_plaintext: no TLS, no peer identities.
bool InsecurePlaintext();
// How often certificate files are re-read (--tls_refresh_s, at least 1).
int TlsRefreshSeconds();

// The files from the flags; INVALID_ARGUMENT naming what is missing. With
// `other`, the files of that identity under --tls_dir (a process that acts
// under a second identity: the bench-only coordinator bypass).
absl::StatusOr<TlsFiles> TlsFilesFromFlags(const std::string& other = "");

// Checks once at start-up that the files exist and can be read (or warns
// loudly about plaintext). A process exits if this fails.
absl::Status CheckTransportSecurity();

// Server side: TLS that asks every client for a certificate and verifies any
// it presents against the CA (a foreign, expired or malformed one fails the
// handshake). Calls without a certificate are then refused with
// UNAUTHENTICATED by the authorization processor (authz_processor.h) before
// any handler runs. Plaintext credentials under --insecure_plaintext.
std::shared_ptr<grpc::ServerCredentials> MeshServerCredentials();

// Client side: TLS presenting this process's certificate. The server must
// present a certificate whose DNS SAN is `peer` (the identity the caller
// expects, e.g. "inventory"), whatever address it is reached at.
// With `identity`, present that identity's certificate instead (tls_dir).
std::shared_ptr<grpc::ChannelCredentials> MeshChannelCredentials(
    const std::string& identity = "");
void SetPeerName(grpc::ChannelArguments& args, absl::string_view peer);

}  // namespace turnstile
