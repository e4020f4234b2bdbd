// Outgoing gRPC channels (mTLS, tls.h) and per-call contexts with the
// configured timeout.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

namespace turnstile {

struct ChannelOptions {
  // The certificate presented ("" = the process's own).
  std::string identity;
  // > 0: the largest message accepted (gRPC's default is 4 MiB).
  int max_receive_bytes = 0;
  // Channels with different indexes get TCP connections of their own.
  int pool_index = 0;
  // gRPC's retry filter (transparent retries of calls that never reached
  // the server). It buffers every request; a caller that retries itself
  // with idempotency keys may turn it off.
  bool retries = true;
};

// A channel to `target` (host:port or dns:///host:port) with keepalive,
// shared by all stubs to that peer: mTLS presenting this process's
// certificate and requiring the server's to name `peer` (e.g. "inventory"),
// plaintext under --insecure_plaintext (tls.h).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const std::string& peer,
                                           const ChannelOptions& options);
// The same with default options, presenting `identity` (default: the
// process's own).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target,
                                           const std::string& peer,
                                           const std::string& identity = "");

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
