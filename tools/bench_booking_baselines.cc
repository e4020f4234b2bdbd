#include "tools/bench_booking_baselines.h"

#include <chrono>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "services/common/lua_scripts.h"
#include "services/common/range_gate.h"
#include "tools/bench_external.h"
#include "tools/bench_flags.h"
#include "tools/bench_rpc.h"

namespace turnstile::bench {
namespace {

std::string GateKey(const std::string& gate_key, const char* suffix) {
  return absl::StrCat("ts:{rng:", gate_key, "}:", suffix);
}

absl::StatusOr<const LuaScript*> Script(RedisClient& redis, const char* name) {
  const LuaScript* script = FindLuaScript(name);
  if (script == nullptr) {
    return absl::InternalError(absl::StrCat("no ", name, " script"));
  }
  if (auto s = redis.LoadScripts(EmbeddedLuaScripts()); !s.ok()) return s;
  return script;
}

absl::StatusOr<RangeBaseline> Bench(RedisClient& redis,
                                    const std::vector<std::string>& args,
                                    const std::string& elide,
                                    const std::string& with) {
  auto run = RunRedisBenchmark(redis.options().host, redis.options().port,
                               redis.options().password,
                               absl::GetFlag(FLAGS_redis_requests),
                               absl::GetFlag(FLAGS_concurrency), args);
  if (!run.ok()) return run.status();
  RangeBaseline out;
  out.rps = run->rps;
  out.command = elide.empty()
                    ? run->command
                    : absl::StrReplaceAll(run->command, {{elide, with}});
  return out;
}

}  // namespace

absl::StatusOr<RangeBaseline> RedisBenchmarkRangeFree(
    RedisClient& redis, const std::string& gate_key, int from, int to,
    const std::vector<std::string>& resource_ids) {
  auto script = Script(redis, "range_free");
  if (!script.ok()) return script.status();
  RangeGate gate(&redis);
  auto check = gate.CountFree(gate_key, from, to, resource_ids);
  if (!check.ok()) return check.status();
  if (check->status != GateStatus::kOk) {
    return absl::FailedPreconditionError(
        absl::StrCat("range_free on ", gate_key, " answered status ",
                     static_cast<int>(check->status), " ", check->message));
  }
  std::vector<std::string> args = {"EVALSHA",
                                   std::string((*script)->sha1),
                                   "2",
                                   GateKey(gate_key, "meta"),
                                   GateKey(gate_key, "ranges"),
                                   absl::StrCat(from),
                                   absl::StrCat(to),
                                   absl::StrCat(resource_ids.size())};
  std::string ids;
  for (const std::string& id : resource_ids) {
    args.push_back(id);
    absl::StrAppend(&ids, " ", ShellQuote(id));
  }
  auto out = Bench(redis, args, ids,
                   absl::StrCat(" <", resource_ids.size(), " seat ids>"));
  if (out.ok()) out->answer = check->free;
  return out;
}

absl::StatusOr<RangeBaseline> RedisBenchmarkRangeHoldTaken(
    RedisClient& redis, const std::string& gate_key,
    const std::string& resource_id, int from, int to) {
  auto script = Script(redis, "range_hold");
  if (!script.ok()) return script.status();
  const std::string gid = "bench-rb-" + Tag();  // no transaction of the mesh
  const GateOwner owner{gid, "booking"};
  // An hour ahead of this machine's clock (the scripts read Redis time; both
  // are on this host).
  const int64_t expiry_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count() +
      3'600'000;
  RangeGate gate(&redis);
  const RangeItem item{resource_id, from, to};
  auto check = gate.Hold(gate_key, owner, {&item, 1}, expiry_ms);
  if (!check.ok()) return check.status();
  const std::string own = GateKey(gate_key, "own:") + gid + ":booking";
  if (check->status != GateStatus::kTaken) {
    (void)gate.Release(gate_key, owner, {&item, 1});
    (void)redis.Command({"DEL", own});
    return absl::FailedPreconditionError(
        absl::StrCat("range_hold of ", resource_id, " on ", gate_key,
                     " did not answer TAKEN (status ",
                     static_cast<int>(check->status), ")"));
  }
  auto out = Bench(redis,
                   {"EVALSHA", std::string((*script)->sha1), "3",
                    GateKey(gate_key, "meta"), GateKey(gate_key, "ranges"), own,
                    gid + ":booking", absl::StrCat(expiry_ms), "60000", "1",
                    resource_id, absl::StrCat(from), absl::StrCat(to)},
                   "", "");
  (void)redis.Command({"DEL", own});
  return out;
}

}  // namespace turnstile::bench
