// Internal to the log store (log_store.cc, log_store_reads.cc): the SQL
// fragments and row readers both files share. Not for other code.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "services/common/time_util.h"
#include "txn-coordinator/log_store.h"

// Timestamp arithmetic in SQL: clock_timestamp() rather than now(), because a
// group-commit batch is one transaction and now() would be its start time.
#define MS_FROM_NOW(param) \
  "clock_timestamp() + " param "::bigint * interval '1 millisecond'"

// The columns TxnFromRow reads, of global_txn aliased g.
#define TXN_COLUMNS \
  "g.gid::text, g.request_id, g.state, " TS_MICROS("g.deadline") ", " \
  TS_MICROS("g.created_at") ", " TS_MICROS("g.updated_at") ", "       \
  "COALESCE(" TS_MICROS("g.next_attempt_at") ", 0), "                 \
  "COALESCE(g.cancel_reason, 0), COALESCE(g.detail, ''), "             \
  "COALESCE(g.trace_id, '')"

namespace turnstile::coordinator::log_rows {

// A state column (the CHECK constraint allows nothing unknown).
TxnState StateOf(const pqxx::field& f);

// A row of TXN_COLUMNS.
TxnRecord TxnFromRow(const pqxx::row& r);

// Attaches branches (rows of the statement cc_branches: gid, branch
// columns...) to the matching transactions.
void AttachBranches(const pqxx::result& rows, std::vector<TxnRecord>& txns);

}  // namespace turnstile::coordinator::log_rows
