// turnstile-inventory: serves turnstile.v1.Inventory and the
// turnstile.v1.Participant phases of inventory branches on one port, after
// applying the inventory migrations. With the gate strategy (the default) it
// also connects to Redis (--redis), reconciles every SKU's gate once before
// serving and then every --reconcile_interval_s. With --coordinator it also
// sweeps orphaned reservations (services/common/orphan_sweeper.h).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "services/common/backoff.h"
#include "services/common/gate_scripts.h"
#include "services/common/lua_scripts.h"
#include "services/common/migrate.h"
#include "services/common/orphan_sweeper.h"
#include "services/common/pg_password.h"
#include "services/common/process.h"
#include "services/common/redis_client.h"
#include "services/common/redis_flags.h"
#include "services/common/status.h"
#include "services/inventory/reconciler.h"
#include "services/inventory/service.h"
#include "services/inventory/stock_flow.h"
#include "services/inventory/store.h"
#include "services/inventory/validation.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC listen address");
ABSL_FLAG(
    std::string, pg,
    "host=127.0.0.1 port=5432 dbname=turnstile_inventory "
    "user=turnstile_inventory",
    "libpq connection string of the inventory database, as its owner role "
    "(the password comes from --pg_password_file)");
ABSL_FLAG(int, pg_pool_size, 16,
          "PostgreSQL connections; the gRPC thread quota is this + 4");
ABSL_FLAG(std::string, reservation_strategy, "gate",
          "How a Try takes stock: gate (Redis gate, then a conditional "
          "update; the default), optimistic (version compare-and-set with "
          "retries) or pessimistic (SELECT ... FOR UPDATE). The last two are "
          "for comparison only and do not use Redis at all");
ABSL_FLAG(int, reconcile_interval_s, 30,
          "Seconds between two reconciliations of every SKU's Redis gate "
          "(0 = only at start-up and on demand)");
ABSL_FLAG(int, reconcile_stale_ms, 60000,
          "A gate reservation PostgreSQL has no trace of after this long is "
          "a stranded Try and is released by the reconciler; must exceed "
          "the longest Try including the caller's retries");
ABSL_FLAG(int, reconcile_settle_grace_ms, 5000,
          "The reconciler leaves a gate reservation that PostgreSQL decided "
          "(sold, released, cancelled) less than this long ago to the "
          "service's own gate call");
ABSL_FLAG(std::string, coordinator, "",
          "Coordinator address, asked about reservations still locked past "
          "their deadline (the orphan sweep); empty: no sweep");
ABSL_FLAG(int, optimistic_attempts, 10,
          "optimistic strategy: local transactions per Try before "
          "UNAVAILABLE (CONTENDED)");
ABSL_FLAG(int, optimistic_backoff_initial_ms, 2,
          "optimistic strategy: first retry pause cap (doubles, full jitter)");
ABSL_FLAG(int, optimistic_backoff_max_ms, 100,
          "optimistic strategy: largest retry pause cap");

