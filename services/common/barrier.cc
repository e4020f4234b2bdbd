#include "services/common/barrier.h"

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile {

void PrepareBarrier(pqxx::connection& conn) {
  conn.prepare("barrier_insert",
               "INSERT INTO tcc_barrier (gid, branch_id, phase) "
               "VALUES ($1::uuid, $2, $3) ON CONFLICT DO NOTHING");
  conn.prepare("barrier_cancelled",
               "SELECT 1 FROM tcc_barrier WHERE gid = $1::uuid AND "
               "branch_id = $2 AND phase = 'cancel'");
  conn.prepare("barrier_cancel",
               "INSERT INTO tcc_barrier (gid, branch_id, phase) "
               "VALUES ($1::uuid, $2, 'try'), ($1::uuid, $2, 'cancel') "
               "ON CONFLICT DO NOTHING RETURNING phase");
}

namespace {
bool Insert(pqxx::work& tx, const std::string& gid,
            const std::string& branch_id, const char* phase) {
  return tx.exec_prepared("barrier_insert", gid, branch_id, phase)
             .affected_rows() == 1;
}

absl::StatusOr<BarrierOutcome> Run(pqxx::work& tx,
                                   const BusinessChange& change) {
  absl::Status status = change(tx);
  if (!status.ok()) return status;
  return BarrierOutcome::kExecuted;
}
}  // namespace

namespace {
absl::Status TryAfterCancel() {
  return Error(absl::StatusCode::kAborted, "BRANCH_CANCELLED",
               "the transaction was already cancelled");
}
}  // namespace

absl::StatusOr<BarrierOutcome> BarrierOutcomeFromWord(absl::string_view word) {
  if (word == "go") return BarrierOutcome::kExecuted;
  if (word == "duplicate") return BarrierOutcome::kDuplicate;
  if (word == "empty_rollback") return BarrierOutcome::kEmptyRollback;
  if (word == "cancelled") return TryAfterCancel();
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
                                          const BusinessChange& change) {
  if (Insert(tx, gid, branch_id, "try")) return Run(tx, change);
  if (!tx.exec_prepared("barrier_cancelled", gid, branch_id).empty()) {
    return TryAfterCancel();
  }
  return BarrierOutcome::kDuplicate;
}

absl::StatusOr<BarrierOutcome> BarrierConfirm(pqxx::work& tx,
                                              const std::string& gid,
                                              const std::string& branch_id,
                                              const BusinessChange& change) {
  if (Insert(tx, gid, branch_id, "confirm")) return Run(tx, change);
  return BarrierOutcome::kDuplicate;
}

absl::StatusOr<BarrierOutcome> BarrierCancel(pqxx::work& tx,
                                             const std::string& gid,
                                             const std::string& branch_id,
                                             const BusinessChange& change) {
  bool try_inserted = false, cancel_inserted = false;
  for (const auto& row : tx.exec_prepared("barrier_cancel", gid, branch_id)) {
    const std::string_view phase = row[0].c_str();
    if (phase == "try") try_inserted = true;
    if (phase == "cancel") cancel_inserted = true;
  }
  if (try_inserted) return BarrierOutcome::kEmptyRollback;
  if (!cancel_inserted) return BarrierOutcome::kDuplicate;
  return Run(tx, change);
}

}  // namespace turnstile
