#include "services/common/trace_grpc.h"

#include <string_view>

namespace turnstile {

TraceContext ServerSpan(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  const auto [first, last] = metadata.equal_range(kTraceparentHeader);
  if (first != last && std::next(first) == last) {
    const std::string_view value(first->second.data(), first->second.size());
    if (auto caller = ParseTraceparent(value)) return ChildSpan(*caller);
  }
  // A handler called in-process (e.g. the orphan sweep's release through
  // Cancel) goes on in the calling thread's trace.
  const TraceContext* current = CurrentTrace();
  return current != nullptr ? ChildSpan(*current) : NewTrace();
}

void PropagateTrace(grpc::ClientContext* context, const TraceContext& parent) {
  context->AddMetadata(kTraceparentHeader,
                       FormatTraceparent(ChildSpan(parent)));
}

void PropagateTrace(grpc::ClientContext* context) {
  const TraceContext* current = CurrentTrace();
  PropagateTrace(context, current != nullptr ? *current : TraceContext());
}

}  // namespace turnstile
