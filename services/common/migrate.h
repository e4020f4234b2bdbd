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

// The migration directory of `service` under --sql_dir.
std::string MigrationDir(const std::string& service);

}  // namespace turnstile
