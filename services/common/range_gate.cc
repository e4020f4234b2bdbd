#include "services/common/range_gate.h"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>

#include "services/common/gate_reply.h"
#include "services/common/status.h"

namespace turnstile {
namespace {

using gate_internal::AddKey;
using gate_internal::AddOwner;
using gate_internal::InitModeName;
using gate_internal::ReadHead;
using gate_internal::ReplyReader;
using gate_internal::Run;
using gate_internal::ThreadArgs;

struct Scripts {
  const LuaScript& init = RequiredLuaScript("range_init");
  const LuaScript& hold = RequiredLuaScript("range_hold");
  const LuaScript& release = RequiredLuaScript("range_release");
  const LuaScript& commit = RequiredLuaScript("range_commit");
  const LuaScript& read = RequiredLuaScript("range_read");
  const LuaScript& free = RequiredLuaScript("range_free");
};

const Scripts& S() {
  static const Scripts scripts;
  return scripts;
}

// A unit index of a reply; out of [0, kRangeMaxUnits] marks it failed.
int32_t Unit(ReplyReader& in, bool& bad) {
  const int64_t v = in.Int();
  if (v < 0 || v > kRangeMaxUnits) bad = true;
  return static_cast<int32_t>(v);
}

// n x (resource, from, to).
std::vector<RangeItem> ReadItems(ReplyReader& in, bool& bad) {
  const size_t n = in.Count(3);
  std::vector<RangeItem> items;
  items.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    RangeItem item;
    item.resource_id = std::string(in.Str());
    item.from = Unit(in, bad);
    item.to = Unit(in, bad);
    items.push_back(std::move(item));
  }
  return items;
}

absl::Status BadReply(absl::string_view what) {
  return Error(absl::StatusCode::kInternal, "REDIS_BAD_REPLY",
               absl::StrCat("unexpected reply of ", what));
}

void AddRangeKeys(RedisArgs& args, absl::string_view gate_key,
                  const GateOwner& owner, bool users = true) {
  AddKey(args, "rng", gate_key, "meta");
  AddKey(args, "rng", gate_key, "ranges");
  AddKey(args, "rng", gate_key, "own:", owner.gid, owner.branch_id);
  if (users) AddKey(args, "rng", gate_key, "users");
}

void AddItems(RedisArgs& args, absl::Span<const RangeItem> items) {
  args.AddInt(static_cast<int64_t>(items.size()));
  for (const RangeItem& item : items) {
    args.Add(item.resource_id).AddInt(item.from).AddInt(item.to);
  }
}

}  // namespace

absl::Status RangeTryStatus(GateStatus status, absl::string_view taken_reason,
                            absl::string_view message) {
  if (status == GateStatus::kTaken) {
    return Refused(taken_reason,
                   message.empty() ? "range already taken" : message);
  }
  return TryStatus(status, message);
}

// --- parsers ------------------------------------------------------------

absl::StatusOr<RangeGateResult> ParseRangeHoldReply(const redisReply& reply) {
  ReplyReader in(reply);
  RangeGateResult out;
  bool bad = false;
  if (!ReadHead(in, out)) {
    if (out.status == GateStatus::kTaken) {
      out.conflicts = ReadItems(in, bad);
    } else if (out.status == GateStatus::kUserLimit) {
      out.user_items = in.Int();
      out.user_limit = in.Int();
    } else {
      out.items = in.Int();
      out.expiry_ms = in.Int();
    }
  }
  if (bad) return BadReply("range_hold");
  if (auto s = in.Done("range_hold"); !s.ok()) return s;
  return out;
}

absl::StatusOr<RangeGateResult> ParseRangeReleaseReply(
    const redisReply& reply) {
  ReplyReader in(reply);
  RangeGateResult out;
  if (!ReadHead(in, out)) out.items = in.Int();
  if (auto s = in.Done("range_release"); !s.ok()) return s;
  return out;
}

absl::StatusOr<RangeGateResult> ParseRangeCommitReply(const redisReply& reply) {
  ReplyReader in(reply);
  RangeGateResult out;
  bool bad = false;
  if (!ReadHead(in, out)) {
    out.items = in.Int();
    out.reclaimed = in.Int();
    out.conflicts = ReadItems(in, bad);
  }
  if (bad) return BadReply("range_commit");
  if (auto s = in.Done("range_commit"); !s.ok()) return s;
  return out;
}

absl::StatusOr<RangeInitResult> ParseRangeInitReply(const redisReply& reply) {
  ReplyReader in(reply);
  RangeInitResult out;
  if (!ReadHead(in, out)) {
    out.ver = in.Int();
    out.count = in.Int();
  }
  if (auto s = in.Done("range_init"); !s.ok()) return s;
  return out;
}

