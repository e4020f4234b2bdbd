#include "txn-coordinator/txn_ops.h"

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "txn-coordinator/validation.h"

namespace turnstile::coordinator {
namespace {

// A compare-and-set can lose to a concurrent replica between its UPDATE and
// the re-read; a few rounds settle it.
constexpr int kCasRounds = 3;

absl::Status UnknownGid(const std::string& gid) {
  return NotFound(absl::StrCat("transaction ", gid, " not found"));
}

absl::Status Contended(const std::string& gid) {
  return Error(absl::StatusCode::kUnavailable, "CONTENDED",
               absl::StrCat("transaction ", gid, " changed concurrently"));
}

// The answer for a refused event; a deadline cancel says so.
absl::Status Refusal(const Transition& t, const TxnHead& head, TxnEvent event) {
  const char* reason = t.reason;
  if (t.code == absl::StatusCode::kAborted &&
      head.cancel_reason == kReasonDeadline) {
    reason = "DEADLINE_PASSED";
  }
  return Error(t.code, reason,
               absl::StrCat(EventName(event), " refused: transaction is ",
                            StateName(head.state)));
}

}  // namespace

absl::Status BeginTxn(const LogStore& log, pqxx::work& tx, const BeginInput& in,
                      BeginRow* out) {
  *out = log.InsertTxn(tx, in.gid, in.request_id, in.timeout_ms, in.branches,
                       in.trace_id);
  if (out->gid.empty()) return Contended(in.gid);  // gid collision: retry
  return absl::OkStatus();
}

absl::Status RegisterBranch(const LogStore& log, pqxx::work& tx,
                            const std::string& gid, const BranchInput& branch) {
  const auto head = log.ReadHead(tx, gid, /*lock_shared=*/true);
  if (!head) return UnknownGid(gid);
  const Transition t = Next(head->state, TxnEvent::kRegisterBranch);
  if (t.refused()) return Refusal(t, *head, TxnEvent::kRegisterBranch);
  if (head->expired) {
    // Still TRYING but doomed: the loop cancels it at the next tick, so a
    // new branch's Try would only be undone.
    return Error(absl::StatusCode::kAborted, "DEADLINE_PASSED",
                 "the transaction's deadline passed");
  }
  if (auto existing = log.BranchParticipant(tx, gid, branch.branch_id)) {
    if (*existing == branch.participant) return absl::OkStatus();  // repeat
    return Error(absl::StatusCode::kAlreadyExists, "BRANCH_EXISTS",
                 absl::StrCat("branch ", branch.branch_id,
                              " is registered for participant ", *existing));
  }
  if (log.CountBranches(tx, gid) >= kMaxBranches) {
    return Refused(
        "TOO_MANY_BRANCHES",
        absl::StrCat("a transaction has at most ", kMaxBranches, " branches"));
  }
  if (!log.InsertBranch(tx, gid, branch)) return Contended(gid);
  return absl::OkStatus();
}

absl::Status Commit(const LogStore& log, pqxx::work& tx, const std::string& gid,
                    Decision* out) {
  const Transition commit = Next(TxnState::kTrying, TxnEvent::kCommit);
  const Transition expire = Next(TxnState::kTrying, TxnEvent::kDeadlinePassed);
  for (int round = 0; round < kCasRounds; ++round) {
    if (log.CompareAndSet(tx, gid, TxnState::kTrying, commit.to,
                          DeadlineGuard::kBeforeDeadline, -1, "")) {
      *out = Decision{commit.to, true, 0, absl::OkStatus()};
      return absl::OkStatus();
    }
    const auto head = log.ReadHead(tx, gid, /*lock_shared=*/false);
    if (!head) return UnknownGid(gid);
    if (head->state == TxnState::kTrying) {
      if (!head->expired) continue;  // raced; try again
      // The Commit lost to the deadline: make that the decision.
      if (log.CompareAndSet(tx, gid, TxnState::kTrying, expire.to,
                            DeadlineGuard::kAfterDeadline, kReasonDeadline,
                            "deadline passed before commit")) {
        *out = Decision{expire.to, true, kReasonDeadline,
                        Error(absl::StatusCode::kAborted, "DEADLINE_PASSED",
                              "the transaction's deadline passed before "
                              "Commit; it is being cancelled")};
        return absl::OkStatus();
      }
      continue;
    }
    const Transition t = Next(head->state, TxnEvent::kCommit);
    *out = Decision{head->state, false, head->cancel_reason, absl::OkStatus()};
    if (t.refused()) out->answer = Refusal(t, *head, TxnEvent::kCommit);
    return absl::OkStatus();
  }
  return Contended(gid);
}

absl::Status Abort(const LogStore& log, pqxx::work& tx, const std::string& gid,
                   int reason, const std::string& detail, Decision* out) {
  const Transition abort = Next(TxnState::kTrying, TxnEvent::kAbort);
  for (int round = 0; round < kCasRounds; ++round) {
    if (log.CompareAndSet(tx, gid, TxnState::kTrying, abort.to,
                          DeadlineGuard::kAny, reason, detail)) {
      *out = Decision{abort.to, true, reason, absl::OkStatus()};
      return absl::OkStatus();
    }
    const auto head = log.ReadHead(tx, gid, /*lock_shared=*/false);
    if (!head) return UnknownGid(gid);
    if (head->state == TxnState::kTrying) continue;  // raced; try again
    const Transition t = Next(head->state, TxnEvent::kAbort);
    *out = Decision{head->state, false, head->cancel_reason, absl::OkStatus()};
    if (t.refused()) out->answer = Refusal(t, *head, TxnEvent::kAbort);
    return absl::OkStatus();
  }
  return Contended(gid);
}

absl::Status RecordRound(const LogStore& log, pqxx::work& tx,
                         const std::string& gid, TxnState deciding,
                         const std::vector<Delivery>& deliveries,
                         RoundResult* out) {
  const BranchState done = IsConfirmSide(deciding) ? BranchState::kConfirmed
                                                   : BranchState::kCancelled;
  *out = RoundResult{false, deciding, {}};
  std::vector<std::string> delivered;
  for (const auto& d : deliveries) {
    if (d.ok) {
      delivered.push_back(d.branch_id);
    } else if (auto attempts = log.MarkBranchFailed(tx, gid, d.branch_id,
                                                    d.error, d.retry_after)) {
      out->failed_attempts.emplace_back(d.branch_id, *attempts);
    }
  }
  log.MarkBranchesDone(tx, gid, delivered, done);
  const Transition finish = Next(deciding, TxnEvent::kAllBranchesDone);
  if (finish.moves() && log.FinishTxn(tx, gid, deciding, finish.to)) {
    out->finished = true;
    out->state = finish.to;
  } else {
    log.Reschedule(tx, gid, deciding);
  }
  return absl::OkStatus();
}

}  // namespace turnstile::coordinator
