#include "services/common/gate_commit_log.h"

#include <spdlog/spdlog.h>

namespace turnstile {

void LogGateCommit(const std::string& gid, const std::string& branch_id,
                   const std::string& gate,
                   const absl::StatusOr<GateCommitAnswer>& answer) {
  if (!answer.ok()) {
    spdlog::error(
        "event=gate_commit_failed gid={} branch={} gate={} error=\"{}\"", gid,
        branch_id, gate, answer.status().ToString());
  } else if (answer->status == GateStatus::kNotOwner ||
             answer->status == GateStatus::kCancelled) {
    spdlog::warn(
        "event=gate_commit_drift gid={} branch={} gate={} result={} "
        "skipped=\"{}\"",
        gid, branch_id, gate, std::string(GateStatusName(answer->status)),
        answer->skipped);
  } else if (answer->status != GateStatus::kOk &&
             answer->status != GateStatus::kDuplicate) {
    spdlog::info("event=gate_commit_skipped gid={} branch={} result={}", gid,
                 branch_id, std::string(GateStatusName(answer->status)));
  } else if (answer->reclaimed > 0) {
    spdlog::warn("event=gate_commit_reclaimed gid={} branch={} items={}", gid,
                 branch_id, answer->reclaimed);
  }
}

}  // namespace turnstile
