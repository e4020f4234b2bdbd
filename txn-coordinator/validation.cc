#include "txn-coordinator/validation.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace turnstile::coordinator {

absl::Status ValidateGid(const std::string& gid) {
  return CheckUuid("gid", gid);
}

absl::Status ValidateBranch(const v1::BranchSpec& branch,
                            const ParticipantMap& participants,
                            absl::string_view field) {
  if (auto s =
          CheckBranchId(absl::StrCat(field, ".branch_id"), branch.branch_id());
      !s.ok()) {
    return s;
  }
  if (participants.count(branch.participant()) == 0) {
    return InvalidArgument(absl::StrCat(field, ".participant \"",
                                        branch.participant().substr(0, 64),
                                        "\" is not a known participant"));
  }
  return absl::OkStatus();
}

absl::Status ValidateBegin(const v1::BeginRequest& req,
                           const ParticipantMap& participants) {
  if (auto s = CheckText("request_id", req.request_id(), kMaxRequestIdLen);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckRange("timeout_ms", req.timeout_ms(), 1, kMaxTimeoutMs);
      !s.ok()) {
    return s;
  }
  if (req.branches_size() > kMaxBranches) {
    return InvalidArgument(absl::StrCat(
        "at most ", kMaxBranches, " branches, got ", req.branches_size()));
  }
  std::set<std::string> seen;
  for (int i = 0; i < req.branches_size(); ++i) {
    const auto& b = req.branches(i);
    if (auto s =
            ValidateBranch(b, participants, absl::StrCat("branches[", i, "]"));
        !s.ok()) {
      return s;
    }
    if (!seen.insert(b.branch_id()).second) {
      return InvalidArgument(
          absl::StrCat("branch_id ", b.branch_id(), " declared twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRegisterBranch(const v1::RegisterBranchRequest& req,
                                    const ParticipantMap& participants) {
  if (auto s = ValidateGid(req.gid()); !s.ok()) return s;
  if (!req.has_branch()) return InvalidArgument("branch is missing");
  return ValidateBranch(req.branch(), participants, "branch");
}

absl::Status ValidateAbort(const v1::AbortRequest& req) {
  if (auto s = ValidateGid(req.gid()); !s.ok()) return s;
  if (!v1::CancelReason_IsValid(req.reason())) {
    return InvalidArgument(absl::StrCat("reason ", req.reason(), " unknown"));
  }
  if (!req.detail().empty()) {
    if (auto s = CheckText("detail", req.detail(), kMaxDetailLen); !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateList(const v1::ListTransactionsRequest& req) {
  if (!v1::TxnState_IsValid(req.state())) {
    return InvalidArgument(absl::StrCat("state ", req.state(), " unknown"));
  }
  if (!req.participant().empty()) {
    if (auto s = CheckBranchId("participant", req.participant()); !s.ok()) {
      return s;
    }
  }
  if (auto s = CheckRange("min_age_seconds", req.min_age_seconds(), 0,
                          kMaxMinAgeSeconds);
      !s.ok()) {
    return s;
  }
  if (req.page_size() != 0) {
    if (auto s = CheckRange("page_size", req.page_size(), 1, kMaxPageSize);
        !s.ok()) {
      return s;
    }
  }
  if (!req.page_token().empty()) {
    if (auto s = CheckUuid("page_token", req.page_token()); !s.ok()) {
      return InvalidArgument("page_token is not a token of this service");
    }
  }
  return absl::OkStatus();
}

}  // namespace turnstile::coordinator