int main(int argc, char** argv) {
  turnstile::InitProcess(argc, argv, "inventory");
  const auto with_password =
      turnstile::ServiceConninfo(absl::GetFlag(FLAGS_pg));
  if (!with_password) return 2;
  const std::string& pg = *with_password;
  const int pool_size = absl::GetFlag(FLAGS_pg_pool_size);
  if (pool_size < 1) {
    spdlog::critical("event=bad_flag flag=pg_pool_size value={}", pool_size);
    return 2;
  }
  const auto strategy = turnstile::inventory::ParseStrategy(
      absl::GetFlag(FLAGS_reservation_strategy));
  if (!strategy.ok()) {
    spdlog::critical("event=bad_flag flag=reservation_strategy error=\"{}\"",
                     std::string(strategy.status().message()));
    return 2;
  }

  auto sweep_options =
      turnstile::OrphanSweepOptionsFromFlags(absl::GetFlag(FLAGS_coordinator));
  if (!sweep_options.ok()) {
    spdlog::critical("event=bad_flag error=\"{}\"",
                     std::string(sweep_options.status().message()));
    return 2;
  }

  if (!turnstile::MigrateOnStart(pg, "inventory").ok()) return 1;

  namespace inv = turnstile::inventory;
  inv::StoreOptions store_options;
  store_options.strategy = *strategy;
  store_options.optimistic_attempts =
      std::max(1, absl::GetFlag(FLAGS_optimistic_attempts));
  store_options.optimistic_backoff = {
      std::chrono::milliseconds(
          std::max(1, absl::GetFlag(FLAGS_optimistic_backoff_initial_ms))),
      std::chrono::milliseconds(
          std::max(1, absl::GetFlag(FLAGS_optimistic_backoff_max_ms)))};
  inv::InventoryStore store(pg, pool_size, store_options);

  std::unique_ptr<turnstile::RedisClient> redis;
  std::unique_ptr<turnstile::StockGate> gate;
  std::unique_ptr<inv::Reconciler> reconciler;
  if (*strategy == inv::Strategy::kGate) {
    auto redis_options = turnstile::RedisOptionsFromFlags();
    if (!redis_options.ok()) {
      spdlog::critical("event=bad_flag flag=redis error=\"{}\"",
                       std::string(redis_options.status().message()));
      return 2;
    }
    redis = std::make_unique<turnstile::RedisClient>(*redis_options);
    // Not fatal: EVALSHA loads a missing script on demand.
    if (auto s = redis->LoadScripts(turnstile::EmbeddedLuaScripts()); !s.ok()) {
      spdlog::warn("event=redis_scripts_not_loaded error=\"{}\"",
                   std::string(s.message()));
    }
    gate = std::make_unique<turnstile::StockGate>(redis.get());
    inv::ReconcilerOptions reconciler_options;
    reconciler_options.stale = std::chrono::milliseconds(
        std::max(1000, absl::GetFlag(FLAGS_reconcile_stale_ms)));
    reconciler_options.settle_grace = std::chrono::milliseconds(
        std::max(0, absl::GetFlag(FLAGS_reconcile_settle_grace_ms)));
    reconciler = std::make_unique<inv::Reconciler>(&store, gate.get(),
                                                   reconciler_options);
    // Before serving, so that a Redis that came back empty is whole again;
    // if Redis is down the service still starts (Tries are refused with
    // UNAVAILABLE until it is back, and missing gates are rebuilt then).
    auto report = reconciler->ReconcileAll();
    if (report.ok()) {
      spdlog::info(
          "event=reconcile_done trigger=startup skus={} rebuilt={} fixes={}",
          report->skus_checked, report->keys_rebuilt, report->fixes);
    } else {
      spdlog::warn("event=reconcile_failed trigger=startup error=\"{}\"",
                   std::string(report.status().message()));
    }
    reconciler->StartPeriodic(
        std::chrono::seconds(absl::GetFlag(FLAGS_reconcile_interval_s)));
  }
  spdlog::info("event=config strategy={} reconcile_interval_s={}",
               inv::StrategyName(*strategy),
               absl::GetFlag(FLAGS_reconcile_interval_s));

  inv::StockFlow flow(&store, *strategy, gate.get(), reconciler.get());
  inv::InventoryService inventory(&store, &flow, reconciler.get());
  turnstile::SecondPhaseParticipant participant(inv::ParticipantSpec(&flow));
  turnstile::OrphanSweeper sweeper(
      "inventory", *sweep_options,
      turnstile::ParticipantHooks(&store, &participant));
  sweeper.Start();
  return turnstile::ServeGrpc(
      {absl::GetFlag(FLAGS_listen), pool_size + 4, "inventory"},
      {&inventory, &participant}, [&] {
        sweeper.Stop();
        if (reconciler) reconciler->Stop();
      });
}
