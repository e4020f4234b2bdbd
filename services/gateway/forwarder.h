// The gateway's one way into the mesh: a unary call forwarded as raw bytes
// (grpc::GenericStub over ByteBuffers, nothing re-serialized) to the
// backend of its route, over mTLS as the `gateway` identity, acting for the
// verified end user (x-turnstile-user, and x-turnstile-roles: admin for an
// operator). Asynchronous: the completion runs on a gRPC thread, and the
// caller posts it back to its own connection.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/gateway/routes.h"

namespace turnstile::gateway {

// The end user a call acts for ("" = anonymous).
struct Caller {
  std::string user;
  bool admin = false;
};

struct ForwardResult {
  grpc::Status status;
  grpc::ByteBuffer response;
  // Custom metadata of the backend's answer ("-bin" values base64), minus
  // gRPC's reserved keys.
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::pair<std::string, std::string>> trailers;
};

class Forwarder {
 public:
  using Done = std::function<void(ForwardResult&)>;

  // `addresses` indexed by Backend: host:port of each service.
  explicit Forwarder(const std::array<std::string, kBackendCount>& addresses);

  // Starts the call; `done` runs exactly once, on a gRPC thread.
  void Call(const Route& route, absl::string_view message, const Caller& caller,
            std::chrono::system_clock::time_point deadline, Done done);

 private:
  std::array<std::unique_ptr<grpc::GenericStub>, kBackendCount> stubs_;
  std::vector<std::string> methods_;  // by Route::index (UnaryCall's type)
};

}  // namespace turnstile::gateway
