#include "services/gateway/forwarder.h"

#include <algorithm>
#include <limits>

#include "absl/strings/match.h"
#include "services/common/caller.h"
#include "services/common/clients.h"
#include "services/common/trace_grpc.h"
#include "services/gateway/grpc_web_codec.h"

namespace turnstile::gateway {
namespace {

struct PendingCall {
  grpc::ClientContext ctx;
  grpc::ByteBuffer request;
  ForwardResult result;
  Forwarder::Done done;
};

void CopyMetadata(
    const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
    std::vector<std::pair<std::string, std::string>>* out) {
  for (const auto& [key_ref, value_ref] : metadata) {
    absl::string_view key(key_ref.data(), key_ref.size());
    absl::string_view value(value_ref.data(), value_ref.size());
    if (absl::StartsWith(key, "grpc-") || absl::StartsWith(key, ":") ||
        key == "content-type" || key == "te") {
      continue;
    }
    if (absl::EndsWith(key, "-bin")) {
      out->emplace_back(std::string(key), Base64Unpadded(value));
    } else {
      out->emplace_back(std::string(key), std::string(value));
    }
  }
}

}  // namespace

Forwarder::Forwarder(const std::array<std::string, kBackendCount>& addresses,
                     int64_t max_response_bytes, int channels) {
  const int max_receive = static_cast<int>(
      std::min<int64_t>(max_response_bytes, std::numeric_limits<int>::max()));
  for (int i = 0; i < kBackendCount; ++i) {
    const auto backend = static_cast<Backend>(i);
    for (int c = 0; c < std::max(1, channels); ++c) {
      // Distinct channel arguments, or gRPC shares one subchannel (one TCP
      // connection) among them.
      ChannelOptions options;
      options.max_receive_bytes = max_receive;
      options.pool_index = c;
      // The edge retries nothing itself: a client retries with its
      // idempotency key (request_id), and gRPC's retry filter would copy
      // every request (6 % of sold-out refusals/s, measured).
      options.retries = false;
      stubs_[i].push_back(std::make_unique<grpc::GenericStub>(MakeChannel(
          addresses[i], std::string(BackendName(backend)), options)));
    }
  }
  for (const Route& route : Routes()) methods_.emplace_back(route.method);
}

void Forwarder::Call(const Route& route, std::unique_ptr<std::string> owner,
                     absl::string_view message, const Caller& caller,
                     const TraceContext& trace,
                     std::chrono::system_clock::time_point deadline,
                     Done done) {
  auto* call = new PendingCall();
  call->done = std::move(done);
  call->ctx.set_deadline(deadline);
  PropagateTrace(&call->ctx, trace);
  if (!caller.user.empty()) {
    ActAs(call->ctx, caller.user, caller.admin ? "admin" : "");
  }
  // The slice owns the request body from here on.
  std::string* body = owner.release();
  grpc::Slice slice(
      const_cast<char*>(message.data()), message.size(),
      [](void* p) { delete static_cast<std::string*>(p); }, body);
  call->request = grpc::ByteBuffer(&slice, 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_.insert(&call->ctx);
  }
  const auto& stubs = stubs_[static_cast<int>(route.backend)];
  stubs[next_.fetch_add(1, std::memory_order_relaxed) % stubs.size()]
      ->UnaryCall(&call->ctx, methods_[route.index], grpc::StubOptions(),
                  &call->request, &call->result.response,
                  [this, call](grpc::Status status) {
                    {
                      std::lock_guard<std::mutex> lock(mu_);
                      running_.erase(&call->ctx);
                    }
                    call->result.status = std::move(status);
                    CopyMetadata(call->ctx.GetServerInitialMetadata(),
                                 &call->result.headers);
                    CopyMetadata(call->ctx.GetServerTrailingMetadata(),
                                 &call->result.trailers);
                    call->done(call->result);
                    delete call;
                  });
}

void Forwarder::CancelAll() {
  std::lock_guard<std::mutex> lock(mu_);
  for (grpc::ClientContext* ctx : running_) ctx->TryCancel();
}

}  // namespace turnstile::gateway
