// The gateway's one way into the mesh: a unary call forwarded as raw bytes
// (grpc::GenericStub over ByteBuffers, nothing re-serialized) to the
// backend of its route, over mTLS as the `gateway` identity, acting for the
// verified end user (x-turnstile-user, and x-turnstile-roles: admin for an
// operator), in the caller's trace (a `traceparent` with a new span of
// it, trace_grpc.h). Asynchronous: the completion runs on a gRPC thread, and
// the caller posts it back to its own connection.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "services/common/trace.h"
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

  // `addresses` indexed by Backend: host:port of each service. Answers
  // larger than `max_response_bytes` fail RESOURCE_EXHAUSTED in gRPC itself
  // (nothing larger is buffered).
  // `channels` TCP connections per backend, used in turn (one HTTP/2
  // connection is served by one poller on each side).
  Forwarder(const std::array<std::string, kBackendCount>& addresses,
            int64_t max_response_bytes, int channels = 1);

  // Starts the call with `message` (a view into `owner`, which gRPC keeps
  // until it has sent it: no copy); `done` runs exactly once, on a gRPC
  // thread. The call is a new span of `trace`.
  void Call(const Route& route, std::unique_ptr<std::string> owner,
            absl::string_view message, const Caller& caller,
            const TraceContext& trace,
            std::chrono::system_clock::time_point deadline, Done done);

  // Cancels every call still running (their `done` then runs with
  // CANCELLED), for the end of a shutdown's grace period.
  void CancelAll();

 private:
  std::array<std::vector<std::unique_ptr<grpc::GenericStub>>, kBackendCount>
      stubs_;
  std::atomic<uint32_t> next_{0};
  std::vector<std::string> methods_;  // by Route::index (UnaryCall's type)
  std::mutex mu_;
  absl::flat_hash_set<grpc::ClientContext*> running_;  // guarded by mu_
};

}  // namespace turnstile::gateway
