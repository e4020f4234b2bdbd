#include "services/common/barrier.h"

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile {
namespace {

// Runs `change` if the barrier's answer `word` is a first arrival.
absl::StatusOr<BarrierOutcome> RunOnGo(pqxx::work& tx, absl::string_view word,
                                       const BusinessChange& change) {
  auto outcome = BarrierOutcomeFromWord(word);
  if (!outcome.ok() || *outcome != BarrierOutcome::kExecuted) return outcome;
  if (absl::Status status = change(tx); !status.ok()) return status;
  return BarrierOutcome::kExecuted;
}

// Records `phase` through the SQL barrier (tcc_barrier_enter) and runs
// `change` on first arrival.
absl::StatusOr<BarrierOutcome> Guarded(pqxx::work& tx, const std::string& gid,
                                       const std::string& branch_id,
                                       const char* phase,
                                       const BusinessChange& change) {
  return RunOnGo(
      tx, tx.exec_prepared1("barrier_enter", gid, branch_id, phase)[0].c_str(),
      change);
}

}  // namespace

void PrepareBarrier(pqxx::connection& conn) {
  conn.prepare("barrier_enter", "SELECT tcc_barrier_enter($1::uuid, $2, $3)");
  conn.prepare("barrier_try", "SELECT tcc_barrier_try($1::uuid, $2, $3)");
}

absl::StatusOr<BarrierOutcome> BarrierOutcomeFromWord(absl::string_view word) {
  if (word == "go") return BarrierOutcome::kExecuted;
  if (word == "duplicate") return BarrierOutcome::kDuplicate;
  if (word == "empty_rollback") return BarrierOutcome::kEmptyRollback;
  if (word == "cancelled") {
    return Error(absl::StatusCode::kAborted, "BRANCH_CANCELLED",
                 "the transaction was already cancelled");
  }
  return Error(absl::StatusCode::kInternal, "BAD_BARRIER_WORD",
               absl::StrCat("tcc_barrier_enter answered '", word, "'"));
}

absl::StatusOr<PhaseAnswer> ReadPhaseAnswer(absl::string_view outcome,
                                            absl::string_view note) {
  if (outcome == "applied") return PhaseAnswer{true, ""};
  if (outcome == "noop") return PhaseAnswer{false, std::string(note)};
  auto barrier = BarrierOutcomeFromWord(outcome);
  if (!barrier.ok()) return barrier.status();
  return PhaseAnswer{false, *barrier == BarrierOutcome::kEmptyRollback
                                ? "empty rollback"
                                : "repeat"};
}

absl::StatusOr<BarrierOutcome> BarrierTry(pqxx::work& tx,
                                          const std::string& gid,
                                          const std::string& branch_id,
                                          const std::string& content,
                                          const BusinessChange& change) {
  return RunOnGo(
      tx, tx.exec_prepared1("barrier_try", gid, branch_id, content)[0].c_str(),
      change);
}

absl::StatusOr<BarrierOutcome> BarrierConfirm(pqxx::work& tx,
                                              const std::string& gid,
                                              const std::string& branch_id,
                                              const BusinessChange& change) {
  return Guarded(tx, gid, branch_id, "confirm", change);
}

absl::StatusOr<BarrierOutcome> BarrierCancel(pqxx::work& tx,
                                             const std::string& gid,
                                             const std::string& branch_id,
                                             const BusinessChange& change) {
  return Guarded(tx, gid, branch_id, "cancel", change);
}

}  // namespace turnstile
