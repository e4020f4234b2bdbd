// The orphan sweep's read, shared by every participant's store: the branches
// still holding something past their transaction's deadline plus a margin
// (services/common/orphan_sweeper.h), listed by the store's own prepared
// statement. Each participant keeps its SQL (its tables differ); only the
// running of it and the reading of its (gid, branch_id) rows live here.
#pragma once

#include <chrono>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/orphan_decision.h"
#include "services/common/pg_pool.h"

namespace turnstile {

// Runs prepared statement `statement` with ($1 = margin in seconds,
// $2 = limit), whose rows are (gid, branch_id), in one autocommit read.
absl::StatusOr<std::vector<OverdueHold>> ListOverdueHolds(
    PgPool& pool, const char* statement, std::chrono::seconds margin,
    int limit);

}  // namespace turnstile
