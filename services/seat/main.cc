// turnstile-seat: serves turnstile.v1.Seat and the
// turnstile.v1.Participant phases of seat branches on one port, after
// applying the seat migrations and reconciling the Redis seat gate with
// PostgreSQL (then again every --reconcile_interval_s). With --coordinator
// it also sweeps orphaned holds (services/common/orphan_sweeper.h).
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "services/common/backoff.h"
#include "services/common/gate_scripts.h"
#include "services/common/migrate.h"
#include "services/common/orphan_sweeper.h"
#include "services/common/pg_password.h"
#include "services/common/process.h"
#include "services/common/redis_client.h"
#include "services/common/redis_flags.h"
#include "services/common/status.h"
#include "services/seat/reconciler.h"
#include "services/seat/seat_catalog.h"
#include "services/seat/service.h"
#include "services/seat/store.h"
#include "services/seat/tcc.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50052", "gRPC listen address");
ABSL_FLAG(std::string, pg,
          "host=127.0.0.1 port=5432 dbname=turnstile_seat user=turnstile_seat",
          "libpq connection string of the seat database, as its owner role "
          "(the password comes from --pg_password_file)");
ABSL_FLAG(int, pg_pool_size, 16,
          "PostgreSQL connections; the gRPC thread quota is this + 4");
ABSL_FLAG(int, reconcile_interval_s, 30,
          "Seconds between reconciler passes over every event's Redis gate "
          "(0 = only at start-up and on demand)");
ABSL_FLAG(int, gate_hold_margin_s, 60,
          "A gate hold expires this long after the transaction deadline "
          "(0..86400)");
ABSL_FLAG(std::string, coordinator, "",
          "Coordinator address, asked about seats still held past their "
          "transaction's deadline (the orphan sweep); empty: no sweep");
ABSL_FLAG(int64_t, seat_catalog_max_seats, 2000000,
          "Seat ids of events cached in memory to refuse unknown seats "
          "without a round trip");

int main(int argc, char** argv) {
  turnstile::InitProcess(argc, argv, "seat");
  const auto with_password =
      turnstile::ServiceConninfo(absl::GetFlag(FLAGS_pg));
  if (!with_password) return 2;
  const std::string& pg = *with_password;
  const int pool_size = absl::GetFlag(FLAGS_pg_pool_size);
  if (pool_size < 1) {
    spdlog::critical("event=bad_flag flag=pg_pool_size value={}", pool_size);
    return 2;
  }

  auto sweep_options =
      turnstile::OrphanSweepOptionsFromFlags(absl::GetFlag(FLAGS_coordinator));
  if (!sweep_options.ok()) {
    spdlog::critical("event=bad_flag error=\"{}\"",
                     std::string(sweep_options.status().message()));
    return 2;
  }

  if (!turnstile::MigrateOnStart(pg, "seat").ok()) return 1;

  const int margin_s = absl::GetFlag(FLAGS_gate_hold_margin_s);
  const int interval_s = absl::GetFlag(FLAGS_reconcile_interval_s);
  if (margin_s < 0 || margin_s > 86400 || interval_s < 0) {
    spdlog::critical(
        "event=bad_flag gate_hold_margin_s={} reconcile_interval_s={}",
        margin_s, interval_s);
    return 2;
  }
  auto redis_options = turnstile::RedisOptionsFromFlags();
  if (!redis_options.ok()) {
    spdlog::critical("event=bad_flag flag=redis error=\"{}\"",
                     redis_options.status().ToString());
    return 2;
  }
  turnstile::RedisClient redis(*redis_options);
  // Not fatal: EVALSHA loads a script on demand once Redis is back.
  if (auto s = redis.LoadScripts(turnstile::EmbeddedLuaScripts()); !s.ok()) {
    spdlog::warn("event=redis_scripts_not_loaded error=\"{}\"", s.ToString());
  }
  turnstile::SeatGate gate(&redis);

  turnstile::seat::SeatStore store(pg, pool_size);
  turnstile::seat::Reconciler reconciler(&store, &gate);
  turnstile::seat::SeatCatalog catalog(
      [&store](const std::string& event_id) { return store.SeatIds(event_id); },
      absl::GetFlag(FLAGS_seat_catalog_max_seats));
  turnstile::seat::TccOptions tcc_options;
  tcc_options.hold_margin = std::chrono::seconds(margin_s);
  turnstile::seat::SeatTcc tcc(&store, &gate, &catalog, &reconciler,
                               tcc_options);

  // Start-up pass before serving: a gate lost while this process was down
  // is rebuilt before the first Try. Failures (Redis down) are not fatal;
  // Tries rebuild missing gates on the spot.
  {
    auto report = reconciler.ReconcileAll();
    if (report.ok()) {
      spdlog::info("event=startup_reconcile events={} rebuilt={} fixes={}",
                   report->events_checked, report->keys_rebuilt, report->fixes);
    } else {
      spdlog::warn("event=startup_reconcile_failed error=\"{}\"",
                   report.status().ToString());
    }
  }
  // Seat maps into memory (up to --seat_catalog_max_seats), so that even
  // the first refusal after a restart needs no query.
  if (auto events = store.EventIds(); events.ok()) {
    for (const std::string& event_id : *events) {
      auto warmed = catalog.Warm(event_id);
      if (!warmed.ok() || !*warmed) break;
    }
    spdlog::info("event=seat_catalog_warm events={}", catalog.events());
  }
  reconciler.StartPeriodic(std::chrono::seconds(interval_s));

  turnstile::seat::SeatService seat(&store, &catalog, &tcc, &reconciler);
  turnstile::SecondPhaseParticipant participant(
      turnstile::seat::ParticipantSpec(&tcc));
  turnstile::OrphanSweeper sweeper(
      "seat", *sweep_options,
      turnstile::ParticipantHooks(&store, &participant));
  sweeper.Start();
  return turnstile::ServeGrpc(
      {absl::GetFlag(FLAGS_listen), pool_size + 4, "seat"},
      {&seat, &participant}, [&] {
        sweeper.Stop();
        reconciler.Stop();
      });
}
