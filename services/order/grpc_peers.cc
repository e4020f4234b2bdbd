#include "services/order/grpc_peers.h"

#include "services/common/clients.h"
#include "services/common/status.h"
#include "services/common/trace_grpc.h"

namespace turnstile::order {
namespace {

// One blocking unary call with a deadline.
template <typename Stub, typename Req, typename Resp>
absl::StatusOr<Resp> Call(Stub* stub,
                          grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                       const Req&, Resp*),
                          const Req& req, Deadline deadline) {
  grpc::ClientContext ctx;
  ctx.set_deadline(deadline);
  PropagateTrace(&ctx);
  Resp resp;
  grpc::Status status = (stub->*method)(&ctx, req, &resp);
  if (!status.ok()) return FromGrpc(status);
  return resp;
}

// State of one callback call; kept alive by the completion callback.
template <typename Req, typename Resp>
struct AsyncCall {
  grpc::ClientContext ctx;
  Req req;
  Resp resp;
};

template <typename Req, typename Resp, typename Start>
void CallAsync(const Req& req, Deadline deadline, Done<Resp> done,
               Start start) {
  auto call = std::make_shared<AsyncCall<Req, Resp>>();
  call->req = req;
  call->ctx.set_deadline(deadline);
  PropagateTrace(&call->ctx);  // the calling thread's trace (the handler's)
  start(&call->ctx, &call->req, &call->resp,
        [call, done = std::move(done)](grpc::Status status) {
          if (status.ok()) {
            done(std::move(call->resp));
          } else {
            done(FromGrpc(status));
          }
        });
}

}  // namespace

GrpcPeers::GrpcPeers(const PeerTargets& targets,
                     const std::string& phases_identity)
    : coordinator_(v1::Coordinator::NewStub(
          MakeChannel(targets.coordinator, "coordinator"))) {
  std::map<std::string, std::string> participants = {
      {"inventory", targets.inventory},
      {"seat", targets.seat},
      {"payment", targets.payment}};
  if (!targets.booking.empty()) participants["booking"] = targets.booking;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels;
  for (const auto& [name, target] : participants) {
    channels[name] = MakeChannel(target, name);
    participants_[name] = v1::Participant::NewStub(
        phases_identity.empty() ? channels[name]
                                : MakeChannel(target, name, phases_identity));
  }
  inventory_ = v1::Inventory::NewStub(channels["inventory"]);
  seat_ = v1::Seat::NewStub(channels["seat"]);
  payment_ = v1::Payment::NewStub(channels["payment"]);
  if (!targets.booking.empty()) {
    booking_ = v1::Booking::NewStub(channels["booking"]);
  }
}

absl::StatusOr<v1::BeginResponse> GrpcPeers::Begin(const v1::BeginRequest& req,
                                                   Deadline deadline) {
  return Call(coordinator_.get(), &v1::Coordinator::Stub::Begin, req, deadline);
}

absl::Status GrpcPeers::RegisterBranch(const v1::RegisterBranchRequest& req,
                                       Deadline deadline) {
  return Call(coordinator_.get(), &v1::Coordinator::Stub::RegisterBranch, req,
              deadline)
      .status();
}

absl::StatusOr<v1::CommitResponse> GrpcPeers::Commit(
    const v1::CommitRequest& req, Deadline deadline) {
  return Call(coordinator_.get(), &v1::Coordinator::Stub::Commit, req,
              deadline);
}

absl::StatusOr<v1::AbortResponse> GrpcPeers::Abort(const v1::AbortRequest& req,
                                                   Deadline deadline) {
  return Call(coordinator_.get(), &v1::Coordinator::Stub::Abort, req, deadline);
}

absl::StatusOr<v1::Transaction> GrpcPeers::GetTransaction(
    const v1::GetTransactionRequest& req, Deadline deadline) {
  return Call(coordinator_.get(), &v1::Coordinator::Stub::GetTransaction, req,
              deadline);
}

void GrpcPeers::ReserveStock(const v1::ReserveStockRequest& req,
                             Deadline deadline,
                             Done<v1::ReserveStockResponse> done) {
  CallAsync<v1::ReserveStockRequest, v1::ReserveStockResponse>(
      req, deadline, std::move(done),
      [this](auto... args) { inventory_->async()->ReserveStock(args...); });
}

void GrpcPeers::HoldSeats(const v1::HoldSeatsRequest& req, Deadline deadline,
                          Done<v1::HoldSeatsResponse> done) {
  CallAsync<v1::HoldSeatsRequest, v1::HoldSeatsResponse>(
      req, deadline, std::move(done),
      [this](auto... args) { seat_->async()->HoldSeats(args...); });
}

void GrpcPeers::HoldBookings(const v1::HoldBookingsRequest& req,
                             Deadline deadline,
                             Done<v1::HoldBookingsResponse> done) {
  if (booking_ == nullptr) {
    done(Refused("BOOKING_NOT_SERVED",
                 "this order service has no booking service (--booking)"));
    return;
  }
  CallAsync<v1::HoldBookingsRequest, v1::HoldBookingsResponse>(
      req, deadline, std::move(done),
      [this](auto... args) { booking_->async()->HoldBookings(args...); });
}

void GrpcPeers::AuthorizePayment(const v1::AuthorizePaymentRequest& req,
                                 Deadline deadline,
                                 Done<v1::AuthorizePaymentResponse> done) {
  CallAsync<v1::AuthorizePaymentRequest, v1::AuthorizePaymentResponse>(
      req, deadline, std::move(done),
      [this](auto... args) { payment_->async()->AuthorizePayment(args...); });
}

v1::Participant::Stub* GrpcPeers::ParticipantStub(
    const std::string& participant) {
  auto it = participants_.find(participant);
  return it == participants_.end() ? nullptr : it->second.get();
}

void GrpcPeers::Confirm(const std::string& participant, const std::string& gid,
                        Deadline deadline, Done<v1::ConfirmResponse> done) {
  v1::Participant::Stub* stub = ParticipantStub(participant);
  if (stub == nullptr) {
    done(absl::InvalidArgumentError("unknown participant " + participant));
    return;
  }
  v1::ConfirmRequest req;
  req.mutable_txn()->set_gid(gid);
  req.mutable_txn()->set_branch_id(participant);
  CallAsync<v1::ConfirmRequest, v1::ConfirmResponse>(
      req, deadline, std::move(done),
      [stub](auto... args) { stub->async()->Confirm(args...); });
}

void GrpcPeers::Cancel(const std::string& participant, const std::string& gid,
                       v1::CancelReason reason, Deadline deadline,
                       Done<v1::CancelResponse> done) {
  v1::Participant::Stub* stub = ParticipantStub(participant);
  if (stub == nullptr) {
    done(absl::InvalidArgumentError("unknown participant " + participant));
    return;
  }
  v1::CancelRequest req;
  req.mutable_txn()->set_gid(gid);
  req.mutable_txn()->set_branch_id(participant);
  req.set_reason(reason);
  CallAsync<v1::CancelRequest, v1::CancelResponse>(
      req, deadline, std::move(done),
      [stub](auto... args) { stub->async()->Cancel(args...); });
}

}  // namespace turnstile::order
