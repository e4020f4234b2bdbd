// W3C trace context over gRPC metadata (key `traceparent`): what a server
// handler takes from its caller, and what every outgoing call carries on (a
// new span of the same trace, one metadata entry per call).
#pragma once

#include <grpcpp/grpcpp.h>

#include "services/common/trace.h"
#include "services/common/trace_scope.h"

namespace turnstile {

// This server's span of the call: a child of the caller's `traceparent`;
// when the caller sent none, more than one, or a malformed one, a child of
// the calling thread's current trace (a handler called in-process) or else
// a new trace.
TraceContext ServerSpan(const grpc::ServerContextBase& context);

// A sync handler's scope: ServerSpan(context) is current until it ends.
class ServerTraceScope : public TraceScope {
 public:
  explicit ServerTraceScope(const grpc::ServerContextBase& context)
      : TraceScope(ServerSpan(context)) {}
};

// Adds `traceparent` to an outgoing call: a new span of `parent`'s trace
// (of a new trace if `parent` is not valid).
void PropagateTrace(grpc::ClientContext* context, const TraceContext& parent);
// The same with the current thread's trace (trace_scope.h) as the parent.
void PropagateTrace(grpc::ClientContext* context);

}  // namespace turnstile
