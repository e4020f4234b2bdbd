// turnstile-booking: serves turnstile.v1.Booking and the
// turnstile.v1.Participant phases of booking branches (branch id
// "booking") on one port, after applying the booking migrations and
// reconciling the Redis range gates with PostgreSQL (then again every
// --reconcile_interval_s). The availability reads go to bounded readers
// (--read_workers, --read_queue_max, --read_batch_max; read_queue.h). With
// --coordinator it also sweeps orphaned holds
// (services/common/orphan_sweeper.h). TLS identity "booking".
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>

#include "absl/flags/flag.h"
#include "services/booking/catalog.h"
#include "services/booking/reconciler.h"
#include "services/booking/service.h"
#include "services/booking/store.h"
#include "services/booking/tcc.h"
#include "services/common/gate_scripts.h"
#include "services/common/migrate.h"
#include "services/common/orphan_sweeper.h"
#include "services/common/pg_password.h"
#include "services/common/process.h"
#include "services/common/range_gate.h"
#include "services/common/redis_client.h"
#include "services/common/redis_flags.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50056", "gRPC listen address");
ABSL_FLAG(std::string, pg,
          "host=127.0.0.1 port=5432 dbname=turnstile_booking "
          "user=turnstile_booking",
          "libpq connection string of the booking database, as its owner "
          "role (the password comes from --pg_password_file)");
ABSL_FLAG(int, pg_pool_size, 16,
          "PostgreSQL connections; the gRPC thread quota is this + 4");
ABSL_FLAG(int, reconcile_interval_s, 30,
          "Seconds between reconciler passes over every range gate with a "
          "booking (0 = only at start-up and on demand)");
ABSL_FLAG(int, gate_hold_margin_s, 30,
          "A gate hold expires this long after the transaction deadline "
          "(1..86400)");
ABSL_FLAG(std::string, coordinator, "",
          "Coordinator address, asked about bookings still held past their "
          "transaction's deadline (the orphan sweep); empty: no sweep");
ABSL_FLAG(int, per_doc_day_limit, 10,
          "Bookings per identity document per day (seed 002: 10; 0 = "
          "unlimited)");
ABSL_FLAG(int, per_user_day_limit, 0,
          "Bookings per user per day (0 = unlimited)");
ABSL_FLAG(int, per_user_run_limit, 0,
          "Bookings per user per train run (0 = unlimited)");
ABSL_FLAG(int, read_workers, 2,
          "Threads serving the availability reads (FreeMachines, FreeWindows, "
          "RemainingSeats, GetStopMatrix), each pipelining a batch of them "
          "over one Redis connection (1..64)");
ABSL_FLAG(int, read_queue_max, 1024,
          "Availability reads queued for the readers; beyond it they are "
          "refused RESOURCE_EXHAUSTED with a retry delay (1..1000000)");
ABSL_FLAG(int, read_batch_max, 64,
          "Availability reads one reader batch takes (1..1000)");
ABSL_FLAG(bool, read_coalesce, true,
          "Send identical gate reads queued in one batch once and share the "
          "answer");
ABSL_FLAG(int, booking_catalog_max_entries, 10000,
          "Venues and runs cached in memory for availability reads and Try "
          "checks without a PostgreSQL round trip");

