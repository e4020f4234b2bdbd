#include "services/gateway/grpc_web_handler.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/log_budget.h"
#include "services/common/status.h"
#include "services/common/trace_scope.h"
#include "services/gateway/edge_auth.h"
#include "services/gateway/grpc_web_codec.h"
#include "services/gateway/routes.h"
#include "services/gateway/waiting_room/queue_rules.h"

namespace turnstile::gateway {
namespace http = boost::beast::http;
namespace {

constexpr char kDomain[] = "gateway.turnstile";

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One debug line per call (in the call's trace): what an operator follows
// from the edge into the mesh with --log_level=debug.
void LogCall(const Route* route, grpc::StatusCode code, double seconds,
             bool refused_at_edge) {
  if (!spdlog::should_log(spdlog::level::debug)) return;
  const absl::string_view method =
      route != nullptr ? route->method : absl::string_view("unrouted");
  spdlog::debug("event=call method={} code={} ms={:.1f} at_edge={}",
                std::string_view(method.data(), method.size()),
                static_cast<int>(code), seconds * 1000, refused_at_edge);
}

// The gateway's span of a call: a child of the client's `traceparent` if it
// sent exactly one valid header, else a new trace.
TraceContext EdgeSpan(const HttpRequest& request) {
  const auto [first, last] = request.equal_range(kTraceparentHeader);
  if (first != last && std::next(first) == last) {
    const std::string_view value(first->value().data(), first->value().size());
    if (auto caller = ParseTraceparent(value)) return ChildSpan(*caller);
  }
  return NewTrace();
}

// Answers an edge refusal and counts it.
void Refuse(Edge& edge, const Route* route, const WebCall& call,
            const absl::Status& error, Clock::time_point start,
            const Reply& reply) {
  const grpc::Status status = ToGrpc(error, kDomain);
  const double seconds = SecondsSince(start);
  edge.metrics->CountCall(route, status.error_code(), seconds);
  LogCall(route, status.error_code(), seconds, true);
  reply(TrailersOnly(call, status));
}

// A call that passed the checks made on its own thread, on its way
// through the rate limiter (possibly another thread) to the mesh.
struct Accepted {
  Edge* edge;
  const Route* route;
  WebCall call;
  Clock::time_point start;
  Reply reply;
  std::unique_ptr<std::string> body;  // owns `message`
  absl::string_view message;
  Caller caller;
  std::chrono::nanoseconds timeout;
  TraceContext trace;
  std::vector<std::string> passes;  // x-turnstile-pass values (PlaceOrder)
  bool started = false;             // counted in the in-flight bound
};

constexpr absl::string_view kPlaceOrder = "/turnstile.v1.Order/PlaceOrder";

// Ends the call's in-flight slot, counts it and answers.
void Finish(const std::shared_ptr<Accepted>& a, const grpc::Status& status,
            bool at_edge, HttpResponse response) {
  Edge& edge = *a->edge;
  if (a->started) {
    edge.limits.EndCall();
    edge.metrics->CallEnded();
  }
  const double seconds = SecondsSince(a->start);
  edge.metrics->CountCall(a->route, status.error_code(), seconds);
  LogCall(a->route, status.error_code(), seconds, at_edge);
  a->reply(std::move(response));
}

void FinishRefused(const std::shared_ptr<Accepted>& a,
                   const absl::Status& error) {
  const grpc::Status status = ToGrpc(error, kDomain);
  Finish(a, status, true, TrailersOnly(a->call, status));
}

void SendToMesh(const std::shared_ptr<Accepted>& a);

// A WaitingRoom call: answered by the gateway itself (waiting_room.h).
void ServeLocally(const std::shared_ptr<Accepted>& a) {
  Edge& edge = *a->edge;
  if (edge.waiting_room == nullptr) {
    return FinishRefused(
        a, Error(absl::StatusCode::kUnavailable, "WAITING_ROOM_OFF",
                 "this gateway runs no waiting room (--waiting_room=false)"));
  }
  edge.waiting_room->Serve(
      *a->route, std::string(a->message), a->caller,
      [a](absl::StatusOr<std::string> answer) {
        const TraceScope scope(a->trace);  // on a waiting-room thread
        if (!answer.ok()) return FinishRefused(a, answer.status());
        grpc::Slice slice(*answer);
        grpc::ByteBuffer message(&slice, 1);
        Finish(a, grpc::Status::OK, true,
               MessageResponse(a->call, grpc::Status::OK, message, {}, {}));
      });
}

// PlaceOrder of a queued product needs the caller's pass (waiting_room.h)
// before the order service is called.
void CheckQueueThenSend(const std::shared_ptr<Accepted>& a) {
  a->edge->waiting_room->CheckPlaceOrder(std::string(a->message), a->caller,
                                         std::move(a->passes),
                                         [a](absl::Status checked) {
                                           const TraceScope scope(a->trace);
                                           if (!checked.ok())
                                             return FinishRefused(a, checked);
                                           SendToMesh(a);
                                         });
}

void Forward(const std::shared_ptr<Accepted>& a,
             const RateLimiter::Decision& decision) {
  const TraceScope scope(a->trace);  // possibly the rate limiter's thread
  Edge& edge = *a->edge;
  if (decision.kind == RateLimiter::Decision::kLimited) {
    return Refuse(
        edge, a->route, a->call,
        WithMetadata(
            Overloaded("RATE_LIMITED",
                       "too many calls: slow down and retry after the delay",
                       std::chrono::milliseconds(decision.retry_after_ms)),
            {{"scope", decision.scope}}),
        a->start, a->reply);
  }
  if (decision.kind == RateLimiter::Decision::kUnavailable) {
    return Refuse(
        edge, a->route, a->call,
        WithRetryDelay(
            Error(absl::StatusCode::kUnavailable, "RATE_LIMITER_UNAVAILABLE",
                  "the rate limiter is unavailable; this call is refused "
                  "until it is back"),
            std::chrono::milliseconds(
                decision.retry_after_ms > 0 ? decision.retry_after_ms : 1000)),
        a->start, a->reply);
  }
  if (!edge.limits.TryStartCall()) {
    return Refuse(edge, a->route, a->call,
                  Overloaded("GATEWAY_OVERLOADED",
                             "too many calls in flight at the gateway",
                             edge.settings.overload_retry_after),
                  a->start, a->reply);
  }
  edge.metrics->CallStarted();
  a->started = true;
  if (a->route->backend == Backend::kGateway) return ServeLocally(a);
  if (a->route->method == kPlaceOrder && edge.waiting_room != nullptr) {
    return CheckQueueThenSend(a);
  }
  SendToMesh(a);
}

void SendToMesh(const std::shared_ptr<Accepted>& a) {
  Edge& edge = *a->edge;

  // The client's clock started when its request arrived, not now.
  const auto deadline =
      std::chrono::system_clock::now() -
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          Clock::now() - a->start) +
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          a->timeout);
  const Route* route = a->route;
  edge.forwarder->Call(
      *route, std::move(a->body), a->message, a->caller, a->trace, deadline,
      [a](ForwardResult& result) {
        const TraceScope scope(a->trace);  // on a gRPC thread
        Edge& edge = *a->edge;
        const Route* route = a->route;
        grpc::Status status = result.status;
        if (!status.ok() && status.error_details().empty() &&
            status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED &&
            status.error_code() != grpc::StatusCode::CANCELLED) {
          // Made by the gRPC library, not by a service (no details): its
          // text names addresses and internals, which stay in the log.
          static LogBudget budget(20);
          if (budget.Allow()) {
            spdlog::warn("event=backend_failed method={} code={} error=\"{}\"",
                         std::string(route->method),
                         static_cast<int>(status.error_code()),
                         status.error_message());
          }
          status = ToGrpc(
              Error(static_cast<absl::StatusCode>(status.error_code()),
                    "BACKEND_UNAVAILABLE",
                    "the service behind the gateway did not answer; retry"),
              kDomain);
        }
        if (status.ok() && static_cast<int64_t>(result.response.Length()) >
                               edge.settings.max_response_bytes) {
          status = ToGrpc(
              Error(absl::StatusCode::kResourceExhausted, "RESPONSE_TOO_LARGE",
                    absl::StrCat("the response is larger than ",
                                 edge.settings.max_response_bytes, " bytes")),
              kDomain);
        }
        if (!status.ok()) {
          HeaderList fields = std::move(result.headers);
          fields.insert(fields.end(), result.trailers.begin(),
                        result.trailers.end());
          Finish(a, status, false, TrailersOnly(a->call, status, fields));
        } else {
          Finish(a, status, false,
                 MessageResponse(a->call, status, result.response,
                                 result.headers, result.trailers));
        }
      });
}

}  // namespace

