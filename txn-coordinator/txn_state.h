// The global transaction state machine of DESIGN.md §3.4 as one pure
// function: TRYING -> CONFIRMING -> CONFIRMED and TRYING -> CANCELLING ->
// CANCELLED, nothing else. Every write path asks Next() what an event does to
// the current state and turns the answer into a compare-and-set in SQL, so the
// rules live here once and are tested exhaustively. Also holds the text forms
// used in the log tables.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace turnstile::coordinator {

enum class TxnState {
  kTrying,
  kConfirming,
  kConfirmed,
  kCancelling,
  kCancelled
};

enum class BranchState { kRegistered, kConfirmed, kCancelled };

enum class TxnEvent {
  kCommit,           // the initiator decided to confirm
  kAbort,            // the initiator (or an operator) decided to cancel
  kDeadlinePassed,   // the TRYING deadline passed without a decision
  kAllBranchesDone,  // every branch acknowledged the second phase
  kRegisterBranch,   // a new branch wants to join (no state change)
};

// What an event does to a state.
struct Transition {
  enum class Kind {
    kMove,    // the state changes to `to`
    kStay,    // nothing changes and that is fine (repeat, or no-op)
    kRefuse,  // the event is not allowed; answer with `code` and `reason`
  };
  Kind kind = Kind::kRefuse;
  TxnState to = TxnState::kTrying;  // for kMove the new state, else the same
  absl::StatusCode code = absl::StatusCode::kOk;
  const char* reason = "";  // machine reason for kRefuse

  bool moves() const { return kind == Kind::kMove; }
  bool refused() const { return kind == Kind::kRefuse; }
};

// The only transition function. Pure: no I/O, no clock.
Transition Next(TxnState from, TxnEvent event);

// Final states never change again.
bool IsFinal(TxnState state);

// The decision phase a state belongs to: CONFIRMING/CONFIRMED -> confirm,
// CANCELLING/CANCELLED -> cancel.
bool IsConfirmSide(TxnState state);

// Text forms stored in global_txn.state and branch.state.
const char* StateName(TxnState state);
const char* BranchStateName(BranchState state);
const char* EventName(TxnEvent event);
std::optional<TxnState> ParseState(absl::string_view text);
std::optional<BranchState> ParseBranchState(absl::string_view text);

}  // namespace turnstile::coordinator
