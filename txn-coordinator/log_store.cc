#include "txn-coordinator/log_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/pg_array.h"
#include "services/common/status.h"
#include "services/common/time_util.h"
#include "txn-coordinator/log_rows.h"

namespace turnstile::coordinator {
namespace {

using log_rows::StateOf;

int GuardCode(DeadlineGuard guard) {
  switch (guard) {
    case DeadlineGuard::kAny:
      return 0;
    case DeadlineGuard::kBeforeDeadline:
      return 1;
    case DeadlineGuard::kAfterDeadline:
      return 2;
  }
  return 0;
}

}  // namespace

LogStore::LogStore(PgPool* pool, std::string owner,
                   std::chrono::milliseconds lease)
    : pool_(pool), owner_(std::move(owner)), lease_ms_(lease.count()) {}

void LogStore::Prepare(pqxx::connection& conn) {
  // ---- group-commit statements
  conn.prepare("cc_insert_txn",
               "INSERT INTO global_txn (gid, request_id, state, deadline, "
               " trace_id) "
               "VALUES ($1::uuid, $2, 'TRYING', " MS_FROM_NOW("$3") ", "
               " NULLIF($4::text, '')) "
               "ON CONFLICT DO NOTHING "
               "RETURNING gid::text, " TS_MICROS("deadline") ", state");
  conn.prepare("cc_insert_branches",
               "INSERT INTO branch (gid, branch_id, participant) "
               "SELECT $1::uuid, t.b, t.p "
               "FROM unnest($2::text[], $3::text[]) AS t(b, p) "
               "ON CONFLICT DO NOTHING");
  conn.prepare("cc_find_request",
               "SELECT gid::text, " TS_MICROS("deadline") ", state "
               "FROM global_txn WHERE request_id = $1");
  conn.prepare("cc_head",
               "SELECT state, deadline <= clock_timestamp(), "
               "COALESCE(cancel_reason, 0) FROM global_txn "
               "WHERE gid = $1::uuid");
  conn.prepare("cc_head_share",
               "SELECT state, deadline <= clock_timestamp(), "
               "COALESCE(cancel_reason, 0) FROM global_txn "
               "WHERE gid = $1::uuid FOR SHARE");
  conn.prepare("cc_insert_branch",
               "INSERT INTO branch (gid, branch_id, participant) "
               "VALUES ($1::uuid, $2, $3) ON CONFLICT DO NOTHING");
  conn.prepare("cc_branch_participant",
               "SELECT participant FROM branch "
               "WHERE gid = $1::uuid AND branch_id = $2");
  conn.prepare("cc_count_branches",
               "SELECT count(*) FROM branch WHERE gid = $1::uuid");
  // A move into a deciding state (CONFIRMING/CANCELLING) takes the lease.
  conn.prepare(
      "cc_cas",
      "UPDATE global_txn SET state = $3::text, updated_at = now(), "
      " cancel_reason = CASE WHEN $4::int >= 0 THEN $4::int "
      "                 ELSE cancel_reason END, "
      " detail = COALESCE(NULLIF($5::text, ''), detail), "
      " next_attempt_at = CASE WHEN $3::text IN ('CONFIRMING', 'CANCELLING') "
      "   THEN " MS_FROM_NOW("$6") " ELSE next_attempt_at END, "
      " lease_owner = CASE WHEN $3::text IN ('CONFIRMING', 'CANCELLING') "
      "   THEN $7::text ELSE lease_owner END, "
      " lease_until = CASE WHEN $3::text IN ('CONFIRMING', 'CANCELLING') "
      "   THEN " MS_FROM_NOW("$6") " ELSE lease_until END "
      "WHERE gid = $1::uuid AND state = $2::text AND CASE $8::int "
      " WHEN 1 THEN deadline > clock_timestamp() "
      " WHEN 2 THEN deadline <= clock_timestamp() ELSE true END");
  conn.prepare("cc_mark_done",
               "UPDATE branch SET state = $3, attempts = attempts + 1, "
               " next_attempt_at = NULL, updated_at = now() "
               "WHERE gid = $1::uuid AND branch_id = ANY($2::text[]) "
               " AND state = 'REGISTERED'");
  conn.prepare("cc_mark_failed",
               "UPDATE branch SET attempts = attempts + 1, "
               " last_error = left($3, 1000), "
               " next_attempt_at = " MS_FROM_NOW("$4") ", updated_at = now() "
               "WHERE gid = $1::uuid AND branch_id = $2 "
               " AND state = 'REGISTERED' RETURNING attempts");
  conn.prepare("cc_finish",
               "UPDATE global_txn SET state = $3, updated_at = now(), "
               " next_attempt_at = NULL, lease_owner = NULL, "
               " lease_until = NULL "
               "WHERE gid = $1::uuid AND state = $2 AND NOT EXISTS ("
               " SELECT 1 FROM branch b WHERE b.gid = $1::uuid "
               " AND b.state = 'REGISTERED')");
  conn.prepare("cc_reschedule",
               "UPDATE global_txn SET next_attempt_at = COALESCE("
               " (SELECT min(COALESCE(b.next_attempt_at, clock_timestamp())) "
               "  FROM branch b WHERE b.gid = $1::uuid "
               "  AND b.state = 'REGISTERED'), clock_timestamp()), "
               " lease_owner = NULL, lease_until = NULL "
               "WHERE gid = $1::uuid AND state = $2");

  // ---- reads (the operators' are in log_store_reads.cc)
  PrepareOperatorReads(conn);
  conn.prepare("cc_drive",
               "SELECT g.state, COALESCE(g.cancel_reason, 0), b.branch_id, "
               " b.participant, b.attempts, "
               " (b.next_attempt_at IS NULL "
               "  OR b.next_attempt_at <= clock_timestamp()), "
               " COALESCE(g.trace_id, '') "
               "FROM global_txn g LEFT JOIN branch b "
               " ON b.gid = g.gid AND b.state = 'REGISTERED' "
               "WHERE g.gid = $1::uuid ORDER BY b.branch_id");
  conn.prepare("cc_states",
               "SELECT gid::text, state FROM global_txn "
               "WHERE gid = ANY($1::uuid[])");

  // ---- recovery and retention: never wait on a row someone else holds.
  conn.prepare(
      "cc_cancel_expired",
      "WITH due AS (SELECT gid FROM global_txn "
      " WHERE state = 'TRYING' AND deadline <= clock_timestamp() "
      " ORDER BY deadline LIMIT $1 FOR UPDATE SKIP LOCKED) "
      "UPDATE global_txn g SET state = $5::text, cancel_reason = $6::int, "
      " detail = 'deadline passed before commit', updated_at = now(), "
      " next_attempt_at = " MS_FROM_NOW("$2") ", lease_owner = $3, "
      " lease_until = " MS_FROM_NOW("$2") " "
      "FROM due WHERE g.gid = due.gid AND g.state = $4::text "
      "RETURNING g.gid::text, COALESCE(g.trace_id, '')");
  conn.prepare(
      "cc_claim",
      "WITH due AS (SELECT gid FROM global_txn "
      " WHERE state IN ('CONFIRMING', 'CANCELLING') "
      " AND next_attempt_at <= clock_timestamp() "
      " ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) "
      "UPDATE global_txn g SET lease_owner = $3, "
      " lease_until = " MS_FROM_NOW("$2") ", "
      " next_attempt_at = " MS_FROM_NOW("$2") " "
      "FROM due WHERE g.gid = due.gid "
      "RETURNING g.gid::text, COALESCE(g.trace_id, '')");
  conn.prepare("cc_retry_txn",
               "UPDATE global_txn SET next_attempt_at = clock_timestamp(), "
               " lease_owner = NULL, lease_until = NULL "
               "WHERE gid = $1::uuid "
               " AND state IN ('CONFIRMING', 'CANCELLING') RETURNING state");
  conn.prepare("cc_retry_branches",
               "UPDATE branch SET next_attempt_at = clock_timestamp() "
               "WHERE gid = $1::uuid AND state = 'REGISTERED'");
  conn.prepare("cc_delete_finished",
               "WITH old AS (SELECT gid FROM global_txn "
               " WHERE state IN ('CONFIRMED', 'CANCELLED') "
               " AND updated_at < now() - $1::bigint * interval '1 hour' "
               " ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED) "
               "DELETE FROM global_txn g USING old WHERE g.gid = old.gid");
  // The gauges (ReadGauges). In a CONFIRMING/CANCELLING transaction
  // updated_at is the time of the decision: only the move into that state
  // and the final one set it. A REGISTERED branch's attempts are all failed
  // deliveries.
  conn.prepare(
      "cc_gauges",
      absl::StrCat(
          "WITH t AS (SELECT count(*) AS n, count(*) FILTER (WHERE deadline < "
          "   clock_timestamp() - $2::bigint * interval '1 millisecond') "
          "   AS overdue FROM global_txn WHERE state = 'TRYING'), "
          "d AS (SELECT count(*) FILTER (WHERE state = 'CONFIRMING') AS c, "
          "   count(*) FILTER (WHERE state = 'CANCELLING') AS x, "
          "   count(*) FILTER (WHERE deadline < "
          "   clock_timestamp() - $2::bigint * interval '1 millisecond') "
          "   AS overdue, min(updated_at) AS oldest FROM global_txn "
          "   WHERE state IN ('CONFIRMING', 'CANCELLING')), "
          "s AS (SELECT count(*) AS n FROM global_txn g "
          "   JOIN branch b ON b.gid = g.gid AND b.state = 'REGISTERED' "
          "   WHERE g.state IN ('CONFIRMING', 'CANCELLING') "
          "   AND b.attempts > 0 AND (b.attempts > ",
          kStuckAttempts,
          " OR g.updated_at <= "
          "   clock_timestamp() - $1::bigint * interval '1 millisecond')) "
          "SELECT t.n, d.c, d.x, t.overdue + d.overdue, s.n, "
          " COALESCE(extract(epoch FROM clock_timestamp() - d.oldest), 0)"
          "::float8 FROM t, d, s"));
}

// ---- inside a group-commit batch --------------------------------------------

BeginRow LogStore::InsertTxn(pqxx::work& tx, const std::string& gid,
                             const std::string& request_id, int64_t timeout_ms,
                             const std::vector<BranchInput>& branches,
                             const std::string& trace_id) const {
  BeginRow out;
  auto inserted =
      tx.exec_prepared("cc_insert_txn", gid, request_id,
                       static_cast<long long>(timeout_ms), trace_id);
  if (!inserted.empty()) {
    out.gid = inserted[0][0].c_str();
    out.deadline_us = inserted[0][1].as<int64_t>();
    out.state = StateOf(inserted[0][2]);
    out.created = true;
    if (!branches.empty()) {
      std::vector<std::string> ids, parts;
      for (const auto& b : branches) {
        ids.push_back(b.branch_id);
        parts.push_back(b.participant);
      }
      tx.exec_prepared("cc_insert_branches", gid, TextArray(ids),
                       TextArray(parts));
    }
    return out;
  }
  auto existing = tx.exec_prepared("cc_find_request", request_id);
  if (!existing.empty()) {
    out.gid = existing[0][0].c_str();
    out.deadline_us = existing[0][1].as<int64_t>();
    out.state = StateOf(existing[0][2]);
  }
  return out;  // empty gid: the conflict was on gid itself (practically never)
}

std::optional<TxnHead> LogStore::ReadHead(pqxx::work& tx,
                                          const std::string& gid,
                                          bool lock_shared) const {
  auto r = tx.exec_prepared(lock_shared ? "cc_head_share" : "cc_head", gid);
  if (r.empty()) return std::nullopt;
  TxnHead head;
  head.state = StateOf(r[0][0]);
  head.expired = r[0][1].as<bool>();
  head.cancel_reason = r[0][2].as<int>();
  return head;
}

bool LogStore::InsertBranch(pqxx::work& tx, const std::string& gid,
                            const BranchInput& branch) const {
  return tx.exec_prepared("cc_insert_branch", gid, branch.branch_id,
                          branch.participant)
             .affected_rows() == 1;
}

std::optional<std::string> LogStore::BranchParticipant(
    pqxx::work& tx, const std::string& gid,
    const std::string& branch_id) const {
  auto r = tx.exec_prepared("cc_branch_participant", gid, branch_id);
  if (r.empty()) return std::nullopt;
  return std::string(r[0][0].c_str());
}

int LogStore::CountBranches(pqxx::work& tx, const std::string& gid) const {
  return tx.exec_prepared("cc_count_branches", gid)[0][0].as<int>();
}

bool LogStore::CompareAndSet(pqxx::work& tx, const std::string& gid,
                             TxnState from, TxnState to, DeadlineGuard guard,
                             int cancel_reason,
                             const std::string& detail) const {
  return tx.exec_prepared("cc_cas", gid, StateName(from), StateName(to),
                          cancel_reason, detail,
                          static_cast<long long>(lease_ms_), owner_,
                          GuardCode(guard))
             .affected_rows() == 1;
}

int LogStore::MarkBranchesDone(pqxx::work& tx, const std::string& gid,
                               const std::vector<std::string>& branch_ids,
                               BranchState done) const {
  if (branch_ids.empty()) return 0;
  return tx
      .exec_prepared("cc_mark_done", gid, TextArray(branch_ids),
                     BranchStateName(done))
      .affected_rows();
}

std::optional<int> LogStore::MarkBranchFailed(
    pqxx::work& tx, const std::string& gid, const std::string& branch_id,
    const std::string& error, std::chrono::milliseconds delay) const {
  auto r = tx.exec_prepared("cc_mark_failed", gid, branch_id, error,
                            static_cast<long long>(delay.count()));
  if (r.empty()) return std::nullopt;
  return r[0][0].as<int>();
}

bool LogStore::FinishTxn(pqxx::work& tx, const std::string& gid, TxnState from,
                         TxnState to) const {
  return tx.exec_prepared("cc_finish", gid, StateName(from), StateName(to))
             .affected_rows() == 1;
}

void LogStore::Reschedule(pqxx::work& tx, const std::string& gid,
                          TxnState deciding) const {
  tx.exec_prepared("cc_reschedule", gid, StateName(deciding));
}

// ---- own connection
// ----------------------------------------------------------

absl::StatusOr<DriveSnapshot> LogStore::LoadForDrive(const std::string& gid) {
  return pool_->Autocommit(
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<DriveSnapshot> {
        DriveSnapshot snap;
        for (const auto& row : tx.exec_prepared("cc_drive", gid)) {
          snap.found = true;
          snap.state = StateOf(row[0]);
          snap.cancel_reason = row[1].as<int>();
          snap.trace_id = row[6].c_str();
          if (row[2].is_null()) continue;  // no undelivered branch
          DriveSnapshot::Pending p;
          p.branch_id = row[2].c_str();
          p.participant = row[3].c_str();
          p.attempts = row[4].as<int>();
          p.due = row[5].as<bool>();
          snap.pending.push_back(std::move(p));
        }
        return snap;
      });
}

absl::StatusOr<std::map<std::string, TxnState>> LogStore::States(
    const std::vector<std::string>& gids) {
  return pool_->Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::map<std::string, TxnState>> {
        std::map<std::string, TxnState> out;
        for (const auto& row : tx.exec_prepared("cc_states", TextArray(gids))) {
          out[row[0].c_str()] = StateOf(row[1]);
        }
        return out;
      });
}

