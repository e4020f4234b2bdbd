// How turnstile-bench talks to the mesh: one asynchronous unary call acting
// for a user (through the loadgen identity, DESIGN.md §8), round-robin stubs
// over several TCP connections, and the small conventions every scenario
// shares (buyer names, the call deadline, fresh run tags, fatal errors).
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "services/common/caller.h"
#include "tools/bench_load.h"

namespace turnstile::bench {

// The deadline of each call (--rpc_timeout_ms).
std::chrono::milliseconds Timeout();

// Buyer `n`: <--user_prefix><n>.
std::string User(int64_t n);

// One asynchronous unary call: request, response and context live until the
// completion has run.
template <typename Req, typename Resp>
struct Call {
  grpc::ClientContext ctx;
  Req req;
  Resp resp;
};

// The bench's operator: an admin acting through the loadgen identity.
inline constexpr char kOperator[] = "bench-operator";
inline constexpr char kAdmin[] = "admin";

// Sends one call acting for `user` (with `roles`).
template <typename Req, typename Resp, typename Start, typename Then>
void Send(Start start, Req req, Then then, const std::string& user,
          const std::string& roles = "") {
  auto call = std::make_shared<Call<Req, Resp>>();
  call->req = std::move(req);
  call->ctx.set_deadline(std::chrono::system_clock::now() + Timeout());
  ActAs(call->ctx, user, roles);
  start(&call->ctx, &call->req, &call->resp,
        [call, then](grpc::Status status) { then(status, call->resp); });
}

// Round-robin stubs over several connections.
template <typename Service>
class StubPool {
 public:
  // Connects every channel first (up to 5 s), so that connection set-up is
  // not counted in the first requests' latency.
  StubPool(const std::string& target, const std::string& peer, int channels) {
    for (auto& ch : MakeChannels(target, peer, channels)) {
      ch->WaitForConnected(std::chrono::system_clock::now() +
                           std::chrono::seconds(5));
      stubs_.push_back(Service::NewStub(ch));
    }
  }
  typename Service::Stub& operator[](int64_t i) {
    return *stubs_[static_cast<size_t>(i) % stubs_.size()];
  }

 private:
  std::vector<std::unique_ptr<typename Service::Stub>> stubs_;
};

// Prints `what` and exits with status 2.
[[noreturn]] void Die(const std::string& what);

// A fresh tag for this run's ids: seconds since the epoch and a random part.
std::string Tag();

}  // namespace turnstile::bench
