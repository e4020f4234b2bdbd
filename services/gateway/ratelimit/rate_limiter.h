// The Redis side of the gateway's abuse limits: for each routed call one
// EVALSHA of lua/rate_limit.lua, which checks the caller's per-user and
// per-IP token buckets of the method (rate_limit_config.h) and takes a token
// from both or neither. Keys: ts:{rl:<service>.<method>}:u:<user> and
// ts:{rl:<service>.<method>}:ip:<ip id>, one hash tag per method.
//
// Redis is a dependency of the edge, so its failure must neither stall
// every request nor silently drop the limits where they matter: each method
// is fail-open (calls pass) or fail-closed (calls are refused UNAVAILABLE).
// After a transport failure the limiter stops asking Redis for a backoff
// and decides by the fallback at once; then one call probes, and the others
// keep to the fallback until it has answered. Calls use a short timeout of
// their own, so a hung Redis costs a request at most that.
//
// Metrics: turnstile_gateway_ratelimit_refused_total{method,scope},
// turnstile_gateway_ratelimit_fallback_total{mode="open"|"closed"} and the
// gauge turnstile_gateway_ratelimit_degraded (1 while Redis is considered
// down). Method labels are the configured paths and the paths Check is
// called with (the routed ones), at most kMaxMethodLabels of the latter.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "services/common/log_budget.h"
#include "services/common/lua_scripts.h"
#include "services/common/redis_client.h"
#include "services/gateway/ratelimit/rate_limit_config.h"

namespace turnstile::gateway {

struct RateLimiterOptions {
  // Timeout of one limiter call to Redis (--rate_limit_timeout_ms).
  std::chrono::milliseconds command_timeout{100};
  // How long Redis is left alone after a transport failure
  // (--rate_limit_backoff_ms); also the retry delay of a fail-closed refusal.
  std::chrono::milliseconds backoff{500};
};

// Methods under "*" that get a metric label of their own; further ones are
// counted as method="other" (their buckets stay per method).
inline constexpr size_t kMaxMethodLabels = 256;

// The <ip id> of a client address in the bucket keys: the canonical text of
// an IPv4 address (an IPv4-mapped IPv6 address counts as IPv4), and for
// IPv6 the canonical text of its /64 prefix ("2001:db8:1:2::"), since one
// client usually holds a whole /64. Brackets and a zone ("%eth0") are
// ignored; anything else that is not an address is "unparsed" (all such
// callers share one bucket). Writes into `buf`, returns a view of it.
using IpIdBuffer = std::array<char, 48>;
absl::string_view ClientIpId(absl::string_view ip, IpIdBuffer& buf);

class RateLimiter {
 public:
  struct Decision {
    enum Kind {
      kAllowed,      // within the limits (or not limited, or fail-open)
      kLimited,      // a bucket is empty: RESOURCE_EXHAUSTED RATE_LIMITED
      kUnavailable,  // Redis down and the method is fail-closed
    } kind = kAllowed;
    // kLimited: until the bucket holds a token again (>= 1);
    // kUnavailable: the backoff. 0 otherwise.
    int64_t retry_after_ms = 0;
    absl::string_view scope;  // kLimited: "user" or "ip" (static strings)
  };

  // `limits` as parsed by ParseRateLimits; `metrics` must outlive the
  // limiter. Give `redis` timeouts no longer than options.command_timeout
  // (RateLimiterRedisOptionsFromFlags), or a dead Redis costs a connect
  // timeout once per backoff.
  RateLimiter(std::shared_ptr<RedisClient> redis,
              std::vector<MethodLimits> limits, prometheus::Registry& metrics,
              RateLimiterOptions options = {});
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Thread-safe; called from several IO threads. `method` is the full :path
  // of a routed method, `user` the verified user id ("" = anonymous: the IP
  // bucket only), `ip` the client address.
  Decision Check(absl::string_view method, absl::string_view user,
                 absl::string_view ip);

  // The same decision, without blocking the caller: the calls of all
  // threads are pipelined to Redis in batches by one dispatcher thread
  // (rate_limiter_async.cc), so a busy gateway pays one round trip per
  // batch instead of per call. `done` runs exactly once, on the caller's
  // thread if no Redis call is needed, else on the dispatcher's.
  void CheckAsync(absl::string_view method, absl::string_view user,
                  absl::string_view ip, std::function<void(Decision)> done);

  ~RateLimiter();

  // True while Redis is considered down (the gauge).
  bool degraded() const { return degraded_.load(std::memory_order_relaxed); }

 private:
  struct MethodState {
    const MethodLimits* limits = nullptr;
    int64_t user_rate = 0;  // micro-tokens per ms (the script's unit)
    int64_t ip_rate = 0;
    prometheus::Counter* refused_user = nullptr;
    prometheus::Counter* refused_ip = nullptr;
  };
  using StateMap =
      absl::flat_hash_map<std::string, std::unique_ptr<MethodState>>;

  // A decision already (nothing to ask Redis), or the call to make.
  struct Prepared {
    std::optional<Decision> decided;
    const MethodState* state = nullptr;
  };
  // Builds the script call for `method` into `args`, or decides at once.
  Prepared Prepare(absl::string_view method, absl::string_view user,
                   absl::string_view ip, RedisArgs& args);
  // The decision of the script's reply (or failure) for `state`.
  Decision Interpret(const MethodState& state,
                     const absl::StatusOr<RedisReplyPtr>& reply);
  // The dispatcher thread of CheckAsync.
  void DispatchLoop();

  std::unique_ptr<MethodState> MakeState(const MethodLimits& limits,
                                         const std::string& label);
  // The state of `method`: configured, or under "*" (created on first use);
  // nullptr if the method is not limited.
  const MethodState* Find(absl::string_view method);
  // False while Redis is left alone after a failure.
  bool ShouldAsk();
  void MarkDown();
  void MarkUp();
  Decision Fallback(const MethodLimits& limits);
  // At most one line a second for failures that are not Redis being down.
  void LogProblem(absl::string_view what, absl::string_view detail);

  const std::shared_ptr<RedisClient> redis_;
  const std::vector<MethodLimits> limits_;
  const RateLimiterOptions options_;
  const LuaScript& script_;
  prometheus::Family<prometheus::Counter>& refused_family_;
  prometheus::Family<prometheus::Counter>& fallback_family_;
  prometheus::Counter& fallback_open_;
  prometheus::Counter& fallback_closed_;
  prometheus::Gauge& degraded_gauge_;

  const MethodLimits* default_ = nullptr;  // the "*" entry, if any
  StateMap configured_;                    // fixed after construction
  std::shared_mutex mu_;
  StateMap defaulted_;                     // methods under "*", guarded by mu_
  std::unique_ptr<MethodState> overflow_;  // label "other"; guarded by mu_
  MethodState unkeyable_;  // "*" limits, no counters: not a method path

  // CheckAsync's queue and its dispatcher (started on first use).
  struct Queued {
    RedisArgs args;
    const MethodState* state;
    std::function<void(Decision)> done;
  };
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<Queued> queue_;  // guarded by queue_mu_
  bool stopping_ = false;      // guarded by queue_mu_
  std::once_flag dispatcher_once_;
  std::thread dispatcher_;

  // Steady-clock ns until which Redis is left alone; 0 = healthy.
  std::atomic<int64_t> retry_at_ns_{0};
  std::atomic<bool> degraded_{false};
  LogBudget log_budget_{1};  // error lines per second
};

}  // namespace turnstile::gateway
