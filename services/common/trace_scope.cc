#include "services/common/trace_scope.h"

#include <cstring>

namespace turnstile {
namespace {

struct Current {
  TraceContext trace;
  char gid[36] = {};
  unsigned char gid_size = 0;
};

// Constant-initialized: no guard on each access, nothing allocated.
constinit thread_local Current current;

bool IsUuidShaped(std::string_view gid) {
  if (gid.size() != sizeof(Current::gid)) return false;
  for (char c : gid) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                     (c >= 'A' && c <= 'F');
    if (!hex && c != '-') return false;
  }
  return true;
}

void SetGid(std::string_view gid) {
  if (!IsUuidShaped(gid)) return;
  std::memcpy(current.gid, gid.data(), gid.size());
  current.gid_size = static_cast<unsigned char>(gid.size());
}

}  // namespace

const TraceContext* CurrentTrace() {
  return current.trace.valid() ? &current.trace : nullptr;
}

std::string_view CurrentGid() {
  return std::string_view(current.gid, current.gid_size);
}

TraceScope::TraceScope(const TraceContext& trace, std::string_view gid)
    : saved_trace_(current.trace), saved_gid_size_(current.gid_size) {
  std::memcpy(saved_gid_, current.gid, current.gid_size);
  current.trace = trace;
  current.gid_size = 0;
  SetGid(gid);
}

TraceScope::~TraceScope() {
  current.trace = saved_trace_;
  std::memcpy(current.gid, saved_gid_, saved_gid_size_);
  current.gid_size = saved_gid_size_;
}

GidScope::GidScope(std::string_view gid) : saved_gid_size_(current.gid_size) {
  std::memcpy(saved_gid_, current.gid, current.gid_size);
  SetGid(gid);
}

GidScope::~GidScope() {
  std::memcpy(current.gid, saved_gid_, saved_gid_size_);
  current.gid_size = saved_gid_size_;
}

}  // namespace turnstile
