// gRPC handlers of the seat process: turnstile.v1.Seat (events, seat maps
// and the HoldSeats Try) and turnstile.v1.Participant (Confirm/Cancel of the
// branches HoldSeats created). Handlers validate, translate between protobuf
// and model.h, call the store and map statuses; no SQL here.
#pragma once

#include "services/seat/store.h"
#include "turnstile/v1/participant.grpc.pb.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile::seat {

class SeatService final : public turnstile::v1::Seat::Service {
 public:
  explicit SeatService(SeatStore* store) : store_(store) {}

  grpc::Status CreateEvent(grpc::ServerContext* context,
                           const turnstile::v1::CreateEventRequest* request,
                           turnstile::v1::Event* response) override;
  grpc::Status GetSeatMap(grpc::ServerContext* context,
                          const turnstile::v1::GetSeatMapRequest* request,
                          turnstile::v1::SeatMap* response) override;
  grpc::Status HoldSeats(grpc::ServerContext* context,
                         const turnstile::v1::HoldSeatsRequest* request,
                         turnstile::v1::HoldSeatsResponse* response) override;

 private:
  SeatStore* store_;
};

class SeatParticipant final : public turnstile::v1::Participant::Service {
 public:
  explicit SeatParticipant(SeatStore* store) : store_(store) {}

  grpc::Status Confirm(grpc::ServerContext* context,
                       const turnstile::v1::ConfirmRequest* request,
                       turnstile::v1::ConfirmResponse* response) override;
  grpc::Status Cancel(grpc::ServerContext* context,
                      const turnstile::v1::CancelRequest* request,
                      turnstile::v1::CancelResponse* response) override;

 private:
  SeatStore* store_;
};

}  // namespace turnstile::seat
