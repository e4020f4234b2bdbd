#include "services/gateway/ratelimit/rate_limiter.h"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"

namespace turnstile::gateway {
namespace {

constexpr absl::string_view kUser = "user";
constexpr absl::string_view kIp = "ip";
constexpr absl::string_view kUnparsedIp = "unparsed";

const LuaScript& RateLimitScript() { return RequiredLuaScript("rate_limit"); }

// Per-thread argument buffer: a warm Check allocates nothing for it.
RedisArgs& ThreadArgs() {
  thread_local RedisArgs args;
  return args;
}

int64_t SteadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Tokens per second -> the script's micro-tokens per millisecond (exact:
// the config allows at most 3 decimals).
int64_t ScriptRate(const BucketSpec& spec) {
  return static_cast<int64_t>(std::llround(spec.rate_per_s * 1000.0));
}

absl::string_view Str(const redisReply* e) {
  if (e == nullptr ||
      (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS)) {
    return {};
  }
  return absl::string_view(e->str, e->len);
}

// The user ids the script accepts (the JWT check allows the same:
// 1-64 chars of [A-Za-z0-9_.:@-]).
bool IsUserId(absl::string_view user) {
  if (user.empty() || user.size() > 64) return false;
  for (char c : user) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != '.' && c != ':' && c != '@' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::string_view ClientIpId(absl::string_view ip, IpIdBuffer& buf) {
  if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') {
    ip = ip.substr(1, ip.size() - 2);
  }
  ip = ip.substr(0, ip.find('%'));
  char text[INET6_ADDRSTRLEN];
  if (ip.empty() || ip.size() >= sizeof(text)) return kUnparsedIp;
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';

  unsigned char addr[16];
  const char* out = nullptr;
  if (inet_pton(AF_INET, text, addr) == 1) {
    out = inet_ntop(AF_INET, addr, buf.data(), buf.size());
  } else if (inet_pton(AF_INET6, text, addr) == 1) {
    static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0,    0,
                                                  0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(addr, kMapped, sizeof(kMapped)) == 0) {
      out = inet_ntop(AF_INET, addr + 12, buf.data(), buf.size());
    } else {
      std::memset(addr + 8, 0, 8);  // the /64 prefix
      out = inet_ntop(AF_INET6, addr, buf.data(), buf.size());
    }
  }
  if (out == nullptr) return kUnparsedIp;
  return absl::string_view(buf.data(), std::strlen(buf.data()));
}

RateLimiter::RateLimiter(std::shared_ptr<RedisClient> redis,
                         std::vector<MethodLimits> limits,
                         prometheus::Registry& metrics,
                         RateLimiterOptions options)
    : redis_(std::move(redis)),
      limits_(std::move(limits)),
      options_(options),
      script_(RateLimitScript()),
      refused_family_(prometheus::BuildCounter()
                          .Name("turnstile_gateway_ratelimit_refused_total")
                          .Help("Calls refused by a rate limit, by method and "
                                "scope (user, ip)")
                          .Register(metrics)),
      fallback_family_(
          prometheus::BuildCounter()
              .Name("turnstile_gateway_ratelimit_fallback_total")
              .Help("Calls decided without Redis: let through (open) or "
                    "refused (closed)")
              .Register(metrics)),
      fallback_open_(fallback_family_.Add({{"mode", "open"}})),
      fallback_closed_(fallback_family_.Add({{"mode", "closed"}})),
      degraded_gauge_(prometheus::BuildGauge()
                          .Name("turnstile_gateway_ratelimit_degraded")
                          .Help("1 while the rate limiter considers Redis down "
                                "and decides by each method's fallback")
                          .Register(metrics)
                          .Add({})) {
  for (const MethodLimits& l : limits_) {
    if (l.method == kDefaultMethod) {
      default_ = &l;
    } else {
      configured_.emplace(l.method, MakeState(l, l.method));
    }
  }
  unkeyable_.limits = default_;
}

std::unique_ptr<RateLimiter::MethodState> RateLimiter::MakeState(
    const MethodLimits& limits, const std::string& label) {
  auto state = std::make_unique<MethodState>();
  state->limits = &limits;
  state->user_rate = ScriptRate(limits.per_user);
  state->ip_rate = ScriptRate(limits.per_ip);
  if (limits.per_user.enabled()) {
    state->refused_user =
        &refused_family_.Add({{"method", label}, {"scope", "user"}});
  }
  if (limits.per_ip.enabled()) {
    state->refused_ip =
        &refused_family_.Add({{"method", label}, {"scope", "ip"}});
  }
  return state;
}

const RateLimiter::MethodState* RateLimiter::Find(absl::string_view method) {
  if (auto it = configured_.find(method); it != configured_.end()) {
    return it->second.get();
  }
  if (default_ == nullptr) return nullptr;
  // Not a label (nor a key) of its own: Check decides it by the fallback.
  if (!IsLimitableMethod(method)) return &unkeyable_;
  {
    std::shared_lock lock(mu_);
    if (auto it = defaulted_.find(method); it != defaulted_.end()) {
      return it->second.get();
    }
  }
  std::unique_lock lock(mu_);
  if (auto it = defaulted_.find(method); it != defaulted_.end()) {
    return it->second.get();
  }
  if (defaulted_.size() >= kMaxMethodLabels) {
    if (overflow_ == nullptr) overflow_ = MakeState(*default_, "other");
    return overflow_.get();
  }
  const std::string label(method);
  return defaulted_.emplace(label, MakeState(*default_, label))
      .first->second.get();
}

bool RateLimiter::ShouldAsk() {
  int64_t at = retry_at_ns_.load(std::memory_order_acquire);
  if (at == 0) return true;
  const int64_t now = SteadyNs();
  if (now < at) return false;
  // One caller probes; the others keep to the fallback until it answers.
  const int64_t next = now + std::chrono::nanoseconds(options_.backoff).count();
  return retry_at_ns_.compare_exchange_strong(at, next,
                                              std::memory_order_acq_rel);
}

void RateLimiter::MarkDown() {
  retry_at_ns_.store(
      SteadyNs() + std::chrono::nanoseconds(options_.backoff).count(),
      std::memory_order_release);
  if (!degraded_.exchange(true)) {
    degraded_gauge_.Set(1);
    spdlog::warn(
        "event=ratelimit_degraded backoff_ms={} detail=\"redis unreachable: "
        "deciding by each method's fallback\"",
        options_.backoff.count());
  }
}

void RateLimiter::MarkUp() {
  if (!degraded_.load(std::memory_order_relaxed) &&
      retry_at_ns_.load(std::memory_order_relaxed) == 0) {
    return;
  }
  retry_at_ns_.store(0, std::memory_order_release);
  if (degraded_.exchange(false)) {
    degraded_gauge_.Set(0);
    spdlog::info("event=ratelimit_recovered");
  }
}

RateLimiter::Decision RateLimiter::Fallback(const MethodLimits& limits) {
  Decision d;
  if (limits.fail_closed) {
    fallback_closed_.Increment();
    d.kind = Decision::kUnavailable;
    d.retry_after_ms = options_.backoff.count();
  } else {
    fallback_open_.Increment();
  }
  return d;
}

void RateLimiter::LogProblem(absl::string_view what, absl::string_view detail) {
  if (!log_budget_.Allow()) return;
  spdlog::error("event=ratelimit_error what={} detail=\"{}\"",
                std::string_view(what.data(), what.size()),
                std::string_view(detail.data(), detail.size()));
}

RateLimiter::Prepared RateLimiter::Prepare(absl::string_view method,
                                           absl::string_view user,
                                           absl::string_view ip,
                                           RedisArgs& args) {
  Prepared p;
  const MethodState* state = Find(method);
  if (state == nullptr) {
    p.decided = Decision{};
    return p;
  }
  const MethodLimits& limits = *state->limits;
  bool by_user = limits.per_user.enabled() && !user.empty();
  if (by_user && !IsUserId(user)) {
    // Cannot be a key; the IP bucket still applies (a caller bug: the JWT
    // check refuses such subjects).
    LogProblem("bad_user", "user id not 1-64 chars of [A-Za-z0-9_.:@-]");
    by_user = false;
  }
  const bool by_ip = limits.per_ip.enabled();
  if (!by_user && !by_ip) {
    p.decided = Decision{};
    return p;
  }
  // The router only passes routed methods: a path that cannot be keyed is
  // a caller bug.
  if (state == &unkeyable_) {
    LogProblem("bad_method", method.substr(0, 80));
    p.decided = Fallback(limits);
    return p;
  }
  if (!ShouldAsk()) {
    p.decided = Fallback(limits);
    return p;
  }

  const MethodName name = SplitMethod(method);
  IpIdBuffer ip_buf;
  const absl::string_view ip_id = by_ip ? ClientIpId(ip, ip_buf) : "";
  args.StartEval(script_, (by_user ? 1 : 0) + (by_ip ? 1 : 0));
  if (by_user) {
    args.Add({"ts:{rl:", name.service, ".", name.method, "}:u:", user});
  }
  if (by_ip) {
    args.Add({"ts:{rl:", name.service, ".", name.method, "}:ip:", ip_id});
  }
  if (by_user) {
    args.Add(kUser)
        .Add(user)
        .AddInt(state->user_rate)
        .AddInt(limits.per_user.burst);
  }
  if (by_ip) {
    args.Add(kIp).Add(ip_id).AddInt(state->ip_rate).AddInt(limits.per_ip.burst);
  }
  p.state = state;
  return p;
}

RateLimiter::Decision RateLimiter::Check(absl::string_view method,
                                         absl::string_view user,
                                         absl::string_view ip) {
  RedisArgs& args = ThreadArgs();
  const Prepared p = Prepare(method, user, ip, args);
  if (p.decided) return *p.decided;
  auto reply = redis_->Eval(script_, args, options_.command_timeout);
  return Interpret(*p.state, reply);
}

RateLimiter::Decision RateLimiter::Interpret(
    const MethodState& state, const absl::StatusOr<RedisReplyPtr>& reply) {
  const MethodLimits& limits = *state.limits;
  if (!reply.ok()) {
    if (reply.status().code() == absl::StatusCode::kUnavailable) {
      MarkDown();
    } else {
      LogProblem("redis_error", reply.status().message());
    }
    return Fallback(limits);
  }
  MarkUp();

  const redisReply& r = **reply;
  const absl::string_view status =
      r.type == REDIS_REPLY_ARRAY && r.elements >= 2 ? Str(r.element[0]) : "";
  if (status == "OK" && r.elements == 2 &&
      r.element[1]->type == REDIS_REPLY_INTEGER) {
    return {};
  }
  if (status == "LIMITED" && r.elements == 3 &&
      r.element[1]->type == REDIS_REPLY_INTEGER) {
    const absl::string_view scope = Str(r.element[2]);
    prometheus::Counter* counter = nullptr;
    Decision d;
    d.kind = Decision::kLimited;
    d.retry_after_ms = std::max<int64_t>(1, r.element[1]->integer);
    if (scope == kUser) {
      d.scope = kUser;
      counter = state.refused_user;
    } else if (scope == kIp) {
      d.scope = kIp;
      counter = state.refused_ip;
    }
    if (counter != nullptr) {
      counter->Increment();
      return d;
    }
  }
  // INVALID_ARGUMENT (e.g. a user id the JWT check should have refused) or
  // a reply of another shape: not Redis being down, so no backoff.
  LogProblem(status == "INVALID_ARGUMENT" ? "invalid_argument" : "bad_reply",
             r.type == REDIS_REPLY_ARRAY && r.elements >= 2
                 ? Str(r.element[1])
                 : absl::string_view("unexpected reply shape"));
  return Fallback(limits);
}

}  // namespace turnstile::gateway
