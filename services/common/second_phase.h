// Participant.Confirm/Cancel served the same way by every participant that
// runs its second phases through a flow returning "applied or not": validate
// the branch reference, run the barrier-guarded change, count it, log the
// outcome and turn it into a gRPC status. Also the per-service counter of
// TCC phases (Try included) that dashboards and alerts read.
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile {

// turnstile_<service>_phase_total{phase, result}: result is `ok_result` on
// success, else the reason (or the code when there is none).
class PhaseCounter {
 public:
  PhaseCounter(const std::string& service, const std::string& help);
  void Count(const char* phase, const absl::Status& status,
             const char* ok_result);

 private:
  prometheus::Family<prometheus::Counter>& family_;
};

class SecondPhaseParticipant final : public v1::Participant::Service {
 public:
  // Whether the phase applied anything (false: a repeat or nothing to do).
  using Phase = std::function<absl::StatusOr<bool>(const std::string& gid,
                                                   const std::string& branch)>;
  struct Spec {
    const char* domain;           // error domain, e.g. "seat.turnstile"
    const char* confirmed_event;  // success log events, e.g. "seats_confirmed"
    const char* cancelled_event;
    Phase confirm;
    Phase cancel;
    PhaseCounter* counter;  // not owned
  };
  explicit SecondPhaseParticipant(Spec spec) : spec_(std::move(spec)) {}

  grpc::Status Confirm(grpc::ServerContext* context,
                       const v1::ConfirmRequest* request,
                       v1::ConfirmResponse* response) override;
  grpc::Status Cancel(grpc::ServerContext* context,
                      const v1::CancelRequest* request,
                      v1::CancelResponse* response) override;

 private:
  const Spec spec_;
};

}  // namespace turnstile