void HandleGrpcWeb(Edge& edge, HttpRequest& request, WebCall call,
                   std::string client_ip, Reply reply) {
  const auto start = Clock::now();
  const TraceContext trace = EdgeSpan(request);
  const TraceScope scope(trace);
  call.trace_id = std::string(trace.trace_id_view());
  const absl::string_view path(request.target().data(),
                               request.target().size());
  const Route* route = FindRoute(path.substr(0, path.find('?')));
  if (route == nullptr) {
    return Refuse(edge, nullptr, call,
                  Error(absl::StatusCode::kUnimplemented, "NOT_ROUTED",
                        "this method is not part of the public API"),
                  start, reply);
  }

  // The message: decoded (text flavour), framed, within the size bound.
  auto body = std::make_unique<std::string>();
  if (call.format == WebFormat::kText) {
    if (auto s = DecodeBase64Chunks(request.body(), body.get()); !s.ok()) {
      return Refuse(edge, route, call, s, start, reply);
    }
  } else {
    *body = std::move(request.body());
  }
  auto message = UnaryRequestMessage(*body);
  if (!message.ok()) {
    return Refuse(edge, route, call, message.status(), start, reply);
  }
  if (static_cast<int64_t>(message->size()) > edge.settings.max_request_bytes) {
    return Refuse(
        edge, route, call,
        Error(absl::StatusCode::kResourceExhausted, "MESSAGE_TOO_LARGE",
              absl::StrCat("the request message is larger than ",
                           edge.settings.max_request_bytes, " bytes")),
        start, reply);
  }

  // The deadline: the client's grpc-timeout, capped; a default otherwise.
  auto timeout = std::chrono::duration_cast<std::chrono::nanoseconds>(
      edge.settings.default_deadline);
  if (auto it = request.find("grpc-timeout"); it != request.end()) {
    auto parsed = ParseGrpcTimeout(
        absl::string_view(it->value().data(), it->value().size()));
    if (!parsed) {
      return Refuse(edge, route, call,
                    Error(absl::StatusCode::kInvalidArgument, "BAD_TIMEOUT",
                          "malformed grpc-timeout header"),
                    start, reply);
    }
    timeout =
        std::min(*parsed, std::chrono::duration_cast<std::chrono::nanoseconds>(
                              edge.settings.max_deadline));
  }

  // Who calls.
  absl::string_view authorization;
  if (auto it = request.find(http::field::authorization); it != request.end()) {
    authorization = absl::string_view(it->value().data(), it->value().size());
  }
  auto caller = Authenticate(*route, authorization, *edge.verifier,
                             absl::ToUnixSeconds(absl::Now()));
  if (!caller.ok()) {
    if (caller.status().code() == absl::StatusCode::kUnauthenticated) {
      edge.metrics->CountAuthFailure(ReasonOf(caller.status()));
    }
    return Refuse(edge, route, call, caller.status(), start, reply);
  }

  auto accepted = std::make_shared<Accepted>(
      Accepted{&edge, route, std::move(call), start, std::move(reply),
               std::move(body), *message, *std::move(caller), timeout, trace});
  if (route->method == kPlaceOrder) {
    std::vector<std::string> values;
    const auto [first, last] = request.equal_range(kPassHeader);
    for (auto it = first; it != last; ++it) {
      values.emplace_back(it->value().data(), it->value().size());
    }
    accepted->passes = SplitPasses(values);
  }
  // Abuse limits (without blocking this thread), then the mesh.
  if (edge.limiter == nullptr) return Forward(accepted, {});
  edge.limiter->CheckAsync(route->method, accepted->caller.user, client_ip,
                           [accepted](RateLimiter::Decision decision) {
                             Forward(accepted, decision);
                           });
}

}  // namespace turnstile::gateway
