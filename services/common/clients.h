// Outgoing gRPC channels (mTLS, tls.h) and per-call contexts with the
// configured timeout.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

namespace turnstile {

// A channel to `target` (host:port or dns:///host:port) with keepalive,
// shared by all stubs to that peer: mTLS presenting this process's
// certificate and requiring the server's to name `peer` (e.g. "inventory"),
// plaintext under --insecure_plaintext (tls.h).
// `identity` (default: the process's own) names the certificate presented;
// `max_receive_bytes` > 0 sets the largest message accepted (gRPC's default
// is 4 MiB); channels with different `pool_index` get TCP connections of
// their own.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const std::string& peer,
                                           const std::string& identity = "",
                                           int max_receive_bytes = 0,
                                           int pool_index = 0);

// A client context whose deadline is `timeout` from now.
inline std::unique_ptr<grpc::ClientContext> CallContext(
    std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

// The same, acting for end user `user` (with `roles`, e.g. "admin"): for
// peers allowed to act for users (loadgen, gateway; caller.h).
std::unique_ptr<grpc::ClientContext> CallContextFor(
    std::chrono::milliseconds timeout, const std::string& user,
    const std::string& roles = "");

}  // namespace turnstile
