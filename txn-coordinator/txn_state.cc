#include "txn-coordinator/txn_state.h"

namespace turnstile::coordinator {
namespace {

Transition Move(TxnState to) {
  return {Transition::Kind::kMove, to, absl::StatusCode::kOk, ""};
}
Transition Stay(TxnState at) {
  return {Transition::Kind::kStay, at, absl::StatusCode::kOk, ""};
}
Transition Refuse(TxnState at, absl::StatusCode code, const char* reason) {
  return {Transition::Kind::kRefuse, at, code, reason};
}

}  // namespace

Transition Next(TxnState from, TxnEvent event) {
  using S = TxnState;
  using E = TxnEvent;
  using C = absl::StatusCode;
  switch (from) {
    case S::kTrying:
      switch (event) {
        case E::kCommit:
          return Move(S::kConfirming);
        case E::kAbort:
        case E::kDeadlinePassed:
          return Move(S::kCancelling);
        case E::kAllBranchesDone:
          // Branches are only driven after a decision.
          return Refuse(from, C::kFailedPrecondition, "NOT_DECIDED");
        case E::kRegisterBranch:
          return Stay(from);
      }
      break;
    case S::kConfirming:
    case S::kConfirmed:
      switch (event) {
        case E::kCommit:          // repeat of the decision: idempotent
        case E::kDeadlinePassed:  // the deadline only bounds TRYING
          return Stay(from);
        case E::kAbort:
          return Refuse(from, C::kFailedPrecondition, "TXN_COMMITTED");
        case E::kAllBranchesDone:
          return from == S::kConfirming ? Move(S::kConfirmed) : Stay(from);
        case E::kRegisterBranch:
          return Refuse(from, C::kFailedPrecondition, "TXN_COMMITTED");
      }
      break;
    case S::kCancelling:
    case S::kCancelled:
      switch (event) {
        case E::kCommit:
          return Refuse(from, C::kAborted, "TXN_CANCELLED");
        case E::kAbort:  // repeat of the decision: idempotent
        case E::kDeadlinePassed:
          return Stay(from);
        case E::kAllBranchesDone:
          return from == S::kCancelling ? Move(S::kCancelled) : Stay(from);
        case E::kRegisterBranch:
          return Refuse(from, C::kAborted, "TXN_CANCELLED");
      }
      break;
  }
  return Refuse(from, C::kInternal, "UNKNOWN_TRANSITION");
}

bool IsFinal(TxnState state) {
  return state == TxnState::kConfirmed || state == TxnState::kCancelled;
}

bool IsConfirmSide(TxnState state) {
  return state == TxnState::kConfirming || state == TxnState::kConfirmed;
}

const char* StateName(TxnState state) {
  switch (state) {
    case TxnState::kTrying:
      return "TRYING";
    case TxnState::kConfirming:
      return "CONFIRMING";
    case TxnState::kConfirmed:
      return "CONFIRMED";
    case TxnState::kCancelling:
      return "CANCELLING";
    case TxnState::kCancelled:
      return "CANCELLED";
  }
  return "?";
}

const char* BranchStateName(BranchState state) {
  switch (state) {
    case BranchState::kRegistered:
      return "REGISTERED";
    case BranchState::kConfirmed:
      return "CONFIRMED";
    case BranchState::kCancelled:
      return "CANCELLED";
  }
  return "?";
}

const char* EventName(TxnEvent event) {
  switch (event) {
    case TxnEvent::kCommit:
      return "COMMIT";
    case TxnEvent::kAbort:
      return "ABORT";
    case TxnEvent::kDeadlinePassed:
      return "DEADLINE_PASSED";
    case TxnEvent::kAllBranchesDone:
      return "ALL_BRANCHES_DONE";
    case TxnEvent::kRegisterBranch:
      return "REGISTER_BRANCH";
  }
  return "?";
}

std::optional<TxnState> ParseState(absl::string_view text) {
  for (TxnState s :
       {TxnState::kTrying, TxnState::kConfirming, TxnState::kConfirmed,
        TxnState::kCancelling, TxnState::kCancelled}) {
    if (text == StateName(s)) return s;
  }
  return std::nullopt;
}

std::optional<BranchState> ParseBranchState(absl::string_view text) {
  for (BranchState s : {BranchState::kRegistered, BranchState::kConfirmed,
                        BranchState::kCancelled}) {
    if (text == BranchStateName(s)) return s;
  }
  return std::nullopt;
}

}  // namespace turnstile::coordinator
