// turnstile-coordinator: the TCC coordinator process. Parses flags, migrates
// its database, wires the log, group-commit writer, driver, recovery loop,
// retention and gRPC service together, serves until SIGTERM, then stops in
// order: no new claims, let in-flight deliveries finish (or leave them to
// recovery), flush the writer.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "services/common/clients.h"
#include "services/common/migrate.h"
#include "services/common/pg_password.h"
#include "services/common/pg_pool.h"
#include "services/common/process.h"
#include "txn-coordinator/driver.h"
#include "txn-coordinator/executor.h"
#include "txn-coordinator/group_commit.h"
#include "txn-coordinator/log_store.h"
#include "txn-coordinator/participants.h"
#include "txn-coordinator/recovery.h"
#include "txn-coordinator/retention.h"
#include "txn-coordinator/service.h"
#include "txn-coordinator/waiters.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50050", "gRPC listen address");
ABSL_FLAG(
    std::string, pg,
    "host=127.0.0.1 port=5432 dbname=turnstile_coordinator "
    "user=turnstile_coordinator",
    "libpq connection string of the coordinator database, as its owner role "
    "(the password comes from --pg_password_file)");
ABSL_FLAG(int, pg_pool_size, 16, "PostgreSQL connections for reads/recovery");
ABSL_FLAG(std::string, participants, "",
          "Comma list of participant name=target, e.g. "
          "order=127.0.0.1:50054,inventory=127.0.0.1:50051");
ABSL_FLAG(int, poll_interval_ms, 200, "Recovery loop period");
ABSL_FLAG(int, lease_ms, 5000,
          "How long a claimed or freshly decided transaction is reserved for "
          "the process driving it");
ABSL_FLAG(int, stuck_after_ms, 300000,
          "A branch of a decided (CONFIRMING/CANCELLING) transaction that "
          "failed at least once and was decided this long ago counts in "
          "turnstile_coordinator_stuck_branches (as does one past the "
          "attempt limit of 10 failures, whatever its age)");
ABSL_FLAG(int, overdue_horizon_ms, 600000,
          "A transaction still not CONFIRMED/CANCELLED this long after its "
          "deadline counts in turnstile_coordinator_overdue_transactions");
ABSL_FLAG(int, rpc_timeout_ms, 3000, "Timeout of each Confirm/Cancel call");
ABSL_FLAG(int, backoff_initial_ms, 100, "First retry delay cap");
ABSL_FLAG(int, backoff_max_ms, 30000, "Largest retry delay cap");
ABSL_FLAG(int, retention_hours, 72,
          "Finished transactions are deleted after this many hours");
ABSL_FLAG(int, retention_interval_s, 300, "How often retention runs");
ABSL_FLAG(int, group_commit_max_batch, 128, "Ops per group-commit batch");
ABSL_FLAG(int, group_commit_max_wait_us, 1000,
          "Longest an op waits for its batch to fill");
ABSL_FLAG(int, group_commit_max_queue, 2048,
          "Log writes (Begin, RegisterBranch, Commit, Abort) that may wait for "
          "the group-commit writer; one more is refused at once with "
          "RESOURCE_EXHAUSTED and a retry delay (--overload_retry_after_ms)");
ABSL_FLAG(int, executor_max_queue, 1024,
          "Reads (GetTransaction, ListTransactions, RetryTransaction) that may "
          "wait for a database thread; one more is refused at once with "
          "RESOURCE_EXHAUSTED and a retry delay");
ABSL_FLAG(int, test_pause_after_decision_ms, 0,
          "Fault injection for crash tests: delay before the first delivery "
          "after a Commit/Abort decision");
ABSL_FLAG(std::string, coordinator_id, "",
          "Lease owner name of this replica (default host:pid:random)");

namespace {

using namespace turnstile;
using namespace turnstile::coordinator;
using std::chrono::milliseconds;

std::string DefaultOwner() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::random_device rd;
  return absl::StrCat(host, ":", getpid(), ":", rd() % 100000);
}