absl::StatusOr<RangeSnapshot> ParseRangeReadReply(const redisReply& reply) {
  ReplyReader in(reply);
  RangeSnapshot out;
  bool bad = false;
  if (!ReadHead(in, out)) {
    out.ver = in.Int();
    out.units = Unit(in, bad);
    out.now_ms = in.Int();
    const size_t n = in.Count(6);
    out.ranges.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      GateRange r;
      r.resource_id = std::string(in.Str());
      r.from = Unit(in, bad);
      r.to = Unit(in, bad);
      const absl::string_view state = in.Str();
      if (state == "H") {
        r.state = GateRangeState::kHeld;
      } else if (state == "S") {
        r.state = GateRangeState::kSold;
      } else {
        bad = true;
      }
      r.owner = std::string(in.Str());
      r.expiry_ms = in.Int();
      if (r.from >= r.to) bad = true;
      out.ranges.push_back(std::move(r));
    }
  }
  if (bad) return BadReply("range_read");
  if (auto s = in.Done("range_read"); !s.ok()) return s;
  return out;
}

absl::StatusOr<RangeFreeCount> ParseRangeFreeReply(const redisReply& reply) {
  ReplyReader in(reply);
  RangeFreeCount out;
  if (!ReadHead(in, out)) {
    out.free = in.Int();
    out.now_ms = in.Int();
    if (out.free < 0) return BadReply("range_free");
  }
  if (auto s = in.Done("range_free"); !s.ok()) return s;
  return out;
}

// --- RangeGate ------------------------------------------------------------

RangeGate::RangeGate(RedisClient* redis, GateOptions options)
    : redis_(redis), options_(options) {}

absl::StatusOr<RangeInitResult> RangeGate::Init(absl::string_view gate_key,
                                                const RangeInitSpec& spec) {
  // The users of owners that have one, each owner once, in order.
  std::vector<std::pair<absl::string_view, absl::string_view>> users;
  std::map<absl::string_view, absl::string_view> user_of;
  for (const GateRange& r : spec.ranges) {
    if (r.user_id.empty()) continue;
    auto [it, added] = user_of.emplace(r.owner, r.user_id);
    if (added) {
      users.emplace_back(r.owner, r.user_id);
    } else if (it->second != r.user_id) {
      return InvalidArgument(
          absl::StrCat("owner ", r.owner, " has ranges of two users"));
    }
  }
  RedisArgs args;  // bulk call: its own buffer, freed afterwards
  args.StartEval(S().init, 3);
  AddKey(args, "rng", gate_key, "meta");
  AddKey(args, "rng", gate_key, "ranges");
  AddKey(args, "rng", gate_key, "users");
  args.Add(InitModeName(spec.mode))
      .AddInt(spec.expected_ver)
      .AddInt(spec.units)
      .AddInt(static_cast<int64_t>(spec.ranges.size()));
  for (const GateRange& r : spec.ranges) {
    args.Add(r.resource_id)
        .AddInt(r.from)
        .AddInt(r.to)
        .Add(r.state == GateRangeState::kSold ? "S" : "H")
        .Add(r.owner)
        .AddInt(r.expiry_ms);
  }
  if (!users.empty()) {
    args.AddInt(static_cast<int64_t>(users.size()));
    for (const auto& [owner, user] : users) args.Add(owner).Add(user);
  }
  return Run<RangeInitResult>(redis_, S().init, args, &ParseRangeInitReply,
                              options_.bulk_timeout);
}

absl::StatusOr<RangeGateResult> RangeGate::Hold(
    absl::string_view gate_key, const GateOwner& owner,
    absl::Span<const RangeItem> items, int64_t expiry_ms,
    absl::string_view user_id, int32_t user_limit) {
  const bool counted = !user_id.empty();
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().hold, counted ? 4 : 3);
  AddRangeKeys(args, gate_key, owner, counted);
  AddOwner(args, owner);
  args.AddInt(expiry_ms).AddInt(options_.record_ttl.count());
  AddItems(args, items);
  if (counted) args.Add(user_id).AddInt(user_limit);
  return Run<RangeGateResult>(redis_, S().hold, args, &ParseRangeHoldReply);
}

absl::StatusOr<RangeGateResult> RangeGate::Release(
    absl::string_view gate_key, const GateOwner& owner,
    absl::Span<const RangeItem> items) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().release, 4);
  AddRangeKeys(args, gate_key, owner);
  AddOwner(args, owner);
  args.AddInt(options_.record_ttl.count());
  AddItems(args, items);
  return Run<RangeGateResult>(redis_, S().release, args,
                              &ParseRangeReleaseReply);
}

