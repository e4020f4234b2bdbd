// Pieces shared by the typed gate wrappers (gate_scripts.cc, range_gate.cc):
// the per-thread argument buffer, key and owner arguments, and the
// sequential reader of a structured script reply (lua/README.md). Internal
// to services/common; not an API of its own.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/common/gate_scripts.h"
#include "services/common/redis_client.h"
#include "services/common/status.h"

namespace turnstile {
namespace gate_internal {

// Per-thread argument buffer: the request path allocates nothing once warm.
inline RedisArgs& ThreadArgs() {
  thread_local RedisArgs args;
  return args;
}

inline absl::string_view InitModeName(GateInitMode mode) {
  switch (mode) {
    case GateInitMode::kInit:
      return "init";
    case GateInitMode::kRepair:
      return "repair";
    case GateInitMode::kForce:
      return "force";
  }
  return "init";
}

// Appends "ts:{<kind>:<id>}:<suffix...>" as one argument.
inline void AddKey(RedisArgs& args, absl::string_view kind,
                   absl::string_view id, absl::string_view suffix,
                   absl::string_view owner_gid = {},
                   absl::string_view owner_branch = {}) {
  if (owner_gid.empty()) {
    args.Add({"ts:{", kind, ":", id, "}:", suffix});
  } else {
    args.Add(
        {"ts:{", kind, ":", id, "}:", suffix, owner_gid, ":", owner_branch});
  }
}

inline void AddOwner(RedisArgs& args, const GateOwner& owner) {
  args.Add({owner.gid, ":", owner.branch_id});
}

// Sequential reader of a script reply: an array whose first element is the
// status string, then integers and strings. Any mismatch marks it failed.
class ReplyReader {
 public:
  explicit ReplyReader(const redisReply& reply) : reply_(reply) {
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements == 0) failed_ = true;
  }

  bool failed() const { return failed_; }
  bool at_end() const { return next_ == reply_.elements; }

  GateStatus Status() {
    GateStatus status = GateStatus::kInvalidArgument;
    if (!ParseGateStatus(Str(), &status)) failed_ = true;
    return status;
  }

  int64_t Int() {
    const redisReply* e = Next();
    if (e == nullptr || e->type != REDIS_REPLY_INTEGER) {
      failed_ = true;
      return 0;
    }
    return e->integer;
  }

  absl::string_view Str() {
    const redisReply* e = Next();
    if (e == nullptr ||
        (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS)) {
      failed_ = true;
      return {};
    }
    return absl::string_view(e->str, e->len);
  }

  // A count that the remaining elements can hold (`width` each).
  size_t Count(size_t width) {
    const int64_t n = Int();
    if (n < 0 || static_cast<size_t>(n) * width > reply_.elements - next_) {
      failed_ = true;
      return 0;
    }
    return static_cast<size_t>(n);
  }

  absl::Status Done(absl::string_view what) const {
    if (!failed_ && at_end()) return absl::OkStatus();
    return Error(absl::StatusCode::kInternal, "REDIS_BAD_REPLY",
                 absl::StrCat("unexpected reply of ", what));
  }

 private:
  const redisReply* Next() {
    if (failed_ || next_ >= reply_.elements) {
      failed_ = true;
      return nullptr;
    }
    return reply_.element[next_++];
  }

  const redisReply& reply_;
  size_t next_ = 0;
  bool failed_ = false;
};

// Reads the status; for INVALID_ARGUMENT also the message (true: done).
template <typename R>
bool ReadHead(ReplyReader& in, R& out) {
  out.status = in.Status();
  if (out.status == GateStatus::kInvalidArgument) {
    out.message = std::string(in.Str());
    return true;
  }
  return false;
}

inline std::vector<std::string> ReadSeats(ReplyReader& in, size_t n) {
  std::vector<std::string> seats;
  seats.reserve(n);
  for (size_t i = 0; i < n; ++i) seats.emplace_back(in.Str());
  return seats;
}

template <typename T>
absl::StatusOr<T> Run(
    RedisClient* redis, const LuaScript& script, const RedisArgs& args,
    absl::StatusOr<T> (*parse)(const redisReply&),
    std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
  auto reply = redis->Eval(script, args, timeout);
  if (!reply.ok()) return reply.status();
  return parse(**reply);
}

}  // namespace gate_internal
}  // namespace turnstile
