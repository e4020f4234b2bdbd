#include "services/common/migrate.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/backoff.h"
#include "services/common/pg_pool.h"
#include "services/common/status.h"

ABSL_FLAG(std::string, sql_dir, TURNSTILE_SQL_DIR,
          "Directory holding sql/<service>/NNNN_*.sql migrations");
ABSL_FLAG(int, migrate_wait_ms, 30000,
          "At start-up, how long to retry migrations while PostgreSQL is "
          "unreachable");
ABSL_FLAG(bool, migrate_on_start, true,
          "Apply pending migrations at start-up. false (the Helm chart, "
          "where a pre-install/pre-upgrade Job runs `turnstilectl migrate`): "
          "only check that every migration of --sql_dir is applied, waiting "
          "up to --migrate_wait_ms, and refuse to start on an older schema");

namespace turnstile {
namespace {

// PostgreSQL answered and refused this login (wrong password, no CONNECT
// privilege on the database, no pg_hba.conf entry). libpq reports it as a
// broken connection like a server that is still starting, but waiting does
// not help: fail at once. libpq gives no SQLSTATE here, only the text.
bool IsLoginRefused(absl::string_view message) {
  for (absl::string_view text :
       {"password authentication failed", "permission denied for database",
        "no pg_hba.conf entry", "no password supplied"}) {
    if (absl::StrContains(message, text)) return true;
  }
  return false;
}

// The migration files of `dir`, in the order they apply.
absl::StatusOr<std::vector<std::filesystem::path>> MigrationFiles(
    const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".sql") files.push_back(entry.path());
  }
  if (ec) {
    return Error(absl::StatusCode::kFailedPrecondition, "NO_MIGRATIONS",
                 absl::StrCat("cannot read ", dir, ": ", ec.message()));
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

std::string MigrationDir(const std::string& service) {
  return absl::StrCat(absl::GetFlag(FLAGS_sql_dir), "/", service);
}

absl::StatusOr<int> Migrate(const std::string& conninfo,
                            const std::string& dir) {
  auto listed = MigrationFiles(dir);
  if (!listed.ok()) return listed.status();
  const std::vector<std::filesystem::path>& files = *listed;
  int applied = 0;
  try {
    pqxx::connection conn(conninfo);
    {
      // What a migration creates belongs to the database's owner (the
      // service's own role) whoever runs it: tables made by a superuser's
      // `turnstilectl migrate` would be out of the service's reach.
      pqxx::nontransaction tx(conn);
      const auto row = tx.exec1(
          "SELECT pg_get_userbyid(datdba), current_user FROM pg_database "
          "WHERE datname = current_database()");
      const std::string owner = row[0].as<std::string>();
      if (owner != row[1].as<std::string>()) {
        tx.exec("SET ROLE " + tx.quote_name(owner));
      }
    }
    pqxx::nontransaction(conn).exec(
        "SELECT pg_advisory_lock(hashtext('turnstile.migrate'))");
    {
      pqxx::work tx(conn);
      tx.exec(
          "CREATE TABLE IF NOT EXISTS schema_migrations ("
          " version text PRIMARY KEY,"
          " applied_at timestamptz NOT NULL DEFAULT now())");
      tx.commit();
    }
    for (const auto& file : files) {
      const std::string version = file.filename().string();
      pqxx::work tx(conn);
      if (!tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1",
                          version)
               .empty()) {
        continue;
      }
      std::ifstream in(file);
      std::stringstream sql;
      sql << in.rdbuf();
      tx.exec(sql.str());
      tx.exec_params("INSERT INTO schema_migrations (version) VALUES ($1)",
                     version);
      tx.commit();
      ++applied;
      spdlog::info("event=migration_applied version={}", version);
    }
    pqxx::nontransaction(conn).exec(
        "SELECT pg_advisory_unlock(hashtext('turnstile.migrate'))");
  } catch (const std::exception& e) {
    // Seen here, before StatusFromException conceals the text: this status
    // only reaches the process's own log, never a client.
    if (IsLoginRefused(e.what())) {
      return Error(absl::StatusCode::kPermissionDenied, "DB_LOGIN_REFUSED",
                   absl::StrCat("PostgreSQL refused the login: ", e.what()));
    }
    return StatusFromException(e);
  }
  return applied;
}

std::vector<std::string> PendingMigrations(
    const std::vector<std::string>& files,
    const std::vector<std::string>& applied) {
  std::vector<std::string> pending;
  for (const std::string& file : files) {
    if (std::find(applied.begin(), applied.end(), file) == applied.end()) {
      pending.push_back(file);
    }
  }
  return pending;
}

absl::Status CheckMigrated(const std::string& conninfo,
                           const std::string& dir) {
  auto listed = MigrationFiles(dir);
  if (!listed.ok()) return listed.status();
  std::vector<std::string> files;
  for (const auto& file : *listed) files.push_back(file.filename().string());
  std::vector<std::string> applied;
  try {
    pqxx::connection conn(conninfo);
    pqxx::nontransaction tx(conn);
    const bool exists =
        tx.exec1("SELECT to_regclass('schema_migrations') IS NOT NULL")[0]
            .as<bool>();
    if (exists) {
      for (const auto& row : tx.exec("SELECT version FROM schema_migrations")) {
        applied.push_back(row[0].as<std::string>());
      }
    }
  } catch (const std::exception& e) {
    if (IsLoginRefused(e.what())) {
      return Error(absl::StatusCode::kPermissionDenied, "DB_LOGIN_REFUSED",
                   absl::StrCat("PostgreSQL refused the login: ", e.what()));
    }
    return StatusFromException(e);
  }
  const std::vector<std::string> pending = PendingMigrations(files, applied);
  if (pending.empty()) return absl::OkStatus();
  // UNAVAILABLE: the migration Job may still be running; start-up waits.
  return Error(absl::StatusCode::kUnavailable, "SCHEMA_BEHIND",
               absl::StrCat(pending.size(), " migration(s) not applied, first ",
                            pending.front(), " (run `turnstilectl migrate`)"));
}

absl::StatusOr<int> MigrateOnStart(const std::string& conninfo,
                                   const std::string& service) {
  const auto until =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(absl::GetFlag(FLAGS_migrate_wait_ms));
  const bool migrate = absl::GetFlag(FLAGS_migrate_on_start);
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<int> applied = 0;
    if (migrate) {
      applied = Migrate(conninfo, MigrationDir(service));
    } else if (absl::Status checked =
                   CheckMigrated(conninfo, MigrationDir(service));
               !checked.ok()) {
      applied = checked;
    }
    if (applied.ok()) {
      spdlog::info("event=migrated applied={} checked_only={}", *applied,
                   !migrate);
      return applied;
    }
    if (!IsTransient(applied.status()) ||
        std::chrono::steady_clock::now() > until) {
      spdlog::critical("event=migrate_failed error=\"{}\"",
                       applied.status().ToString());
      return applied;
    }
    spdlog::warn("event=migrate_retry attempt={} error=\"{}\"", attempt,
                 std::string(applied.status().message()));
    std::this_thread::sleep_for(BackoffDelay({}, attempt));
  }
}

}  // namespace turnstile
