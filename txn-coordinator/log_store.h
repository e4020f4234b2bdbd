// The coordinator's log in PostgreSQL (tables global_txn and branch of
// sql/coordinator/0001_init.sql). SQL only: plain structs in and out, no
// gRPC and no state-machine rules. Two kinds of method:
//  - statements that run inside a group-commit batch (they take the batch's
//    pqxx::work and are written never to raise SQL errors for expected
//    conflicts: ON CONFLICT DO NOTHING, conditional UPDATE ... RETURNING);
//  - reads and recovery/retention statements that run on their own pooled
//    connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/pg_pool.h"
#include "txn-coordinator/txn_state.h"

namespace turnstile::coordinator {

struct BranchInput {
  std::string branch_id;
  std::string participant;
};

struct BranchRecord {
  std::string branch_id;
  std::string participant;
  BranchState state = BranchState::kRegistered;
  int attempts = 0;
  std::string last_error;
  int64_t next_attempt_us = 0;  // 0 = unset
};

struct TxnRecord {
  std::string gid;
  std::string request_id;
  TxnState state = TxnState::kTrying;
  int64_t deadline_us = 0;
  int64_t created_us = 0;
  int64_t updated_us = 0;
  int64_t next_attempt_us = 0;  // 0 = unset
  int cancel_reason = 0;        // turnstile.v1.CancelReason
  std::string detail;
  std::vector<BranchRecord> branches;
  std::string trace_id;  // W3C trace id of its Begin; "" if none recorded
};

// The part of a transaction the write paths decide on.
struct TxnHead {
  TxnState state = TxnState::kTrying;
  bool expired = false;  // deadline <= now
  int cancel_reason = 0;
};

// Result of Begin's insert: the new or (on a repeated request_id) existing
// transaction.
struct BeginRow {
  std::string gid;
  int64_t deadline_us = 0;
  TxnState state = TxnState::kTrying;
  bool created = false;
};

// What the driver needs for one delivery round.
struct DriveSnapshot {
  bool found = false;
  TxnState state = TxnState::kTrying;
  int cancel_reason = 0;
  std::string trace_id;  // "" if none recorded
  struct Pending {
    std::string branch_id;
    std::string participant;
    int attempts = 0;
    bool due = false;  // next_attempt_at unset or <= now
  };
  std::vector<Pending> pending;  // branches still REGISTERED
};

// A branch whose delivery attempts exceed this is "stuck" (metric, log,
// operator attention). Matches the partial index branch_stuck.
inline constexpr int kStuckAttempts = 10;

// What the coordinator's gauges show, read in one statement
// (LogStore::ReadGauges). The counts are of the whole log, so every replica
// reports the same values.
struct LogGauges {
  // Open transactions by state.
  int64_t trying = 0;
  int64_t confirming = 0;
  int64_t cancelling = 0;
  // Not final although deadline + overdue_horizon has passed.
  int64_t overdue = 0;
  // Undelivered branches of a CONFIRMING/CANCELLING transaction that failed
  // more than kStuckAttempts times, or failed at least once and whose
  // transaction was decided more than stuck_after ago.
  int64_t stuck_branches = 0;
  // Seconds since the decision of the oldest CONFIRMING/CANCELLING
  // transaction (whose branches are not all delivered); 0 if none.
  double oldest_undelivered_age_s = 0;
};

// Extra condition of a compare-and-set on the deadline.
enum class DeadlineGuard { kAny, kBeforeDeadline, kAfterDeadline };

struct ListFilter {
  std::optional<TxnState> state;
  std::string participant;  // "" = any
  int64_t min_age_seconds = 0;
  std::string after_gid;  // keyset: only gids older (smaller) than this
  int limit = 100;
  // Only transactions with a stuck branch (LogGauges::stuck_branches'
  // definition, with this stuck_after).
  bool stuck_only = false;
  std::chrono::milliseconds stuck_after{300000};
};

// Transactions finished within a recent window (GetSummary).
struct FinishedCounts {
  int64_t confirmed = 0;
  int64_t cancelled = 0;
};

class LogStore {
 public:
  // `owner` names this process in lease_owner; `lease` is how long a claim
  // or a fresh decision keeps other drivers away.
  LogStore(PgPool* pool, std::string owner, std::chrono::milliseconds lease);

  // Prepares every statement on a new connection (pool callback).
  static void Prepare(pqxx::connection& conn);
  // The operator reads' statements (log_store_reads.cc); part of Prepare.
  static void PrepareOperatorReads(pqxx::connection& conn);

  const std::string& owner() const { return owner_; }

  // ---- inside a group-commit batch ----------------------------------------

