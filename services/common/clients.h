// Outgoing gRPC channels and per-call contexts with the configured timeout.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

namespace turnstile {

// An insecure channel to `target` (host:port or dns:///host:port) with
// keepalive, shared by all stubs to that peer.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& target);

// A client context whose deadline is `timeout` from now.
inline std::unique_ptr<grpc::ClientContext> CallContext(
    std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

}  // namespace turnstile
