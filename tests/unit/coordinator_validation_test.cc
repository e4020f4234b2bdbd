// Edge validation of every Coordinator request: the limits of
// txn-coordinator/validation.h, checked without a server.
#include <gtest/gtest.h>

#include <string>

#include "txn-coordinator/validation.h"

namespace turnstile::coordinator {
namespace {

const ParticipantMap kParticipants = {{"inventory", "127.0.0.1:1"},
                                      {"payment", "127.0.0.1:2"}};
constexpr char kGid[] = "01890a5d-ac96-774b-bcce-b302099a8057";

v1::BeginRequest GoodBegin() {
  v1::BeginRequest r;
  r.set_request_id("req-1");
  r.set_timeout_ms(1000);
  auto* b = r.add_branches();
  b->set_branch_id("inventory");
  b->set_participant("inventory");
  return r;
}

void ExpectInvalid(const absl::Status& s, const std::string& what) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << what << ": " << s;
}

TEST(ValidateBeginTest, AcceptsGoodRequests) {
  EXPECT_TRUE(ValidateBegin(GoodBegin(), kParticipants).ok());
  auto r = GoodBegin();
  r.clear_branches();  // branches may all be registered later
  EXPECT_TRUE(ValidateBegin(r, kParticipants).ok());
  r.set_timeout_ms(kMaxTimeoutMs);
  r.set_request_id(std::string(kMaxRequestIdLen, 'x'));
  EXPECT_TRUE(ValidateBegin(r, kParticipants).ok());
  r = GoodBegin();
  r.set_timeout_ms(1);
  EXPECT_TRUE(ValidateBegin(r, kParticipants).ok());
}

TEST(ValidateBeginTest, RejectsBadRequestIds) {
  auto r = GoodBegin();
  r.set_request_id("");
  ExpectInvalid(ValidateBegin(r, kParticipants), "empty");
  r.set_request_id(std::string(kMaxRequestIdLen + 1, 'x'));
  ExpectInvalid(ValidateBegin(r, kParticipants), "oversized");
  r.set_request_id("a\nb");
  ExpectInvalid(ValidateBegin(r, kParticipants), "control char");
}

TEST(ValidateBeginTest, RejectsBadTimeouts) {
  for (int64_t t : {int64_t{0}, int64_t{-1}, kMaxTimeoutMs + 1,
                    int64_t{9223372036854775807}}) {
    auto r = GoodBegin();
    r.set_timeout_ms(t);
    ExpectInvalid(ValidateBegin(r, kParticipants), std::to_string(t));
  }
}

TEST(ValidateBeginTest, RejectsBadBranches) {
  auto r = GoodBegin();
  r.clear_branches();
  for (int i = 0; i <= kMaxBranches; ++i) {
    auto* b = r.add_branches();
    b->set_branch_id("b" + std::to_string(i));
    b->set_participant("inventory");
  }
  ExpectInvalid(ValidateBegin(r, kParticipants), "17 branches");
  r.mutable_branches()->RemoveLast();
  EXPECT_TRUE(ValidateBegin(r, kParticipants).ok()) << "16 is the limit";

  r = GoodBegin();
  *r.add_branches() = r.branches(0);
  ExpectInvalid(ValidateBegin(r, kParticipants), "duplicate branch id");

  r = GoodBegin();
  r.mutable_branches(0)->set_participant("seat");
  ExpectInvalid(ValidateBegin(r, kParticipants), "unknown participant");

  r = GoodBegin();
  r.mutable_branches(0)->set_branch_id("Inventory");
  ExpectInvalid(ValidateBegin(r, kParticipants), "upper case branch id");
  r.mutable_branches(0)->set_branch_id("");
  ExpectInvalid(ValidateBegin(r, kParticipants), "empty branch id");
  r.mutable_branches(0)->set_branch_id(std::string(65, 'a'));
  ExpectInvalid(ValidateBegin(r, kParticipants), "long branch id");
}

TEST(ValidateGidTest, NeedsACanonicalUuid) {
  EXPECT_TRUE(ValidateGid(kGid).ok());
  for (const char* bad :
       {"", "not-a-uuid", "01890a5d-ac96-774b-bcce-b302099a805",
        "01890a5d-ac96-774b-bcce-b302099a8057x",
        "01890a5dxac96-774b-bcce-b302099a8057",
        "01890a5d-ac96-774b-bcce-b302099a805g"}) {
    ExpectInvalid(ValidateGid(bad), bad);
  }
}

TEST(ValidateRegisterBranchTest, ChecksGidAndBranch) {
  v1::RegisterBranchRequest r;
  r.set_gid(kGid);
  r.mutable_branch()->set_branch_id("payment");
  r.mutable_branch()->set_participant("payment");
  EXPECT_TRUE(ValidateRegisterBranch(r, kParticipants).ok());
  auto bad = r;
  bad.set_gid("x");
  ExpectInvalid(ValidateRegisterBranch(bad, kParticipants), "gid");
  bad = r;
  bad.clear_branch();
  ExpectInvalid(ValidateRegisterBranch(bad, kParticipants), "no branch");
  bad = r;
  bad.mutable_branch()->set_participant("bank");
  ExpectInvalid(ValidateRegisterBranch(bad, kParticipants), "participant");
}

TEST(ValidateAbortTest, ChecksReasonAndDetail) {
  v1::AbortRequest r;
  r.set_gid(kGid);
  r.set_reason(v1::CANCEL_REASON_USER);
  EXPECT_TRUE(ValidateAbort(r).ok());
  r.set_detail(std::string(kMaxDetailLen, 'd'));
  EXPECT_TRUE(ValidateAbort(r).ok());
  r.set_detail(std::string(kMaxDetailLen + 1, 'd'));
  ExpectInvalid(ValidateAbort(r), "long detail");
  r.set_detail("ok");
  r.set_reason(static_cast<v1::CancelReason>(42));
  ExpectInvalid(ValidateAbort(r), "unknown reason");
}

TEST(ValidateListTest, ChecksEveryFilter) {
  v1::ListTransactionsRequest r;
  EXPECT_TRUE(ValidateList(r).ok());
  r.set_page_size(kMaxPageSize);
  r.set_state(v1::TXN_STATE_CANCELLING);
  r.set_participant("payment");
  r.set_min_age_seconds(60);
  r.set_page_token(kGid);
  EXPECT_TRUE(ValidateList(r).ok());
  auto bad = r;
  bad.set_page_size(kMaxPageSize + 1);
  ExpectInvalid(ValidateList(bad), "page size");
  bad = r;
  bad.set_page_size(-1);
  ExpectInvalid(ValidateList(bad), "negative page size");
  bad = r;
  bad.set_min_age_seconds(-1);
  ExpectInvalid(ValidateList(bad), "negative age");
  bad = r;
  bad.set_page_token("garbage");
  ExpectInvalid(ValidateList(bad), "token");
  bad = r;
  bad.set_state(static_cast<v1::TxnState>(9));
  ExpectInvalid(ValidateList(bad), "state");
  bad = r;
  bad.set_participant("Pay Ment");
  ExpectInvalid(ValidateList(bad), "participant");
}

}  // namespace
}  // namespace turnstile::coordinator
