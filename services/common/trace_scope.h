// The trace (and transaction) a thread is working for, so that every log
// line it writes says so (log_setup.h appends trace_id=... and gid=...) and
// every outgoing call carries it on (trace_grpc.h). A thread-local value set
// by RAII scopes and restored when they end: a server handler opens one for
// its call; work that continues on another thread (a gRPC completion, a
// group-commit callback, an executor task) captures the TraceContext by
// value and opens its own scope there. No locks; no allocation.
#pragma once

#include <string_view>

#include "services/common/trace.h"

namespace turnstile {

// The current thread's trace, nullptr if none.
const TraceContext* CurrentTrace();
// The current thread's transaction id, "" if none.
std::string_view CurrentGid();

// Makes `trace` (and `gid`, if given) current until the end of the scope,
// then restores what was current before. An invalid `trace` clears the
// trace for the scope.
class TraceScope {
 public:
  explicit TraceScope(const TraceContext& trace, std::string_view gid = {});
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

 private:
  TraceContext saved_trace_;
  char saved_gid_[36];
  unsigned char saved_gid_size_;
};

// Makes `gid` the current transaction id until the end of the scope, the
// trace unchanged. Only a canonical UUID (36 characters of hex digits and
// '-') is taken; anything else leaves the current gid as it is, so that no
// caller-supplied text reaches a log line through it.
class GidScope {
 public:
  explicit GidScope(std::string_view gid);
  ~GidScope();
  GidScope(const GidScope&) = delete;
  GidScope& operator=(const GidScope&) = delete;

 private:
  char saved_gid_[36];
  unsigned char saved_gid_size_;
};

}  // namespace turnstile
