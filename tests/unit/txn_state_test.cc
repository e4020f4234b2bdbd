// Exhaustive table of the global transaction state machine (DESIGN.md §3.4):
// every (state, event) pair has exactly one expected outcome, and the only
// moves are TRYING -> CONFIRMING -> CONFIRMED and TRYING -> CANCELLING ->
// CANCELLED.
#include "txn-coordinator/txn_state.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace turnstile::coordinator {
namespace {

using S = TxnState;
using E = TxnEvent;
using K = Transition::Kind;
using C = absl::StatusCode;

const std::vector<S> kStates = {S::kTrying, S::kConfirming, S::kConfirmed,
                                S::kCancelling, S::kCancelled};
const std::vector<E> kEvents = {E::kCommit, E::kAbort, E::kDeadlinePassed,
                                E::kAllBranchesDone, E::kRegisterBranch};

struct Expect {
  K kind;
  S to;    // for kMove; otherwise the state itself
  C code;  // for kRefuse
  std::string reason;
};

// The whole table, written out by hand: 5 states x 5 events.
const std::map<std::pair<S, E>, Expect>& Table() {
  static const auto* table = new std::map<std::pair<S, E>, Expect>{
      // TRYING
      {{S::kTrying, E::kCommit}, {K::kMove, S::kConfirming, C::kOk, ""}},
      {{S::kTrying, E::kAbort}, {K::kMove, S::kCancelling, C::kOk, ""}},
      {{S::kTrying, E::kDeadlinePassed},
       {K::kMove, S::kCancelling, C::kOk, ""}},
      {{S::kTrying, E::kAllBranchesDone},
       {K::kRefuse, S::kTrying, C::kFailedPrecondition, "NOT_DECIDED"}},
      {{S::kTrying, E::kRegisterBranch}, {K::kStay, S::kTrying, C::kOk, ""}},
      // CONFIRMING
      {{S::kConfirming, E::kCommit}, {K::kStay, S::kConfirming, C::kOk, ""}},
      {{S::kConfirming, E::kAbort},
       {K::kRefuse, S::kConfirming, C::kFailedPrecondition, "TXN_COMMITTED"}},
      {{S::kConfirming, E::kDeadlinePassed},
       {K::kStay, S::kConfirming, C::kOk, ""}},
      {{S::kConfirming, E::kAllBranchesDone},
       {K::kMove, S::kConfirmed, C::kOk, ""}},
      {{S::kConfirming, E::kRegisterBranch},
       {K::kRefuse, S::kConfirming, C::kFailedPrecondition, "TXN_COMMITTED"}},
      // CONFIRMED
      {{S::kConfirmed, E::kCommit}, {K::kStay, S::kConfirmed, C::kOk, ""}},
      {{S::kConfirmed, E::kAbort},
       {K::kRefuse, S::kConfirmed, C::kFailedPrecondition, "TXN_COMMITTED"}},
      {{S::kConfirmed, E::kDeadlinePassed},
       {K::kStay, S::kConfirmed, C::kOk, ""}},
      {{S::kConfirmed, E::kAllBranchesDone},
       {K::kStay, S::kConfirmed, C::kOk, ""}},
      {{S::kConfirmed, E::kRegisterBranch},
       {K::kRefuse, S::kConfirmed, C::kFailedPrecondition, "TXN_COMMITTED"}},
      // CANCELLING
      {{S::kCancelling, E::kCommit},
       {K::kRefuse, S::kCancelling, C::kAborted, "TXN_CANCELLED"}},
      {{S::kCancelling, E::kAbort}, {K::kStay, S::kCancelling, C::kOk, ""}},
      {{S::kCancelling, E::kDeadlinePassed},
       {K::kStay, S::kCancelling, C::kOk, ""}},
      {{S::kCancelling, E::kAllBranchesDone},
       {K::kMove, S::kCancelled, C::kOk, ""}},
      {{S::kCancelling, E::kRegisterBranch},
       {K::kRefuse, S::kCancelling, C::kAborted, "TXN_CANCELLED"}},
      // CANCELLED
      {{S::kCancelled, E::kCommit},
       {K::kRefuse, S::kCancelled, C::kAborted, "TXN_CANCELLED"}},
      {{S::kCancelled, E::kAbort}, {K::kStay, S::kCancelled, C::kOk, ""}},
      {{S::kCancelled, E::kDeadlinePassed},
       {K::kStay, S::kCancelled, C::kOk, ""}},
      {{S::kCancelled, E::kAllBranchesDone},
       {K::kStay, S::kCancelled, C::kOk, ""}},
      {{S::kCancelled, E::kRegisterBranch},
       {K::kRefuse, S::kCancelled, C::kAborted, "TXN_CANCELLED"}},
  };
  return *table;
}

TEST(TxnStateTest, TableCoversEveryStateAndEvent) {
  EXPECT_EQ(Table().size(), kStates.size() * kEvents.size());
  for (S s : kStates) {
    for (E e : kEvents) {
      EXPECT_EQ(Table().count({s, e}), 1u)
          << StateName(s) << " x " << EventName(e);
    }
  }
}

TEST(TxnStateTest, EveryPairMatchesTheTable) {
  for (S s : kStates) {
    for (E e : kEvents) {
      SCOPED_TRACE(std::string(StateName(s)) + " x " + EventName(e));
      const Expect& want = Table().at({s, e});
      const Transition got = Next(s, e);
      EXPECT_EQ(got.kind, want.kind);
      EXPECT_EQ(StateName(got.to), std::string(StateName(want.to)));
      if (want.kind == K::kRefuse) {
        EXPECT_EQ(got.code, want.code);
        EXPECT_EQ(std::string(got.reason), want.reason);
        EXPECT_TRUE(got.refused());
        EXPECT_FALSE(got.moves());
      } else {
        EXPECT_EQ(got.code, C::kOk);
        EXPECT_FALSE(got.refused());
        EXPECT_EQ(got.moves(), want.kind == K::kMove);
      }
    }
  }
}

TEST(TxnStateTest, OnlyTheFourDesignedMovesExist) {
  const std::set<std::pair<S, S>> allowed = {{S::kTrying, S::kConfirming},
                                             {S::kConfirming, S::kConfirmed},
                                             {S::kTrying, S::kCancelling},
                                             {S::kCancelling, S::kCancelled}};
  std::set<std::pair<S, S>> seen;
  for (S s : kStates) {
    for (E e : kEvents) {
      const Transition t = Next(s, e);
      if (t.moves()) {
        EXPECT_TRUE(allowed.count({s, t.to}))
            << StateName(s) << " -> " << StateName(t.to);
        seen.insert({s, t.to});
      } else {
        EXPECT_EQ(t.to, s) << "a non-move must report the same state";
      }
    }
  }
  EXPECT_EQ(seen, allowed) << "every designed move is reachable";
}

TEST(TxnStateTest, FinalStatesNeverMoveAndCommitAbortAreExclusive) {
  for (S s : kStates) {
    for (E e : kEvents) {
      if (IsFinal(s)) EXPECT_FALSE(Next(s, e).moves());
    }
    // From any state, Commit and Abort cannot both be accepted unless the
    // state is TRYING (where only one CAS can win).
    const bool commit_ok = !Next(s, E::kCommit).refused();
    const bool abort_ok = !Next(s, E::kAbort).refused();
    if (s != S::kTrying) {
      EXPECT_NE(commit_ok, abort_ok) << StateName(s);
      EXPECT_EQ(commit_ok, IsConfirmSide(s)) << StateName(s);
    }
  }
  EXPECT_TRUE(IsFinal(S::kConfirmed));
  EXPECT_TRUE(IsFinal(S::kCancelled));
  EXPECT_FALSE(IsFinal(S::kTrying));
  EXPECT_FALSE(IsFinal(S::kConfirming));
  EXPECT_FALSE(IsFinal(S::kCancelling));
}

TEST(TxnStateTest, NamesRoundTripAndMatchTheSchema) {
  const std::vector<std::string> names = {"TRYING", "CONFIRMING", "CONFIRMED",
                                          "CANCELLING", "CANCELLED"};
  for (size_t i = 0; i < kStates.size(); ++i) {
    EXPECT_EQ(StateName(kStates[i]), names[i]);
    ASSERT_TRUE(ParseState(names[i]).has_value());
    EXPECT_EQ(*ParseState(names[i]), kStates[i]);
  }
  EXPECT_FALSE(ParseState("trying").has_value());
  EXPECT_FALSE(ParseState("").has_value());
  for (BranchState b : {BranchState::kRegistered, BranchState::kConfirmed,
                        BranchState::kCancelled}) {
    EXPECT_EQ(ParseBranchState(BranchStateName(b)), b);
  }
  EXPECT_FALSE(ParseBranchState("DONE").has_value());
}

}  // namespace
}  // namespace turnstile::coordinator
