// How a participant's Confirm reports the gate's answer to its commit, after
// PostgreSQL has sold (seat, booking): the phase never fails on it, so the
// log is the operator's only trace. A failed call is an error (the
// reconciler repairs the gate); NOT_OWNER / CANCELLED mean drift (another
// owner or a cancel in the gate where PostgreSQL sold) and list what was
// skipped; NOT_INITIALIZED is a gate rebuilt from PostgreSQL, sale included;
// items sold that the owner no longer held ("reclaimed") are a warning.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "services/common/gate_scripts.h"

namespace turnstile {

struct GateCommitAnswer {
  GateStatus status = GateStatus::kOk;
  int64_t reclaimed = 0;
  std::string skipped;  // the conflicts, described (drift only)
};

// `answer` is the commit's result, or the failed call's status.
void LogGateCommit(const std::string& gid, const std::string& branch_id,
                   const std::string& gate,
                   const absl::StatusOr<GateCommitAnswer>& answer);

}  // namespace turnstile
