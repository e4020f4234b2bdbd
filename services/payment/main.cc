// turnstile-payment: wallets and the payment participant of the TCC mesh.
// Migrates its database, then serves turnstile.v1.Payment and
// turnstile.v1.Participant on one port until SIGTERM. With --coordinator it
// also sweeps orphaned authorizations (services/common/orphan_sweeper.h).
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "services/common/migrate.h"
#include "services/common/orphan_sweeper.h"
#include "services/common/pg_password.h"
#include "services/common/pg_pool.h"
#include "services/common/process.h"
#include "services/payment/service.h"
#include "services/payment/store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50053", "host:port to serve on");
ABSL_FLAG(
    std::string, pg,
    "host=127.0.0.1 port=5432 dbname=turnstile_payment user=turnstile_payment",
    "libpq connection string of the payment database, as its owner role "
    "(the password comes from --pg_password_file)");
ABSL_FLAG(int, pg_pool_size, 16, "PostgreSQL connections");
ABSL_FLAG(std::string, coordinator, "",
          "Coordinator address, asked about payments still authorized past "
          "their deadline (the orphan sweep); empty: no sweep");

int main(int argc, char** argv) {
  turnstile::InitProcess(argc, argv, "payment");
  const auto with_password =
      turnstile::ServiceConninfo(absl::GetFlag(FLAGS_pg));
  if (!with_password) return 2;
  const std::string& pg = *with_password;
  const int pool_size = std::max(1, absl::GetFlag(FLAGS_pg_pool_size));

  auto sweep_options =
      turnstile::OrphanSweepOptionsFromFlags(absl::GetFlag(FLAGS_coordinator));
  if (!sweep_options.ok()) {
    spdlog::critical("event=bad_flag error=\"{}\"",
                     std::string(sweep_options.status().message()));
    return 2;
  }

  if (!turnstile::MigrateOnStart(pg, "payment").ok()) return 1;

  turnstile::PgPool pool(pg, pool_size,
                         &turnstile::payment::PaymentStore::Prepare);
  turnstile::payment::PaymentStore store(pool);
  turnstile::payment::PaymentService payment(store);
  turnstile::payment::PaymentParticipant participant(store);
  turnstile::OrphanSweeper sweeper(
      "payment", *sweep_options,
      turnstile::ParticipantHooks(&store, &participant));
  sweeper.Start();
  return turnstile::ServeGrpc(
      {absl::GetFlag(FLAGS_listen), pool_size + 4, "payment"},
      {&payment, &participant}, [&sweeper] { sweeper.Stop(); });
}
