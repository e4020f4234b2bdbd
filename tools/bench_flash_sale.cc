#include "tools/bench_flash_sale.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/pg_password.h"
#include "services/common/redis_flags.h"
#include "tools/bench_flags.h"
#include "tools/bench_load.h"
#include "tools/bench_orders.h"
#include "tools/bench_report.h"
#include "tools/bench_rpc.h"
#include "tools/bench_setup.h"
#include "turnstile/v1/order.grpc.pb.h"

namespace turnstile::bench {
namespace {

using tools::AllOk;
using tools::CheckInvariants;
using tools::CheckResult;
using tools::Databases;
using tools::DatabasesFor;
using tools::FormatResults;

using std::chrono::seconds;

// Step 4 of the scenario: the baselines against the same servers, printed
// with our figures as ratios of theirs, then the invariants again (the
// bypass orders must have left nothing behind either).
BaselineResults RunBaselines(const Tally& sale, const Databases& dbs,
                             RedisClient* redis, const std::string& pg_password,
                             int concurrency) {
  BaselineResults out;
  Tally& full = out.full;
  Tally& bypass = out.bypass;
  std::optional<PgbenchResult>& pgbench = out.pgbench;
  std::optional<RedisBaseline>& redis_bench = out.redis_bench;
  std::cout << "== baselines (same servers, same run) ==\n";
  full = PayNowThroughput(absl::GetFlag(FLAGS_order), "pay_now full TCC",
                          absl::GetFlag(FLAGS_throughput_buckets));
  PrintTally("-- pay_now, full TCC (coordinator) --", full);
  if (!absl::GetFlag(FLAGS_bypass_order).empty()) {
    bypass =
        PayNowThroughput(absl::GetFlag(FLAGS_bypass_order), "pay_now bypass",
                         absl::GetFlag(FLAGS_throughput_buckets));
    PrintTally("-- pay_now, coordinator BYPASSED (unsafe) --", bypass);
  } else {
    std::cout << "(no --bypass_order: the bypass ratio is skipped)\n";
  }
  const std::string pgbench_db =
      absl::GetFlag(FLAGS_pgbench_db).empty()
          ? absl::GetFlag(FLAGS_db_prefix) + "_pgbench"
          : absl::GetFlag(FLAGS_pgbench_db);
  auto pg = RunPgbench({absl::GetFlag(FLAGS_pg_base), pg_password, pgbench_db,
                        concurrency, absl::GetFlag(FLAGS_pgbench_seconds),
                        absl::GetFlag(FLAGS_pgbench_scale)});
  if (pg.ok()) {
    pgbench = *pg;
    std::cout << absl::StrFormat(
        "-- pgbench tpcb-like: %d clients, %d s: %.0f TPS\n", pg->clients,
        pg->seconds, pg->tps);
  } else {
    std::cout << "warning: pgbench skipped: " << pg.status() << "\n";
  }
  if (redis) {
    auto rb = RedisBenchmarkReserve(*redis);
    if (rb.ok()) {
      redis_bench = *rb;
      std::cout << absl::StrFormat(
          "-- redis-benchmark EVALSHA stock_reserve, %d clients: %.0f/s "
          "(huge stock), %.0f/s (sold-out SKU)\n",
          concurrency, rb->rps_reserve, rb->rps_sold_out);
    } else {
      std::cout << "warning: redis-benchmark skipped: " << rb.status() << "\n";
    }
  }
  std::cout << "== ratios (ours / theirs, same run) ==\n";
  if (redis_bench) {
    std::cout << absl::StrFormat(
        "  refusals/s / EVALSHA/s            = %.0f / %.0f = %.3f  "
        "(target >= 0.25)\n",
        sale.RefusalRate(), redis_bench->rps_reserve,
        Ratio(sale.RefusalRate(), redis_bench->rps_reserve));
  }
  if (pgbench) {
    std::cout << absl::StrFormat(
        "  pay_now successes/s / pgbench TPS = %.0f / %.0f = %.3f  "
        "(target >= 0.3; DTM 0.26 with two branches)\n",
        full.Rate(full.ok), pgbench->tps,
        Ratio(full.Rate(full.ok), pgbench->tps));
  }
  if (bypass.requests() > 0) {
    std::cout << absl::StrFormat(
        "  full TCC / coordinator bypass     = %.0f / %.0f = %.3f  "
        "(target >= 0.5; DTM 0.43, Seata 0.05-0.3)\n",
        full.Rate(full.ok), bypass.Rate(bypass.ok),
        Ratio(full.Rate(full.ok), bypass.Rate(bypass.ok)));
  }
  std::vector<double> refused_sorted = sale.refused_ms;
  const LatencySummary rs = Summarize(refused_sorted);
  std::cout << absl::StrFormat(
      "  refusal p99 = %.2f ms at concurrency %d (target < 5 ms at 256)\n",
      rs.p99, concurrency);
  // The bypass orders must have left nothing behind either.
  const int64_t open = SettleTransactions(dbs, seconds(30));
  if (absl::GetFlag(FLAGS_check)) {
    auto after = CheckInvariants(dbs, {.horizon_seconds = 60});
    if (after.ok()) {
      std::cout << "-- invariants after the baselines --\n"
                << FormatResults(*after);
      if (!AllOk(*after) || open != 0) {
        std::cout << "RESULT after baselines: FAIL\n";
      }
    }
  }
  return out;
}

}  // namespace

int RunFlashSale() {
  const std::string flow = absl::GetFlag(FLAGS_flow);
  if (flow != "pay_now" && flow != "reserve_then_pay") {
    Die("--flow must be pay_now or reserve_then_pay");
  }
  const bool pay_now = flow == "pay_now";
  const int64_t buyers = absl::GetFlag(FLAGS_buyers);
  const int64_t stock = absl::GetFlag(FLAGS_stock);
  const int limit = absl::GetFlag(FLAGS_per_user_limit);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const std::string label = absl::GetFlag(FLAGS_label).empty()
                                ? "flash-sale"
                                : absl::GetFlag(FLAGS_label);
  // pgbench gets the password itself; this process's connections get it in
  // their conninfo.
  const auto pg_password = PgPasswordFromFlags();
  if (!pg_password.ok()) Die(pg_password.status().ToString());
  const auto pg_base = PgConninfoFromFlags(absl::GetFlag(FLAGS_pg_base));
  if (!pg_base.ok()) Die(pg_base.status().ToString());
  const auto dbs = DatabasesFor(*pg_base, absl::GetFlag(FLAGS_db_prefix));
  std::unique_ptr<RedisClient> redis;
  if (auto options = RedisOptionsFromFlags(); options.ok()) {
    redis = std::make_unique<RedisClient>(*options);
  } else {
    std::cerr << "warning: no Redis checks: " << options.status() << "\n";
  }

  // 1. Setup.
  const std::string sku = absl::GetFlag(FLAGS_sku).empty()
                              ? absl::StrCat("bench-fs-", Tag())
                              : absl::GetFlag(FLAGS_sku);
  const int buckets =
      CreateSku(sku, stock, limit, absl::GetFlag(FLAGS_buckets));
  std::cout << absl::StrFormat(
      "== %s: strategy=%s flow=%s buyers=%d stock=%d per_user_limit=%d "
      "buckets=%d concurrency=%d rate=%s sku=%s ==\n",
      label, absl::GetFlag(FLAGS_strategy), flow, buyers, stock, limit, buckets,
      concurrency,
      absl::GetFlag(FLAGS_rate) > 0
          ? absl::StrCat(absl::GetFlag(FLAGS_rate), "/s")
          : std::string("max"),
      sku);
  Tally funding;
  if (absl::GetFlag(FLAGS_fund)) {
    const int64_t wallets = std::max(buyers, absl::GetFlag(FLAGS_fund_buyers));
    funding = Fund(wallets);
    if (funding.ok != wallets) {
      PrintTally("deposits", funding);
      Die("funding the wallets failed");
    }
    std::cout << absl::StrFormat("funded %d wallets in %.1f s (%.0f/s)\n",
                                 wallets, funding.seconds,
                                 funding.Rate(funding.ok));
  }

  const double load_before = LoadAverage();
  // 2. The sale.
  StubPool<v1::Order> orders(absl::GetFlag(FLAGS_order), "order",
                             absl::GetFlag(FLAGS_channels));
  LoadOptions options;
  options.label = label;
  options.count = buyers;
  options.concurrency = concurrency;
  options.duration_cap = seconds(absl::GetFlag(FLAGS_duration_s));
  options.rate = absl::GetFlag(FLAGS_rate);
  Tally sale = RunAsyncLoad(options, [&](int64_t i, OpDone done) {
    PlaceOne(orders[i], User(i), "fs-" + sku, sku, pay_now, std::move(done));
  });
  const bool capped = sale.requests() < buyers;
  const double load_after = LoadAverage();
  PrintTally("-- load --", sale);
  std::cout << absl::StrFormat(
      "  machine load average (1 min) before/after: %.2f / %.2f on %d "
      "hardware threads\n",
      load_before, load_after, std::thread::hardware_concurrency());
  if (capped) {
    std::cout << "  (duration cap reached: " << sale.requests() << " of "
              << buyers << " buyers were issued)\n";
  }

  // 3. Outcome and invariants.
  SkuOutcome outcome = Outcome(dbs, sku, stock, redis.get());
  // Every buyer asks for one unit once: with no errors, exactly
  // min(stock, orders issued) units end up PAID.
  const int64_t expected = std::min(stock, sale.requests());
  const bool expect_exact = pay_now && sale.errors_total() == 0;
  const bool exact = outcome.paid_units == expected;
  std::cout << absl::StrFormat(
      "-- outcome --\n  SKU %s: total=%d available=%d locked=%d sold=%d; "
      "PAID orders=%d (units %d); oversold=%d\n",
      sku, outcome.sku.total(), outcome.sku.available(), outcome.sku.locked(),
      outcome.sku.sold(), outcome.paid_orders, outcome.paid_units,
      outcome.oversold);
  if (outcome.gate_remaining) {
    std::cout << absl::StrFormat(
        "  gate: remaining=%d (PostgreSQL available=%d)\n",
        *outcome.gate_remaining, outcome.sku.available());
  } else {
    std::cout << "  gate: none for this SKU (or Redis unreachable)\n";
  }
  std::cout << "  transactions not terminal after settling: "
            << outcome.open_txns << "\n";
  std::vector<CheckResult> checks;
  if (absl::GetFlag(FLAGS_check)) {
    auto results = CheckInvariants(dbs, {.horizon_seconds = 60});
    if (!results.ok()) Die("invariant check: " + results.status().ToString());
    checks = *results;
  }
  checks.push_back({"bench: oversold = 0 (sold <= stock, PAID units <= stock)",
                    outcome.oversold == 0,
                    absl::StrCat("sold=", outcome.sku.sold(), " paid_units=",
                                 outcome.paid_units, " stock=", stock)});
  checks.push_back({"bench: every transaction terminal", outcome.open_txns == 0,
                    absl::StrCat(outcome.open_txns, " open")});
  if (expect_exact) {
    checks.push_back({absl::StrCat("bench: exactly ", expected, " units PAID"),
                      exact, absl::StrCat(outcome.paid_units, " PAID units")});
  }
  std::cout << "-- invariants (as turnstilectl check) --\n"
            << FormatResults(checks);
  const bool all_ok = AllOk(checks);
  std::cout << (all_ok ? "RESULT: PASS\n" : "RESULT: FAIL\n");

  // 4. Baselines.
  BaselineResults baselines;
  if (absl::GetFlag(FLAGS_baselines)) {
    baselines = RunBaselines(sale, dbs, redis.get(), *pg_password, concurrency);
  }

  // 5. JSON and plot.
  FlashSaleRun run{.label = label,
                   .flow = flow,
                   .sku = sku,
                   .buyers = buyers,
                   .stock = stock,
                   .limit = limit,
                   .buckets = buckets,
                   .concurrency = concurrency,
                   .load_before = load_before,
                   .load_after = load_after,
                   .funding = std::move(funding),
                   .sale = std::move(sale),
                   .capped = capped,
                   .outcome = std::move(outcome),
                   .checks = std::move(checks),
                   .all_ok = all_ok,
                   .baselines = std::move(baselines)};
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    WriteFlashSaleJson(path, run);
  }
  if (const std::string png = absl::GetFlag(FLAGS_plot); !png.empty()) {
    PlotFlashSale(png, run);
  }
  return all_ok ? 0 : 1;
}

}  // namespace turnstile::bench
