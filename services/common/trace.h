// W3C Trace Context (https://www.w3.org/TR/trace-context/) as pure values:
// a `traceparent` header parsed ("00-<32 hex trace id>-<16 hex parent
// id>-<2 hex flags>"), a new trace started, a child span made, and the
// header formatted again. Turnstile follows one request through the logs of
// every process with it (trace_scope.h, trace_grpc.h); no spans are
// recorded. A header that does not parse is never an error: the receiver
// starts a new trace instead, as the specification asks. Fixed-size values,
// no allocation except FormatTraceparent's string.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace turnstile {

// The metadata key / HTTP header name (lower-case, as gRPC requires).
inline constexpr char kTraceparentHeader[] = "traceparent";

struct TraceContext {
  std::array<char, 32> trace_id{};  // lower-case hex; all '\0' = none
  std::array<char, 16> span_id{};   // this span's id, lower-case hex
  uint8_t flags = 0;                // trace-flags (bit 0: sampled)

  bool valid() const { return trace_id[0] != '\0'; }
  std::string_view trace_id_view() const {
    return std::string_view(trace_id.data(), trace_id.size());
  }
  std::string_view span_id_view() const {
    return std::string_view(span_id.data(), span_id.size());
  }
};

// The caller's context from a `traceparent` value (surrounding blanks
// allowed), its parent-id as span_id; nullopt if malformed: not lower-case
// hex, wrong lengths or separators, version ff, an all-zero trace or parent
// id, or a version-00 header with anything after the flags. A later
// version's header is read by its version-00 prefix if what follows starts
// with '-' (the specification's forward compatibility rule).
std::optional<TraceContext> ParseTraceparent(std::string_view header);

// A new trace: random trace id and span id (never all zero), flags 01
// (sampled: every process logs the trace id of every line it writes).
TraceContext NewTrace();

// A new span of `parent`'s trace (same trace id and flags, new span id);
// a new trace if `parent` is not valid.
TraceContext ChildSpan(const TraceContext& parent);

// The `traceparent` value of `context` ("00-...", 55 characters);
// "" if it is not valid.
std::string FormatTraceparent(const TraceContext& context);

// A trace id as stored and logged: 32 lower-case hex digits, not all zero.
bool IsValidTraceId(std::string_view trace_id);

// A new span in the trace `trace_id` (e.g. one read back from a database),
// flags 01; an invalid context if `trace_id` is not valid.
TraceContext SpanInTrace(std::string_view trace_id);

}  // namespace turnstile