absl::StatusOr<RangeGateResult> RangeGate::Commit(
    absl::string_view gate_key, const GateOwner& owner,
    absl::Span<const RangeItem> items) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().commit, 4);
  AddRangeKeys(args, gate_key, owner);
  AddOwner(args, owner);
  args.AddInt(options_.record_ttl.count());
  AddItems(args, items);
  return Run<RangeGateResult>(redis_, S().commit, args, &ParseRangeCommitReply);
}

absl::StatusOr<RangeSnapshot> RangeGate::Read(
    absl::string_view gate_key, absl::Span<const std::string> resource_ids) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().read, 2);
  AddKey(args, "rng", gate_key, "meta");
  AddKey(args, "rng", gate_key, "ranges");
  args.AddInt(static_cast<int64_t>(resource_ids.size()));
  for (const std::string& id : resource_ids) args.Add(id);
  return Run<RangeSnapshot>(redis_, S().read, args, &ParseRangeReadReply,
                            resource_ids.empty()
                                ? options_.bulk_timeout
                                : std::chrono::milliseconds(0));
}

absl::StatusOr<RangeFreeCount> RangeGate::CountFree(
    absl::string_view gate_key, int32_t from, int32_t to,
    absl::Span<const std::string> resource_ids) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().free, 2);
  AddKey(args, "rng", gate_key, "meta");
  AddKey(args, "rng", gate_key, "ranges");
  args.AddInt(from).AddInt(to).AddInt(
      static_cast<int64_t>(resource_ids.size()));
  for (const std::string& id : resource_ids) args.Add(id);
  return Run<RangeFreeCount>(redis_, S().free, args, &ParseRangeFreeReply);
}

std::vector<RangeReadAnswer> RangeGate::ReadBatch(
    absl::Span<const RangeReadCall* const> calls) {
  std::vector<RangeReadAnswer> answers(calls.size());
  // The same arguments Read and CountFree build, one buffer per call.
  std::vector<RedisArgs> args(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    const RangeReadCall& call = *calls[i];
    RedisArgs& a = args[i];
    a.StartEval(call.count_free ? S().free : S().read, 2);
    AddKey(a, "rng", call.gate_key, "meta");
    AddKey(a, "rng", call.gate_key, "ranges");
    if (call.count_free) a.AddInt(call.from).AddInt(call.to);
    a.AddInt(static_cast<int64_t>(call.resource_ids.size()));
    for (const std::string& id : call.resource_ids) a.Add(id);
  }
  for (const bool count_free : {true, false}) {
    std::vector<size_t> index;
    std::vector<const RedisArgs*> group;
    bool bulk = false;  // a Read of a whole gate: Read's bulk timeout
    for (size_t i = 0; i < calls.size(); ++i) {
      if (calls[i]->count_free != count_free) continue;
      index.push_back(i);
      group.push_back(&args[i]);
      bulk = bulk || (!count_free && calls[i]->resource_ids.empty());
    }
    if (group.empty()) continue;
    const LuaScript& script = count_free ? S().free : S().read;
    const auto timeout =
        bulk ? options_.bulk_timeout : std::chrono::milliseconds(0);
    auto replies = redis_->EvalBatch(script, group, timeout);
    // Reads are safe to repeat: the failed ones go once more, as Command
    // retries on a fresh connection when a pooled one was found dead
    // (Redis restarted).
    std::vector<size_t> failed;
    std::vector<const RedisArgs*> again;
    for (size_t k = 0; k < replies.size(); ++k) {
      if (!replies[k].ok() &&
          replies[k].status().code() == absl::StatusCode::kUnavailable) {
        failed.push_back(k);
        again.push_back(group[k]);
      }
    }
    if (!again.empty()) {
      auto retried = redis_->EvalBatch(script, again, timeout);
      for (size_t j = 0; j < failed.size(); ++j) {
        replies[failed[j]] = std::move(retried[j]);
      }
    }
    for (size_t k = 0; k < index.size(); ++k) {
      RangeReadAnswer& out = answers[index[k]];
      if (!replies[k].ok()) {
        out.status = replies[k].status();
      } else if (count_free) {
        auto parsed = ParseRangeFreeReply(**replies[k]);
        if (parsed.ok()) {
          out.count = *std::move(parsed);
        } else {
          out.status = parsed.status();
        }
      } else {
        auto parsed = ParseRangeReadReply(**replies[k]);
        if (parsed.ok()) {
          out.snapshot = *std::move(parsed);
        } else {
          out.status = parsed.status();
        }
      }
    }
  }
  return answers;
}

}  // namespace turnstile