  // Inserts a TRYING transaction with its branches unless request_id is
  // taken; then returns the existing one (created = false). `trace_id`
  // (valid W3C trace id or "") is stored with a new one.
  BeginRow InsertTxn(pqxx::work& tx, const std::string& gid,
                     const std::string& request_id, int64_t timeout_ms,
                     const std::vector<BranchInput>& branches,
                     const std::string& trace_id = "") const;
  // Reads the head; `lock_shared` takes FOR SHARE so that a concurrent
  // compare-and-set waits for this transaction.
  std::optional<TxnHead> ReadHead(pqxx::work& tx, const std::string& gid,
                                  bool lock_shared) const;
  // Adds a branch; false if the branch id already exists.
  bool InsertBranch(pqxx::work& tx, const std::string& gid,
                    const BranchInput& branch) const;
  std::optional<std::string> BranchParticipant(
      pqxx::work& tx, const std::string& gid,
      const std::string& branch_id) const;
  int CountBranches(pqxx::work& tx, const std::string& gid) const;
  // UPDATE ... SET state = to WHERE state = from [AND deadline guard];
  // a move to a deciding state takes the lease (next_attempt_at = now +
  // lease) so that recovery leaves it to this process. cancel_reason < 0
  // keeps the stored one. True if this call changed the row.
  bool CompareAndSet(pqxx::work& tx, const std::string& gid, TxnState from,
                     TxnState to, DeadlineGuard guard, int cancel_reason,
                     const std::string& detail) const;
  // Records delivered branches (one statement for all of them); returns
  // how many were still REGISTERED.
  int MarkBranchesDone(pqxx::work& tx, const std::string& gid,
                       const std::vector<std::string>& branch_ids,
                       BranchState done) const;
  // Records a failed delivery, due again after `delay`; returns attempts.
  std::optional<int> MarkBranchFailed(pqxx::work& tx, const std::string& gid,
                                      const std::string& branch_id,
                                      const std::string& error,
                                      std::chrono::milliseconds delay) const;
  // from -> to if no branch is still REGISTERED; true if it moved.
  bool FinishTxn(pqxx::work& tx, const std::string& gid, TxnState from,
                 TxnState to) const;
  // Releases the lease: due again when its earliest branch is.
  void Reschedule(pqxx::work& tx, const std::string& gid,
                  TxnState deciding) const;

  // ---- own connection ------------------------------------------------------

  absl::StatusOr<std::optional<TxnRecord>> Get(const std::string& gid);
  // ListTransactions' page (log_store_reads.cc).
  absl::StatusOr<std::vector<TxnRecord>> List(const ListFilter& filter);
  // Transactions that became CONFIRMED/CANCELLED within `window` (a range
  // scan of the partial index global_txn_finished; log_store_reads.cc).
  absl::StatusOr<FinishedCounts> CountFinished(std::chrono::seconds window);
  absl::StatusOr<DriveSnapshot> LoadForDrive(const std::string& gid);
  // States of the given transactions (missing ones are left out).
  absl::StatusOr<std::map<std::string, TxnState>> States(
      const std::vector<std::string>& gids);
  // TRYING past deadline -> CANCELLING (reason DEADLINE), leased to this
  // process; returns the gids moved (and, if `trace_ids` is given, their
  // trace ids in the same order, "" where none was recorded).
  absl::StatusOr<std::vector<std::string>> CancelExpired(
      int limit, std::vector<std::string>* trace_ids = nullptr);
  // Claims due CONFIRMING/CANCELLING transactions (SKIP LOCKED + lease);
  // `trace_ids` as for CancelExpired.
  absl::StatusOr<std::vector<std::string>> ClaimDue(
      int limit, std::vector<std::string>* trace_ids = nullptr);
  // Makes a CONFIRMING/CANCELLING transaction and its undelivered branches
  // due now. Returns the state, nullopt if the gid is unknown; `reset` tells
  // whether it was in a deciding state.
  struct RetryResult {
    std::optional<TxnState> state;
    bool reset = false;
  };
  absl::StatusOr<RetryResult> MakeDue(const std::string& gid);
  // Deletes up to `batch` finished transactions older than `age`.
  absl::StatusOr<int64_t> DeleteFinished(std::chrono::hours age, int batch);
  // The gauges above. Cheap while the log is healthy: it walks only the
  // CONFIRMING/CANCELLING transactions (partial index global_txn_due) and
  // their branches (primary key), and counts TRYING ones on the partial
  // index global_txn_trying_deadline.
  absl::StatusOr<LogGauges> ReadGauges(
      std::chrono::milliseconds stuck_after,
      std::chrono::milliseconds overdue_horizon);

 private:
  PgPool* pool_;
  std::string owner_;
  int64_t lease_ms_;
};

}  // namespace turnstile::coordinator
