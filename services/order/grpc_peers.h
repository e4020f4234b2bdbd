// The real Peers and Phases (flow_ports.h): gRPC stubs to the coordinator and
// the four participants (inventory, seat, booking, payment), created once over
// shared channels (clients.h). Try and second-phase calls use the callback API
// so that the flows fan them out without a thread each. Every call carries the
// calling thread's trace (trace_grpc.h) as a new span.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "services/order/flow_ports.h"
#include "turnstile/v1/booking.grpc.pb.h"
#include "turnstile/v1/coordinator.grpc.pb.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"
#include "turnstile/v1/payment.grpc.pb.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile::order {

struct PeerTargets {
  std::string coordinator;
  std::string inventory;
  std::string seat;
  std::string payment;
  // Empty: no booking service (HoldBookings answers FAILED_PRECONDITION
  // BOOKING_NOT_SERVED; the flows refuse booking lines before that).
  std::string booking;
};

class GrpcPeers final : public Peers, public Phases {
 public:
  // Phases (Confirm/Cancel sent straight to a participant) present
  // `phases_identity`'s certificate if given.
  explicit GrpcPeers(const PeerTargets& targets,
                     const std::string& phases_identity = "");

  absl::StatusOr<v1::BeginResponse> Begin(const v1::BeginRequest& req,
                                          Deadline deadline) override;
  absl::Status RegisterBranch(const v1::RegisterBranchRequest& req,
                              Deadline deadline) override;
  absl::StatusOr<v1::CommitResponse> Commit(const v1::CommitRequest& req,
                                            Deadline deadline) override;
  absl::StatusOr<v1::AbortResponse> Abort(const v1::AbortRequest& req,
                                          Deadline deadline) override;
  absl::StatusOr<v1::Transaction> GetTransaction(
      const v1::GetTransactionRequest& req, Deadline deadline) override;
  void ReserveStock(const v1::ReserveStockRequest& req, Deadline deadline,
                    Done<v1::ReserveStockResponse> done) override;
  void HoldSeats(const v1::HoldSeatsRequest& req, Deadline deadline,
                 Done<v1::HoldSeatsResponse> done) override;
  void HoldBookings(const v1::HoldBookingsRequest& req, Deadline deadline,
                    Done<v1::HoldBookingsResponse> done) override;
  void AuthorizePayment(const v1::AuthorizePaymentRequest& req,
                        Deadline deadline,
                        Done<v1::AuthorizePaymentResponse> done) override;

  // Phases: "inventory", "seat", "booking" (if configured) and "payment"
  // (the order branch is local).
  void Confirm(const std::string& participant, const std::string& gid,
               Deadline deadline, Done<v1::ConfirmResponse> done) override;
  void Cancel(const std::string& participant, const std::string& gid,
              v1::CancelReason reason, Deadline deadline,
              Done<v1::CancelResponse> done) override;

 private:
  v1::Participant::Stub* ParticipantStub(const std::string& participant);

  std::unique_ptr<v1::Coordinator::Stub> coordinator_;
  std::unique_ptr<v1::Inventory::Stub> inventory_;
  std::unique_ptr<v1::Seat::Stub> seat_;
  std::unique_ptr<v1::Booking::Stub> booking_;  // null without --booking
  std::unique_ptr<v1::Payment::Stub> payment_;
  std::map<std::string, std::unique_ptr<v1::Participant::Stub>> participants_;
};

}  // namespace turnstile::order