// Flags that must be positive; a zero would spin or never retry.
bool CheckFlags() {
  struct {
    const char* name;
    int value;
  } checks[] = {
      {"pg_pool_size", absl::GetFlag(FLAGS_pg_pool_size)},
      {"poll_interval_ms", absl::GetFlag(FLAGS_poll_interval_ms)},
      {"lease_ms", absl::GetFlag(FLAGS_lease_ms)},
      {"rpc_timeout_ms", absl::GetFlag(FLAGS_rpc_timeout_ms)},
      {"stuck_after_ms", absl::GetFlag(FLAGS_stuck_after_ms)},
      {"overdue_horizon_ms", absl::GetFlag(FLAGS_overdue_horizon_ms)},
      {"backoff_initial_ms", absl::GetFlag(FLAGS_backoff_initial_ms)},
      {"backoff_max_ms", absl::GetFlag(FLAGS_backoff_max_ms)},
      {"retention_hours", absl::GetFlag(FLAGS_retention_hours)},
      {"retention_interval_s", absl::GetFlag(FLAGS_retention_interval_s)},
      {"group_commit_max_batch", absl::GetFlag(FLAGS_group_commit_max_batch)},
      {"group_commit_max_queue", absl::GetFlag(FLAGS_group_commit_max_queue)},
      {"executor_max_queue", absl::GetFlag(FLAGS_executor_max_queue)},
  };
  for (const auto& c : checks) {
    if (c.value <= 0) {
      spdlog::critical("event=bad_flag flag={} value={}", c.name, c.value);
      return false;
    }
  }
  if (absl::GetFlag(FLAGS_group_commit_max_wait_us) < 0 ||
      absl::GetFlag(FLAGS_test_pause_after_decision_ms) < 0) {
    spdlog::critical(
        "event=bad_flag flag=group_commit_max_wait_us|"
        "test_pause_after_decision_ms");
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  InitProcess(argc, argv, "coordinator");
  if (!CheckFlags()) return 2;
  auto participants = ParseParticipants(absl::GetFlag(FLAGS_participants));
  if (!participants.ok()) {
    spdlog::critical("event=bad_flag flag=participants error=\"{}\"",
                     std::string(participants.status().message()));
    return 2;
  }
  const auto with_password = ServiceConninfo(absl::GetFlag(FLAGS_pg));
  if (!with_password) return 2;
  const std::string& conninfo = *with_password;
  if (!MigrateOnStart(conninfo, "coordinator").ok()) return 1;

  const int pool_size = absl::GetFlag(FLAGS_pg_pool_size);
  const milliseconds poll(absl::GetFlag(FLAGS_poll_interval_ms));
  const milliseconds rpc_timeout(absl::GetFlag(FLAGS_rpc_timeout_ms));
  std::string owner = absl::GetFlag(FLAGS_coordinator_id);
  if (owner.empty()) owner = DefaultOwner();

  PgPool pool(conninfo, pool_size, LogStore::Prepare);
  LogStore log(&pool, owner, milliseconds(absl::GetFlag(FLAGS_lease_ms)));
  GroupCommit writer(
      conninfo, LogStore::Prepare,
      GroupCommitOptions{absl::GetFlag(FLAGS_group_commit_max_batch),
                         std::chrono::microseconds(
                             absl::GetFlag(FLAGS_group_commit_max_wait_us)),
                         absl::GetFlag(FLAGS_group_commit_max_queue)});
  Executor executor(pool_size, absl::GetFlag(FLAGS_executor_max_queue));
  Waiters waiters(&log, poll);

  Driver::Stubs stubs;
  for (const auto& [name, target] : *participants) {
    stubs[name] = v1::Participant::NewStub(MakeChannel(target, name));
  }
  DriverOptions driver_options;
  driver_options.rpc_timeout = rpc_timeout;
  driver_options.backoff.initial =
      milliseconds(absl::GetFlag(FLAGS_backoff_initial_ms));
  driver_options.backoff.max =
      milliseconds(absl::GetFlag(FLAGS_backoff_max_ms));
  Driver driver(driver_options, &log, &writer, &executor, &waiters,
                std::move(stubs));

  RecoveryOptions recovery_options;
  recovery_options.poll = poll;
  recovery_options.stuck_gauge_every = std::max(milliseconds(1000), poll * 10);
  recovery_options.stuck_after =
      milliseconds(absl::GetFlag(FLAGS_stuck_after_ms));
  recovery_options.overdue_horizon =
      milliseconds(absl::GetFlag(FLAGS_overdue_horizon_ms));
  Recovery recovery(recovery_options, &log, &driver);
  RetentionOptions retention_options;
  retention_options.keep =
      std::chrono::hours(absl::GetFlag(FLAGS_retention_hours));
  retention_options.every =
      std::chrono::seconds(absl::GetFlag(FLAGS_retention_interval_s));
  Retention retention(retention_options, &log);

  ServiceOptions service_options;
  service_options.participants = *participants;
  service_options.pause_after_decision =
      milliseconds(absl::GetFlag(FLAGS_test_pause_after_decision_ms));
  service_options.stuck_after = recovery_options.stuck_after;
  service_options.overdue_horizon = recovery_options.overdue_horizon;
  CoordinatorService service(service_options, &log, &writer, &executor, &driver,
                             &waiters);

  if (rpc_timeout >= milliseconds(absl::GetFlag(FLAGS_lease_ms))) {
    // A round may then outlive its lease and another replica drive it too
    // (harmless, Confirm/Cancel are idempotent, but wasteful).
    spdlog::warn(
        "event=lease_shorter_than_rpc_timeout lease_ms={} "
        "rpc_timeout_ms={}",
        absl::GetFlag(FLAGS_lease_ms), rpc_timeout.count());
  }
  spdlog::info("event=coordinator_starting owner={} participants={}", owner,
               absl::GetFlag(FLAGS_participants));
  recovery.Start();
  retention.Start();
  const int rc = ServeGrpc(
      ServerConfig{absl::GetFlag(FLAGS_listen), pool_size + 4, "coordinator"},
      {&service}, [&] {
        recovery.Stop();
        retention.Stop();
        driver.Stop(rpc_timeout + std::chrono::seconds(1));
        waiters.Stop();
        writer.Stop();
        executor.Stop();
        spdlog::info("event=coordinator_stopped");
      });
  spdlog::default_logger()->flush();
  // Everything is flushed; skip destructors so that a delivery still in
  // flight past the stop grace cannot call into freed objects.
  std::_Exit(rc);
}