absl::StatusOr<std::vector<std::string>> LogStore::CancelExpired(
    int limit, std::vector<std::string>* trace_ids) {
  const Transition t = Next(TxnState::kTrying, TxnEvent::kDeadlinePassed);
  return pool_->Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> gids;
        for (const auto& row : tx.exec_prepared(
                 "cc_cancel_expired", limit, static_cast<long long>(lease_ms_),
                 owner_, StateName(TxnState::kTrying), StateName(t.to),
                 2 /* turnstile.v1.CANCEL_REASON_DEADLINE */)) {
          gids.emplace_back(row[0].c_str());
          if (trace_ids != nullptr) trace_ids->emplace_back(row[1].c_str());
        }
        return gids;
      });
}

absl::StatusOr<std::vector<std::string>> LogStore::ClaimDue(
    int limit, std::vector<std::string>* trace_ids) {
  return pool_->Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> gids;
        for (const auto& row :
             tx.exec_prepared("cc_claim", limit,
                              static_cast<long long>(lease_ms_), owner_)) {
          gids.emplace_back(row[0].c_str());
          if (trace_ids != nullptr) trace_ids->emplace_back(row[1].c_str());
        }
        return gids;
      });
}

absl::StatusOr<LogStore::RetryResult> LogStore::MakeDue(
    const std::string& gid) {
  return pool_->Transact([&](pqxx::work& tx) -> absl::StatusOr<RetryResult> {
    RetryResult out;
    auto r = tx.exec_prepared("cc_retry_txn", gid);
    if (!r.empty()) {
      tx.exec_prepared("cc_retry_branches", gid);
      out.state = StateOf(r[0][0]);
      out.reset = true;
      return out;
    }
    auto head = tx.exec_prepared("cc_head", gid);
    if (!head.empty()) out.state = StateOf(head[0][0]);
    return out;
  });
}

absl::StatusOr<int64_t> LogStore::DeleteFinished(std::chrono::hours age,
                                                 int batch) {
  return pool_->Transact([&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    return static_cast<int64_t>(
        tx.exec_prepared("cc_delete_finished",
                         static_cast<long long>(age.count()), batch)
            .affected_rows());
  });
}

absl::StatusOr<LogGauges> LogStore::ReadGauges(
    std::chrono::milliseconds stuck_after,
    std::chrono::milliseconds overdue_horizon) {
  return pool_->Autocommit(
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<LogGauges> {
        const auto rows = tx.exec_prepared(
            "cc_gauges", static_cast<long long>(stuck_after.count()),
            static_cast<long long>(overdue_horizon.count()));
        const pqxx::row r = rows[0];
        LogGauges g;
        g.trying = r[0].as<int64_t>();
        g.confirming = r[1].as<int64_t>();
        g.cancelling = r[2].as<int64_t>();
        g.overdue = r[3].as<int64_t>();
        g.stuck_branches = r[4].as<int64_t>();
        g.oldest_undelivered_age_s = std::max(0.0, r[5].as<double>());
        return g;
      });
}

}  // namespace turnstile::coordinator
