#include "services/common/limit_gate.h"

#include "services/common/gate_reply.h"
#include "services/common/status.h"

namespace turnstile {
namespace {

using gate_internal::AddKey;
using gate_internal::AddOwner;
using gate_internal::ReadHead;
using gate_internal::ReplyReader;
using gate_internal::Run;
using gate_internal::ThreadArgs;

struct Scripts {
  const LuaScript& take = RequiredLuaScript("limit_take");
  const LuaScript& release = RequiredLuaScript("limit_release");
  const LuaScript& commit = RequiredLuaScript("limit_commit");
  const LuaScript& init = RequiredLuaScript("limit_init");
  const LuaScript& read = RequiredLuaScript("limit_read");
};

const Scripts& S() {
  static const Scripts scripts;
  return scripts;
}

void AddLimitKeys(RedisArgs& args, absl::string_view day) {
  AddKey(args, "lim", day, "meta");
  AddKey(args, "lim", day, "uses");
}

}  // namespace

absl::StatusOr<LimitGateResult> ParseLimitTakeReply(const redisReply& reply) {
  ReplyReader in(reply);
  LimitGateResult out;
  if (!ReadHead(in, out)) {
    if (out.status == GateStatus::kUserLimit) {
      out.index = static_cast<int32_t>(in.Int() - 1);
      out.used = in.Int();
      out.limit = in.Int();
      if (out.index < 0 || out.index >= kLimitMaxCounters) {
        return Error(absl::StatusCode::kInternal, "REDIS_BAD_REPLY",
                     "unexpected reply of limit_take");
      }
    } else if (out.status == GateStatus::kExpired) {
      out.now_ms = in.Int();
    } else {
      out.counters = in.Int();
    }
  }
  if (auto s = in.Done("limit_take"); !s.ok()) return s;
  return out;
}

absl::StatusOr<LimitGateResult> ParseLimitCountReply(const redisReply& reply) {
  ReplyReader in(reply);
  LimitGateResult out;
  if (!ReadHead(in, out)) out.counters = in.Int();
  if (auto s = in.Done("limit_release/commit"); !s.ok()) return s;
  return out;
}

absl::StatusOr<LimitInitResult> ParseLimitInitReply(const redisReply& reply) {
  ReplyReader in(reply);
  LimitInitResult out;
  if (!ReadHead(in, out)) {
    out.ver = in.Int();
    out.counters = in.Int();
  }
  if (auto s = in.Done("limit_init"); !s.ok()) return s;
  return out;
}

absl::StatusOr<LimitSnapshot> ParseLimitReadReply(const redisReply& reply) {
  ReplyReader in(reply);
  LimitSnapshot out;
  if (!ReadHead(in, out)) {
    if (out.status == GateStatus::kNotInitialized) {
      in.Int();
    } else {
      out.ver = in.Int();
      out.now_ms = in.Int();
      const size_t n = in.Count(2);
      out.used.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        std::string name(in.Str());
        out.used.emplace_back(std::move(name), in.Int());
      }
      const size_t k = in.Count(1);
      out.holders.reserve(k);
      for (size_t i = 0; i < k; ++i) out.holders.emplace_back(in.Str());
    }
  }
  if (auto s = in.Done("limit_read"); !s.ok()) return s;
  return out;
}

LimitGate::LimitGate(RedisClient* redis, GateOptions options)
    : redis_(redis), options_(options) {}

absl::StatusOr<LimitGateResult> LimitGate::Take(
    absl::string_view day, const GateOwner& owner,
    absl::Span<const LimitCounter> counters, int64_t expiry_ms,
    int64_t expire_at_ms) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().take, 2);
  AddLimitKeys(args, day);
  AddOwner(args, owner);
  args.AddInt(expiry_ms)
      .AddInt(expire_at_ms)
      .AddInt(static_cast<int64_t>(counters.size()));
  for (const LimitCounter& c : counters) {
    args.Add(c.name).AddInt(c.units).AddInt(c.limit);
  }
  return Run<LimitGateResult>(redis_, S().take, args, &ParseLimitTakeReply);
}

absl::StatusOr<LimitGateResult> LimitGate::Release(absl::string_view day,
                                                   const GateOwner& owner) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().release, 2);
  AddLimitKeys(args, day);
  AddOwner(args, owner);
  return Run<LimitGateResult>(redis_, S().release, args, &ParseLimitCountReply);
}

absl::StatusOr<LimitGateResult> LimitGate::Commit(
    absl::string_view day, const GateOwner& owner,
    absl::Span<const LimitCounter> counters, int64_t expire_at_ms) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().commit, 2);
  AddLimitKeys(args, day);
  AddOwner(args, owner);
  args.AddInt(expire_at_ms).AddInt(static_cast<int64_t>(counters.size()));
  for (const LimitCounter& c : counters) args.Add(c.name).AddInt(c.units);
  return Run<LimitGateResult>(redis_, S().commit, args, &ParseLimitCountReply);
}

absl::StatusOr<LimitInitResult> LimitGate::Init(
    absl::string_view day, GateInitMode mode, int64_t expected_ver,
    int64_t expire_at_ms, absl::Span<const LimitUse> uses,
    absl::Span<const std::string> decided) {
  RedisArgs args;  // bulk call: its own buffer, freed afterwards
  args.StartEval(S().init, 2);
  AddLimitKeys(args, day);
  args.Add(mode == GateInitMode::kInit ? "init" : "repair")
      .AddInt(expected_ver)
      .AddInt(expire_at_ms)
      .AddInt(static_cast<int64_t>(uses.size()));
  for (const LimitUse& u : uses) {
    args.Add(u.owner).Add(u.counter).AddInt(u.units).AddInt(u.expiry_ms);
  }
  if (!decided.empty()) {
    args.AddInt(static_cast<int64_t>(decided.size()));
    for (const std::string& owner : decided) args.Add(owner);
  }
  return Run<LimitInitResult>(redis_, S().init, args, &ParseLimitInitReply,
                              options_.bulk_timeout);
}

absl::StatusOr<LimitSnapshot> LimitGate::Read(
    absl::string_view day, absl::Span<const std::string> counters) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().read, 2);
  AddLimitKeys(args, day);
  args.AddInt(static_cast<int64_t>(counters.size()));
  for (const std::string& c : counters) args.Add(c);
  return Run<LimitSnapshot>(
      redis_, S().read, args, &ParseLimitReadReply,
      counters.empty() ? options_.bulk_timeout : std::chrono::milliseconds(0));
}

}  // namespace turnstile
