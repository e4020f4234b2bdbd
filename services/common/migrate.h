// Applies the numbered migrations of one database (sql/<service>/NNNN_*.sql)
// in order, each once, recording them in schema_migrations. Safe to run twice
// and from several replicas at once: a session advisory lock serialises it.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace turnstile {

// Returns the number of migrations applied by this call (0 if up to date).
absl::StatusOr<int> Migrate(const std::string& conninfo,
                            const std::string& dir);

// OK if every migration file of `dir` is recorded in schema_migrations;
// UNAVAILABLE (reason SCHEMA_BEHIND, naming the first pending file) if not.
// Changes nothing.
absl::Status CheckMigrated(const std::string& conninfo, const std::string& dir);

// The files (names) not among `applied`, in the order of `files`. Pure.
std::vector<std::string> PendingMigrations(
    const std::vector<std::string>& files,
    const std::vector<std::string>& applied);

// What a service does at start-up (with --migrate_on_start=false: only
// CheckMigrated, waiting the same way for a migration Job to finish): Migrate
// its database, retrying transient failures (PostgreSQL still starting next to
// it, locally or in Kubernetes) with backoff for up to --migrate_wait_ms,
// failing at once on anything else. Logs each retry and the outcome.
absl::StatusOr<int> MigrateOnStart(const std::string& conninfo,
                                   const std::string& service);

// The migration directory of `service` under --sql_dir.
std::string MigrationDir(const std::string& service);

}  // namespace turnstile
