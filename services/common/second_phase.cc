#include "services/common/second_phase.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/common/trace_grpc.h"
#include "services/common/validate.h"

namespace turnstile {
namespace {

// Validates `txn`, runs `change`, logs `event` (or <phase>_failed) and
// returns whether it applied.
absl::StatusOr<bool> Serve(const char* phase, const char* event,
                           const v1::TxnRef& txn,
                           const SecondPhaseParticipant::Phase& change,
                           const std::string& extra) {
  absl::Status valid = CheckUuid("txn.gid", txn.gid());
  if (valid.ok()) valid = CheckBranchId("txn.branch_id", txn.branch_id());
  if (!valid.ok()) return valid;
  auto result = change(txn.gid(), txn.branch_id());
  if (!result.ok()) {
    spdlog::error("event={}_failed gid={} branch={} reason={} error=\"{}\"",
                  phase, txn.gid(), txn.branch_id(), ReasonOf(result.status()),
                  std::string(result.status().message()));
    return result;
  }
  spdlog::info("event={} gid={} branch={} applied={}{}", event, txn.gid(),
               txn.branch_id(), *result, extra);
  return result;
}

}  // namespace

PhaseCounter::PhaseCounter(const std::string& service, const std::string& help)
    : family_(prometheus::BuildCounter()
                  .Name(absl::StrCat("turnstile_", service, "_phase_total"))
                  .Help(help)
                  .Register(Metrics())) {}

void PhaseCounter::Count(const char* phase, const absl::Status& status,
                         const char* ok_result) {
  std::string result = ok_result;
  if (!status.ok()) {
    result = ReasonOf(status);
    if (result.empty()) result = absl::StatusCodeToString(status.code());
  }
  family_.Add({{"phase", phase}, {"result", result}}).Increment();
}

grpc::Status SecondPhaseParticipant::Confirm(grpc::ServerContext* context,
                                             const v1::ConfirmRequest* request,
                                             v1::ConfirmResponse* response) {
  const ServerTraceScope trace(*context);
  const GidScope gid(request->txn().gid());
  auto applied = Serve("confirm", spec_.confirmed_event, request->txn(),
                       spec_.confirm, "");
  spec_.counter->Count("confirm", applied.status(),
                       applied.ok() && *applied ? "ok" : "duplicate");
  if (!applied.ok()) return ToGrpc(applied.status(), spec_.domain);
  response->set_applied(*applied);
  return grpc::Status::OK;
}

grpc::Status SecondPhaseParticipant::Cancel(grpc::ServerContext* context,
                                            const v1::CancelRequest* request,
                                            v1::CancelResponse* response) {
  const ServerTraceScope trace(*context);
  const GidScope gid(request->txn().gid());
  auto applied =
      Serve("cancel", spec_.cancelled_event, request->txn(), spec_.cancel,
            absl::StrCat(" cause=", v1::CancelReason_Name(request->reason())));
  spec_.counter->Count("cancel", applied.status(),
                       applied.ok() && *applied ? "ok" : "noop");
  if (!applied.ok()) return ToGrpc(applied.status(), spec_.domain);
  response->set_applied(*applied);
  return grpc::Status::OK;
}

}  // namespace turnstile