int main(int argc, char** argv) {
  turnstile::InitProcess(argc, argv, "booking");
  const auto with_password =
      turnstile::ServiceConninfo(absl::GetFlag(FLAGS_pg));
  if (!with_password) return 2;
  const std::string& pg = *with_password;
  const int pool_size = absl::GetFlag(FLAGS_pg_pool_size);
  const int margin_s = absl::GetFlag(FLAGS_gate_hold_margin_s);
  const int interval_s = absl::GetFlag(FLAGS_reconcile_interval_s);
  turnstile::booking::QuotaLimits limits;
  limits.per_doc_day = absl::GetFlag(FLAGS_per_doc_day_limit);
  limits.per_user_day = absl::GetFlag(FLAGS_per_user_day_limit);
  limits.per_user_run = absl::GetFlag(FLAGS_per_user_run_limit);
  const int catalog_max = absl::GetFlag(FLAGS_booking_catalog_max_entries);
  turnstile::booking::ReadQueueOptions read_options;
  read_options.workers = absl::GetFlag(FLAGS_read_workers);
  const int read_queue_max = absl::GetFlag(FLAGS_read_queue_max);
  const int read_batch_max = absl::GetFlag(FLAGS_read_batch_max);
  read_options.coalesce = absl::GetFlag(FLAGS_read_coalesce);
  if (read_options.workers < 1 || read_options.workers > 64 ||
      read_queue_max < 1 || read_queue_max > 1000000 || read_batch_max < 1 ||
      read_batch_max > 1000) {
    spdlog::critical(
        "event=bad_flag read_workers={} read_queue_max={} read_batch_max={}",
        read_options.workers, read_queue_max, read_batch_max);
    return 2;
  }
  read_options.queue_max = static_cast<size_t>(read_queue_max);
  read_options.batch_max = static_cast<size_t>(read_batch_max);
  if (pool_size < 1 || margin_s < 1 || margin_s > 86400 || interval_s < 0 ||
      limits.per_doc_day < 0 || limits.per_user_day < 0 ||
      limits.per_user_run < 0 || catalog_max < 1) {
    spdlog::critical(
        "event=bad_flag pg_pool_size={} gate_hold_margin_s={} "
        "reconcile_interval_s={} per_doc_day_limit={} per_user_day_limit={} "
        "per_user_run_limit={} booking_catalog_max_entries={}",
        pool_size, margin_s, interval_s, limits.per_doc_day,
        limits.per_user_day, limits.per_user_run, catalog_max);
    return 2;
  }
  auto sweep_options =
      turnstile::OrphanSweepOptionsFromFlags(absl::GetFlag(FLAGS_coordinator));
  if (!sweep_options.ok()) {
    spdlog::critical("event=bad_flag error=\"{}\"",
                     std::string(sweep_options.status().message()));
    return 2;
  }

  if (!turnstile::MigrateOnStart(pg, "booking").ok()) return 1;

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
  turnstile::RangeGate gate(&redis);

  turnstile::booking::BookingStore store(pg, pool_size);
  turnstile::booking::BookingCatalog catalog(
      [&store](const std::string& id) { return store.GetVenue(id); },
      [&store](const std::string& id) { return store.GetRun(id); },
      static_cast<size_t>(catalog_max));
  turnstile::booking::ReconcileOptions reconcile_options;
  reconcile_options.plan.hold_margin = std::chrono::seconds(margin_s);
  reconcile_options.plan.run_users = limits.per_user_run > 0;
  turnstile::booking::BookingReconciler reconciler(&store, &gate, &catalog,
                                                   reconcile_options);
  turnstile::LimitGate limit_gate(&redis);
  turnstile::booking::DayLimits day_limits(&store, &limit_gate, limits,
                                           std::chrono::seconds(margin_s));
  reconciler.AttachDayLimits(&day_limits);
  turnstile::booking::TccOptions tcc_options;
  tcc_options.hold_margin = std::chrono::seconds(margin_s);
  tcc_options.limits = limits;
  turnstile::booking::BookingTcc tcc(&store, &gate, &reconciler, tcc_options,
                                     &day_limits);

  // Start-up pass before serving: a gate lost while this process was down
  // is rebuilt before the first Try. Failures (Redis down) are not fatal;
  // Tries and reads rebuild missing gates on the spot.
  {
    auto report = reconciler.ReconcileAll();
    if (report.ok()) {
      spdlog::info("event=startup_reconcile gates={} rebuilt={} fixes={}",
                   report->gates_checked, report->gates_rebuilt, report->fixes);
    } else {
      spdlog::warn("event=startup_reconcile_failed error=\"{}\"",
                   report.status().ToString());
    }
  }
  reconciler.StartPeriodic(std::chrono::seconds(interval_s));

  turnstile::booking::ReadQueue reads(&gate, &reconciler, read_options);
  turnstile::booking::BookingService booking(&store, &catalog, &tcc,
                                             &reconciler, &reads);
  turnstile::SecondPhaseParticipant participant(
      turnstile::booking::ParticipantSpec(&tcc));
  turnstile::OrphanSweeper sweeper(
      "booking", *sweep_options,
      turnstile::ParticipantHooks(&store, &participant));
  sweeper.Start();
  spdlog::info(
      "event=booking_limits per_doc_day={} per_user_day={} per_user_run={} "
      "gate_hold_margin_s={}",
      limits.per_doc_day, limits.per_user_day, limits.per_user_run, margin_s);
  return turnstile::ServeGrpc(
      {absl::GetFlag(FLAGS_listen), pool_size + 4, "booking"},
      {&booking, &participant}, [&] {
        reads.Stop();  // the server has finished every call by now
        sweeper.Stop();
        reconciler.Stop();
      });
}
