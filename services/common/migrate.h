// Applies the numbered migrations of one database (sql/<service>/NNNN_*.sql)
// in order, each once, recording them in schema_migrations. Safe to run twice
// and from several replicas at once: a session advisory lock serialises it.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace turnstile {

// Returns the number of migrations applied by this call (0 if up to date).
absl::StatusOr<int> Migrate(const std::string& conninfo,
                            const std::string& dir);

// What a service does at start-up: Migrate its database, retrying transient
// failures (PostgreSQL still starting next to it, locally or in Kubernetes)
// with backoff for up to --migrate_wait_ms, failing at once on anything
// else. Logs each retry and the outcome.
absl::StatusOr<int> MigrateOnStart(const std::string& conninfo,
                                   const std::string& service);

// The migration directory of `service` under --sql_dir.
std::string MigrationDir(const std::string& service);

}  // namespace turnstile
