// Serving Participant.Confirm/Cancel the same way in every participant:
// validate the branch reference, run the service's barrier-guarded change,
// log the outcome and turn it into a gRPC status. Services pass only the
// change and a name for their log lines.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "turnstile/v1/common.pb.h"

namespace turnstile {

// Runs `change` (which returns whether it applied anything) for `txn` and
// sets *applied. `event` names the success log line (e.g.
// "stock_confirmed"), `phase` the failure one ("confirm"), `domain` the
// error domain. `extra` is appended to the success line.
grpc::Status ServeSecondPhase(
    const char* phase, const char* event, const char* domain,
    const v1::TxnRef& txn, const std::function<absl::StatusOr<bool>()>& change,
    bool* applied, const std::string& extra = "");

}  // namespace turnstile
