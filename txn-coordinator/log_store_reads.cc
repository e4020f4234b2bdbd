// The operators' reads of the log (GetTransaction, ListTransactions,
// GetSummary's finished counts): their statements and the LogStore methods
// that run them, each on its own pooled connection. The stuck filter uses
// the same definition as the gauge (cc_gauges in log_store.cc) and reaches
// the branches over the partial index branch_stuck (attempts above
// kStuckAttempts) and the transactions decided long ago over global_txn_due.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/pg_array.h"
#include "services/common/time_util.h"
#include "txn-coordinator/log_rows.h"
#include "txn-coordinator/log_store.h"

namespace turnstile::coordinator {

using log_rows::AttachBranches;
using log_rows::TxnFromRow;

void LogStore::PrepareOperatorReads(pqxx::connection& conn) {
  conn.prepare("cc_get", "SELECT " TXN_COLUMNS
                         " FROM global_txn g WHERE g.gid = $1::uuid");
  conn.prepare("cc_branches",
               "SELECT gid::text, branch_id, participant, state, attempts, "
               " COALESCE(last_error, ''), "
               " COALESCE(" TS_MICROS("next_attempt_at") ", 0) "
               "FROM branch WHERE gid = ANY($1::uuid[]) "
               "ORDER BY gid, branch_id");
  // Keyset paging on gid: UUIDv7 sorts by creation time. $6 = stuck only,
  // $7 = stuck_after in milliseconds. The stuck test's first arm matches
  // the predicate of the partial index branch_stuck word for word.
  conn.prepare(
      "cc_list",
      absl::StrCat(
          "SELECT " TXN_COLUMNS " FROM global_txn g "
          "WHERE ($1::text = '' OR g.state = $1::text) "
          " AND ($2::text = '' OR EXISTS (SELECT 1 FROM branch b "
          "      WHERE b.gid = g.gid AND b.participant = $2::text)) "
          " AND ($3::bigint = 0 OR "
          "      g.created_at <= now() - $3::bigint * interval '1 second') "
          " AND ($4::text = '' OR g.gid < NULLIF($4::text, '')::uuid) "
          " AND (NOT $6::bool OR (g.state IN ('CONFIRMING', 'CANCELLING') "
          "  AND g.gid IN ("
          "   SELECT s.gid FROM branch s WHERE s.state = 'REGISTERED' "
          "    AND s.attempts > ",
          kStuckAttempts,
          "   UNION ALL "
          "   SELECT s.gid FROM global_txn d JOIN branch s ON s.gid = d.gid "
          "    AND s.state = 'REGISTERED' AND s.attempts > 0 "
          "   WHERE d.state IN ('CONFIRMING', 'CANCELLING') "
          "    AND d.updated_at <= clock_timestamp() "
          "     - $7::bigint * interval '1 millisecond'))) "
          "ORDER BY g.gid DESC LIMIT $5"));
  conn.prepare("cc_count_finished",
               "SELECT count(*) FILTER (WHERE state = 'CONFIRMED'), "
               " count(*) FILTER (WHERE state = 'CANCELLED') "
               "FROM global_txn WHERE state IN ('CONFIRMED', 'CANCELLED') "
               " AND updated_at > now() - $1::bigint * interval '1 second'");
}

absl::StatusOr<std::optional<TxnRecord>> LogStore::Get(const std::string& gid) {
  return pool_->Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::optional<TxnRecord>> {
        auto r = tx.exec_prepared("cc_get", gid);
        if (r.empty()) return std::optional<TxnRecord>();
        std::vector<TxnRecord> txns = {TxnFromRow(r[0])};
        AttachBranches(tx.exec_prepared("cc_branches", TextArray({gid})), txns);
        return std::optional<TxnRecord>(std::move(txns[0]));
      });
}

absl::StatusOr<std::vector<TxnRecord>> LogStore::List(
    const ListFilter& filter) {
  return pool_->Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<TxnRecord>> {
        auto r = tx.exec_prepared(
            "cc_list", filter.state ? StateName(*filter.state) : "",
            filter.participant, static_cast<long long>(filter.min_age_seconds),
            filter.after_gid, filter.limit, filter.stuck_only,
            static_cast<long long>(filter.stuck_after.count()));
        std::vector<TxnRecord> txns;
        std::vector<std::string> gids;
        for (const auto& row : r) {
          txns.push_back(TxnFromRow(row));
          gids.push_back(txns.back().gid);
        }
        if (!gids.empty()) {
          AttachBranches(tx.exec_prepared("cc_branches", TextArray(gids)),
                         txns);
        }
        return txns;
      });
}

absl::StatusOr<FinishedCounts> LogStore::CountFinished(
    std::chrono::seconds window) {
  return pool_->Autocommit(
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<FinishedCounts> {
        const auto rows = tx.exec_prepared(
            "cc_count_finished", static_cast<long long>(window.count()));
        FinishedCounts out;
        out.confirmed = rows[0][0].as<int64_t>();
        out.cancelled = rows[0][1].as<int64_t>();
        return out;
      });
}

}  // namespace turnstile::coordinator
