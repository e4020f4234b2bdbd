// turnstile-seat: serves turnstile.v1.Seat and the
// turnstile.v1.Participant phases of seat branches on one port, after
// applying the seat migrations.
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "services/common/backoff.h"
#include "services/common/migrate.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/seat/service.h"
#include "services/seat/store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50052", "gRPC listen address");
ABSL_FLAG(std::string, pg,
          "host=127.0.0.1 port=5432 dbname=turnstile_seat user=postgres",
          "libpq connection string of the seat database");
ABSL_FLAG(int, pg_pool_size, 16,
          "PostgreSQL connections; the gRPC thread quota is this + 4");
ABSL_FLAG(int, migrate_wait_ms, 30000,
          "How long start-up retries migrations while PostgreSQL is down");

int main(int argc, char** argv) {
  turnstile::InitProcess(argc, argv, "seat");
  const std::string pg = absl::GetFlag(FLAGS_pg);
  const int pool_size = absl::GetFlag(FLAGS_pg_pool_size);
  if (pool_size < 1) {
    spdlog::critical("event=bad_flag flag=pg_pool_size value={}", pool_size);
    return 2;
  }

  // PostgreSQL may still be starting (local stack, Kubernetes): retry
  // transient failures for a while, fail fast on anything else.
  const auto until =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(absl::GetFlag(FLAGS_migrate_wait_ms));
  for (int attempt = 1;; ++attempt) {
    auto applied = turnstile::Migrate(pg, turnstile::MigrationDir("seat"));
    if (applied.ok()) {
      spdlog::info("event=migrated applied={}", *applied);
      break;
    }
    if (!turnstile::IsTransient(applied.status()) ||
        std::chrono::steady_clock::now() > until) {
      spdlog::critical("event=migrate_failed error=\"{}\"",
                       std::string(applied.status().message()));
      return 1;
    }
    spdlog::warn("event=migrate_retry attempt={} error=\"{}\"", attempt,
                 std::string(applied.status().message()));
    std::this_thread::sleep_for(turnstile::BackoffDelay({}, attempt));
  }

  turnstile::seat::SeatStore store(pg, pool_size);
  turnstile::seat::SeatService seat(&store);
  turnstile::seat::SeatParticipant participant(&store);
  return turnstile::ServeGrpc(
      {absl::GetFlag(FLAGS_listen), pool_size + 4, "seat"},
      {&seat, &participant});
}
