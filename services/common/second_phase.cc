#include "services/common/second_phase.h"

#include <spdlog/spdlog.h>

#include "services/common/status.h"
#include "services/common/validate.h"

namespace turnstile {

grpc::Status ServeSecondPhase(
    const char* phase, const char* event, const char* domain,
    const v1::TxnRef& txn, const std::function<absl::StatusOr<bool>()>& change,
    bool* applied, const std::string& extra) {
  absl::Status valid = CheckUuid("txn.gid", txn.gid());
  if (valid.ok()) valid = CheckBranchId("txn.branch_id", txn.branch_id());
  if (!valid.ok()) return ToGrpc(valid, domain);
  auto result = change();
  if (!result.ok()) {
    spdlog::error("event={}_failed gid={} branch={} reason={} error=\"{}\"",
                  phase, txn.gid(), txn.branch_id(), ReasonOf(result.status()),
                  std::string(result.status().message()));
    return ToGrpc(result.status(), domain);
  }
  spdlog::info("event={} gid={} branch={} applied={}{}", event, txn.gid(),
               txn.branch_id(), *result, extra);
  *applied = *result;
  return grpc::Status::OK;
}

}  // namespace turnstile
