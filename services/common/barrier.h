// The TCC barrier (DESIGN.md §3.6) for C++ callers. The logic itself is one
// SQL function, tcc_barrier_enter (sql/common/tcc_barrier_functions.sql, in
// every participant database's migrations): participants whose phases are
// single SQL functions call it there; BarrierTry/Confirm/Cancel call it
// inside the caller's local transaction and then run the business change, so
// the barrier row and the change commit or roll back together. Call
// PrepareBarrier on every pooled connection that uses them.
#pragma once

#include <functional>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace turnstile {

enum class BarrierOutcome {
  kExecuted,       // first arrival: the business change ran
  kDuplicate,      // repeat of a finished phase: nothing ran
  kEmptyRollback,  // Cancel with no Try before it: nothing to release
};

using BusinessChange = std::function<absl::Status(pqxx::work&)>;

// Prepares the barrier statements on a new connection.
void PrepareBarrier(pqxx::connection& conn);

// Try: records `content` (services/common/try_content.h) and runs `change` on
// first arrival; returns ABORTED (reason BRANCH_CANCELLED) if Cancel came
// first; kDuplicate on a repeat with the same content, FAILED_PRECONDITION
// (TRY_MISMATCH) on one with other content. If `change` fails its status is
// returned and the caller must not commit.
absl::StatusOr<BarrierOutcome> BarrierTry(pqxx::work& tx,
                                          const std::string& gid,
                                          const std::string& branch_id,
                                          const std::string& content,
                                          const BusinessChange& change);

// Confirm: runs `change` once.
absl::StatusOr<BarrierOutcome> BarrierConfirm(pqxx::work& tx,
                                              const std::string& gid,
                                              const std::string& branch_id,
                                              const BusinessChange& change);

// Cancel: records the cancel (so a later Try is refused); runs `change` only
// if a Try had run and this is the first Cancel.
absl::StatusOr<BarrierOutcome> BarrierCancel(pqxx::work& tx,
                                             const std::string& gid,
                                             const std::string& branch_id,
                                             const BusinessChange& change);

// The answer of the SQL function tcc_barrier_enter (sql/common/
// tcc_barrier_functions.sql), for services that run a whole phase as one
// server-side function: 'go' -> kExecuted, 'duplicate', 'empty_rollback',
// and 'cancelled' -> the same ABORTED BRANCH_CANCELLED as BarrierTry.
absl::StatusOr<BarrierOutcome> BarrierOutcomeFromWord(absl::string_view word);

// The answer of a one-statement Confirm/Cancel function whose outcome is
// 'applied', 'noop' (nothing to change; `note` says why) or a word of
// tcc_barrier_enter: applied, or the note for logs ("repeat", "empty
// rollback", the function's note).
struct PhaseAnswer {
  bool applied = false;
  std::string note;
};
absl::StatusOr<PhaseAnswer> ReadPhaseAnswer(absl::string_view outcome,
                                            absl::string_view note);

}  // namespace turnstile
