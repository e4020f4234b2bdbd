#include "tools/bench_baselines.h"

#include <algorithm>
#include <chrono>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "services/common/gate_scripts.h"
#include "services/common/lua_scripts.h"
#include "tools/bench_external.h"
#include "tools/bench_flags.h"
#include "tools/bench_load.h"
#include "tools/bench_orders.h"
#include "tools/bench_rpc.h"
#include "tools/bench_setup.h"
#include "turnstile/v1/order.grpc.pb.h"

namespace turnstile::bench {

using std::chrono::seconds;

Tally PayNowThroughput(const std::string& order, const std::string& label,
                       int buckets) {
  const std::string sku = absl::StrCat("bench-tp-", Tag());
  CreateSku(sku, 100'000'000, 0, buckets);
  StubPool<v1::Order> stubs(order, "order", absl::GetFlag(FLAGS_channels));
  const int64_t buyers = std::max<int64_t>(1, absl::GetFlag(FLAGS_buyers));
  LoadOptions options;
  options.label = label;
  options.count = int64_t{1} << 40;
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.duration_cap = seconds(absl::GetFlag(FLAGS_throughput_s));
  return RunAsyncLoad(options, [&](int64_t i, OpDone done) {
    PlaceOne(stubs[i], User(i % buyers), absl::StrCat(sku, "-", i), sku, true,
             std::move(done));
  });
}

absl::StatusOr<RedisBaseline> RedisBenchmarkReserve(RedisClient& redis) {
  const LuaScript* script = FindLuaScript("stock_reserve");
  if (script == nullptr) return absl::InternalError("no stock_reserve script");
  if (auto s = redis.LoadScripts(EmbeddedLuaScripts()); !s.ok()) return s;
  StockGate gate(&redis);
  RedisBaseline out;
  for (const bool sold_out : {false, true}) {
    const std::string sku =
        absl::StrCat("bench-rb-", sold_out ? "soldout-" : "", Tag());
    StockInitSpec spec;
    spec.mode = GateInitMode::kForce;
    spec.remaining = sold_out ? 0 : 1'000'000'000;
    auto init = gate.Init(sku, spec);
    if (!init.ok()) return init.status();
    const std::string key = absl::StrCat("ts:{sku:", sku, "}:");
    const std::string owner = "benchgid:inventory";
    auto run = RunRedisBenchmark(
        redis.options().host, redis.options().port, redis.options().password,
        absl::GetFlag(FLAGS_redis_requests), absl::GetFlag(FLAGS_concurrency),
        {"EVALSHA", std::string(script->sha1), "4", key + "stock",
         key + "users", key + "res", key + "done:" + owner, owner,
         "bench-rb-user", "1"});
    for (const char* k : {"stock", "users", "res"}) {
      (void)redis.Command({"DEL", key + k});
    }
    (void)redis.Command({"DEL", key + "done:" + owner});
    if (!run.ok()) return run.status();
    (sold_out ? out.rps_sold_out : out.rps_reserve) = run->rps;
    if (!sold_out) out.command = run->command;
  }
  return out;
}

}  // namespace turnstile::bench
