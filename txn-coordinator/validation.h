// Edge validation of every Coordinator request (DESIGN.md §6): each function
// checks one request completely and returns INVALID_ARGUMENT naming the field,
// before anything is written. Pure, so the limits are unit-tested.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "turnstile/v1/coordinator.pb.h"
#include "txn-coordinator/participants.h"

namespace turnstile::coordinator {

inline constexpr size_t kMaxRequestIdLen = 200;
inline constexpr int64_t kMaxTimeoutMs = 7LL * 24 * 3600 * 1000;
inline constexpr int kMaxBranches = 16;
inline constexpr size_t kMaxDetailLen = 500;
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;
// Ten years: anything larger is a typo.
inline constexpr int64_t kMaxMinAgeSeconds = 10LL * 365 * 24 * 3600;

absl::Status ValidateGid(const std::string& gid);
absl::Status ValidateBranch(const v1::BranchSpec& branch,
                            const ParticipantMap& participants,
                            absl::string_view field);
absl::Status ValidateBegin(const v1::BeginRequest& req,
                           const ParticipantMap& participants);
absl::Status ValidateRegisterBranch(const v1::RegisterBranchRequest& req,
                                    const ParticipantMap& participants);
absl::Status ValidateAbort(const v1::AbortRequest& req);
absl::Status ValidateList(const v1::ListTransactionsRequest& req);

}  // namespace turnstile::coordinator
