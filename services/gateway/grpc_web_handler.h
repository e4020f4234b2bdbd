// One gRPC-web call at the edge, from the HTTP request to the HTTP answer,
// in the order that refuses cheapest first and never calls the mesh for a
// call that must fail: route (UNIMPLEMENTED if not public), body decoded
// and framed (BAD_BASE64, BAD_FRAME), message size (MESSAGE_TOO_LARGE),
// grpc-timeout, the caller from its token (edge_auth.h), the rate limits
// (RATE_LIMITED with RetryInfo), the in-flight bound, then -- for
// PlaceOrder -- the waiting room's pass check (NOT_ADMITTED), then the
// forward; a WaitingRoom route is answered by the gateway itself
// (waiting_room/waiting_room.h) on the same path instead of forwarded.
// Every refusal is a gRPC status with ErrorInfo, as any gRPC client decodes
// it; every answer is counted by method and code. The call runs in the
// client's W3C trace (its `traceparent`, or a new trace), which every answer
// names in x-turnstile-trace-id and the forwarded call carries on.
#pragma once

#include <functional>
#include <string>

#include "absl/strings/string_view.h"
#include "services/gateway/edge.h"
#include "services/gateway/web_response.h"

namespace turnstile::gateway {

using Reply = std::function<void(HttpResponse)>;

// `format` comes from the request's content type (already checked); the
// request's body is taken. `reply` runs exactly once: on this thread for a
// refusal decided here, on the rate limiter's thread for one decided
// there, on a gRPC thread for a forwarded call.
void HandleGrpcWeb(Edge& edge, HttpRequest& request, WebCall call,
                   std::string client_ip, Reply reply);

}  // namespace turnstile::gateway
