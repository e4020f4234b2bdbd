// The coordinator's write operations, each run as one op inside a
// group-commit batch: they combine the log's SQL (log_store.h) with the state
// machine (txn_state.h). Every state change is a compare-and-set whose
// expected and new states come from Next(); when the compare-and-set loses,
// the current state is read and Next() says whether the request is a
// harmless repeat or refused. Ops decide before they write, as group commit
// requires.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "txn-coordinator/log_store.h"

namespace turnstile::coordinator {

// turnstile.v1.CancelReason values stored in global_txn.cancel_reason.
inline constexpr int kReasonDeadline = 2;

struct BeginInput {
  std::string gid;  // fresh UUIDv7, used only if request_id is new
  std::string request_id;
  int64_t timeout_ms = 0;
  std::vector<BranchInput> branches;
  std::string trace_id;  // of the Begin call (trace.h), stored if new
};

// Begin: idempotent on request_id; fills `out` with the new or existing txn.
absl::Status BeginTxn(const LogStore& log, pqxx::work& tx, const BeginInput& in,
                      BeginRow* out);

// RegisterBranch: only while TRYING (and before the deadline); the global row
// is locked FOR SHARE so that a concurrent Commit/Abort waits for it. A repeat
// with the same participant is OK, another participant ALREADY_EXISTS.
absl::Status RegisterBranch(const LogStore& log, pqxx::work& tx,
                            const std::string& gid, const BranchInput& branch);

// Outcome of Commit/Abort.
struct Decision {
  TxnState state = TxnState::kTrying;  // state after the op
  bool decided = false;  // this op moved TRYING -> deciding: drive it now
  int cancel_reason = 0;
  absl::Status answer;  // what the caller is told (OK, ABORTED, ...)
};

// Commit: CAS TRYING -> CONFIRMING before the deadline; after the deadline
// CAS TRYING -> CANCELLING (DEADLINE) and answer ABORTED DEADLINE_PASSED.
// Returns NOT_FOUND for an unknown gid.
absl::Status Commit(const LogStore& log, pqxx::work& tx, const std::string& gid,
                    Decision* out);

// Abort: CAS TRYING -> CANCELLING with reason and detail.
absl::Status Abort(const LogStore& log, pqxx::work& tx, const std::string& gid,
                   int reason, const std::string& detail, Decision* out);

// The result of one Confirm/Cancel call to a branch.
struct Delivery {
  std::string branch_id;
  bool ok = false;
  std::string error;                         // when !ok
  std::chrono::milliseconds retry_after{0};  // when !ok
};

struct RoundResult {
  bool finished = false;  // the txn reached CONFIRMED/CANCELLED
  TxnState state = TxnState::kTrying;
  // branch_id -> attempts after this round, for failed deliveries.
  std::vector<std::pair<std::string, int>> failed_attempts;
};

// Records one delivery round of a CONFIRMING/CANCELLING transaction: marks
// delivered branches done, failed ones due again after their backoff, then
// finishes the transaction if no branch is left, else releases the lease so
// recovery picks it up when the earliest branch is due.
absl::Status RecordRound(const LogStore& log, pqxx::work& tx,
                         const std::string& gid, TxnState deciding,
                         const std::vector<Delivery>& deliveries,
                         RoundResult* out);

}  // namespace turnstile::coordinator
