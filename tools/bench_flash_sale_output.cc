// The flash-sale scenario's results on disk: --json (every number of the
// run) and --plot (latency CDF of successes and refusals).
#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_format.h"
#include "tools/bench_external.h"
#include "tools/bench_flags.h"
#include "tools/bench_flash_sale.h"
#include "tools/bench_report.h"
#include "tools/bench_rpc.h"

namespace turnstile::bench {

void WriteFlashSaleJson(const std::string& path, FlashSaleRun& run) {
  const std::string& label = run.label;
  const std::string& flow = run.flow;
  const std::string& sku = run.sku;
  const int64_t buyers = run.buyers, stock = run.stock;
  const int limit = run.limit, buckets = run.buckets;
  const int concurrency = run.concurrency;
  const double load_before = run.load_before, load_after = run.load_after;
  Tally& funding = run.funding;
  Tally& sale = run.sale;
  const bool capped = run.capped;
  const SkuOutcome& outcome = run.outcome;
  const bool all_ok = run.all_ok;
  const std::vector<tools::CheckResult>& checks = run.checks;
  Tally& full = run.baselines.full;
  Tally& bypass = run.baselines.bypass;
  const std::optional<PgbenchResult>& pgbench = run.baselines.pgbench;
  const std::optional<RedisBaseline>& redis_bench = run.baselines.redis_bench;
  JsonWriter json;
  json.BeginObject();
  json.Field("scenario", "flash-sale").Field("label", label);
  json.Key("config").BeginObject();
  json.Field("strategy", absl::GetFlag(FLAGS_strategy))
      .Field("flow", flow)
      .Field("buyers", buyers)
      .Field("stock", stock)
      .Field("per_user_limit", limit)
      .Field("buckets_requested", absl::GetFlag(FLAGS_buckets))
      .Field("buckets_applied", buckets)
      .Field("throughput_buckets", absl::GetFlag(FLAGS_throughput_buckets))
      .Field("concurrency", concurrency)
      .Field("rate", absl::GetFlag(FLAGS_rate))
      .Field("duration_cap_s", absl::GetFlag(FLAGS_duration_s))
      .Field("sku", sku)
      .Field("order", absl::GetFlag(FLAGS_order))
      .Field("hardware_threads",
             static_cast<int64_t>(std::thread::hardware_concurrency()))
      .Field("load_average_before", load_before)
      .Field("load_average_after", load_after);
  json.EndObject();
  if (absl::GetFlag(FLAGS_fund)) WriteTally(json, "funding", funding);
  WriteTally(json, "load", sale);
  json.Field("capped", capped);
  json.Key("outcome").BeginObject();
  json.Field("total", outcome.sku.total())
      .Field("available", outcome.sku.available())
      .Field("locked", outcome.sku.locked())
      .Field("sold", outcome.sku.sold())
      .Field("paid_orders", outcome.paid_orders)
      .Field("paid_units", outcome.paid_units)
      .Field("oversold", outcome.oversold)
      .Field("open_transactions", outcome.open_txns);
  json.Key("gate_remaining");
  if (outcome.gate_remaining) {
    json.Int(*outcome.gate_remaining);
  } else {
    json.Null();
  }
  json.EndObject();
  json.Key("invariants").BeginObject();
  json.Field("all_ok", all_ok);
  json.Key("checks").BeginArray();
  for (const auto& c : checks) {
    json.BeginObject()
        .Field("name", c.name)
        .Field("ok", c.ok)
        .Field("detail", c.detail)
        .EndObject();
  }
  json.EndArray().EndObject();
  if (absl::GetFlag(FLAGS_baselines)) {
    json.Key("baselines").BeginObject();
    WriteTally(json, "pay_now_full_tcc", full);
    if (bypass.requests() > 0) WriteTally(json, "pay_now_bypass", bypass);
    if (pgbench) {
      json.Key("pgbench").BeginObject();
      json.Field("tps", pgbench->tps)
          .Field("clients", pgbench->clients)
          .Field("seconds", pgbench->seconds)
          .Field("command", pgbench->command);
      json.EndObject();
    }
    if (redis_bench) {
      json.Key("redis_benchmark").BeginObject();
      json.Field("evalsha_reserve_per_s", redis_bench->rps_reserve)
          .Field("evalsha_sold_out_per_s", redis_bench->rps_sold_out)
          .Field("command", redis_bench->command);
      json.EndObject();
    }
    json.EndObject();
    json.Key("ratios").BeginObject();
    if (redis_bench) {
      json.Field("refusals_per_s_over_evalsha_per_s",
                 Ratio(sale.RefusalRate(), redis_bench->rps_reserve));
    }
    if (pgbench) {
      json.Field("pay_now_per_s_over_pgbench_tps",
                 Ratio(full.Rate(full.ok), pgbench->tps));
    }
    if (bypass.requests() > 0) {
      json.Field("full_tcc_over_bypass",
                 Ratio(full.Rate(full.ok), bypass.Rate(bypass.ok)));
    }
    json.EndObject();
  }
  json.EndObject();
  std::ofstream out(path);
  out << json.str() << "\n";
  if (!out) Die("cannot write " + path);
  std::cout << "wrote " << path << "\n";
}

void PlotFlashSale(const std::string& png, const FlashSaleRun& run) {
  const Tally& sale = run.sale;
  std::vector<double> ok = sale.ok_ms, refused = sale.refused_ms;
  std::sort(ok.begin(), ok.end());
  std::sort(refused.begin(), refused.end());
  const std::string title = absl::StrFormat(
      "%s: %d buyers, %d units, %s, strategy %s, buckets %d, concurrency %d",
      run.label, run.buyers, run.stock, run.flow, absl::GetFlag(FLAGS_strategy),
      run.buckets, run.concurrency);
  auto plotted =
      PlotLatencyCdf(png, title, {{"successes", &ok}, {"refusals", &refused}});
  if (plotted.ok()) {
    std::cout << "wrote " << png << "\n";
  } else {
    std::cerr << "warning: no plot: " << plotted << "\n";
  }
}

}  // namespace turnstile::bench
