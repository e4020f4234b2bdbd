// The orphan sweep's decision (services/common/orphan_decision.h): which
// answers of the coordinator release a hold, which leave it, which retry.
#include "services/common/orphan_decision.h"

#include <gtest/gtest.h>

namespace turnstile {
namespace {

absl::StatusOr<v1::Transaction> In(v1::TxnState state) {
  v1::Transaction txn;
  txn.set_state(state);
  return txn;
}

TEST(OrphanDecisionTest, UnknownOrCancelledTransactionsRelease) {
  EXPECT_EQ(Decide(absl::NotFoundError("no such transaction")),
            OrphanAction::kRelease);
  EXPECT_EQ(Decide(In(v1::TXN_STATE_CANCELLING)), OrphanAction::kRelease);
  EXPECT_EQ(Decide(In(v1::TXN_STATE_CANCELLED)), OrphanAction::kRelease);
}

TEST(OrphanDecisionTest, OpenOrCommittedTransactionsAreLeftAlone) {
  EXPECT_EQ(Decide(In(v1::TXN_STATE_TRYING)), OrphanAction::kLeave);
  EXPECT_EQ(Decide(In(v1::TXN_STATE_CONFIRMING)), OrphanAction::kLeave);
  EXPECT_EQ(Decide(In(v1::TXN_STATE_CONFIRMED)), OrphanAction::kLeave);
}

TEST(OrphanDecisionTest, NoUsableAnswerRetriesLater) {
  for (const absl::Status& s :
       {absl::UnavailableError("down"), absl::DeadlineExceededError("slow"),
        absl::ResourceExhaustedError("overloaded"),
        absl::PermissionDeniedError("misconfigured"),
        absl::InternalError("boom")}) {
    EXPECT_EQ(Decide(s), OrphanAction::kRetryLater) << s;
  }
  EXPECT_EQ(Decide(In(v1::TXN_STATE_UNSPECIFIED)), OrphanAction::kRetryLater);
  EXPECT_EQ(Decide(In(static_cast<v1::TxnState>(42))),
            OrphanAction::kRetryLater);
}

TEST(OrphanDecisionTest, CoordinatorStateNamesTheAnswer) {
  EXPECT_EQ(CoordinatorStateOf(absl::NotFoundError("x")), "NOT_FOUND");
  EXPECT_EQ(CoordinatorStateOf(In(v1::TXN_STATE_CANCELLING)), "CANCELLING");
  EXPECT_EQ(CoordinatorStateOf(absl::UnavailableError("x")), "UNAVAILABLE");
}

}  // namespace
}  // namespace turnstile
