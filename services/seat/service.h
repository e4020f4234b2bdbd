// gRPC handlers of the seat process: turnstile.v1.Seat (events, seat maps,
// the HoldSeats Try and Reconcile) and turnstile.v1.Participant
// (Confirm/Cancel of the branches HoldSeats created). Handlers validate,
// translate between protobuf and model.h, call the store, the gate-aware
// TCC steps (tcc.h) or the reconciler, and map statuses; no SQL here.
#pragma once

#include "services/seat/reconciler.h"
#include "services/seat/seat_catalog.h"
#include "services/seat/store.h"
#include "services/seat/tcc.h"
#include "turnstile/v1/participant.grpc.pb.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile::seat {

class SeatService final : public turnstile::v1::Seat::Service {
 public:
  SeatService(SeatStore* store, SeatCatalog* catalog, SeatTcc* tcc,
              Reconciler* reconciler)
      : store_(store), catalog_(catalog), tcc_(tcc), reconciler_(reconciler) {}

  grpc::Status CreateEvent(grpc::ServerContext* context,
                           const turnstile::v1::CreateEventRequest* request,
                           turnstile::v1::Event* response) override;
  grpc::Status GetSeatMap(grpc::ServerContext* context,
                          const turnstile::v1::GetSeatMapRequest* request,
                          turnstile::v1::SeatMap* response) override;
  grpc::Status HoldSeats(grpc::ServerContext* context,
                         const turnstile::v1::HoldSeatsRequest* request,
                         turnstile::v1::HoldSeatsResponse* response) override;
  grpc::Status Reconcile(
      grpc::ServerContext* context,
      const turnstile::v1::ReconcileSeatsRequest* request,
      turnstile::v1::ReconcileSeatsResponse* response) override;

 private:
  SeatStore* store_;
  SeatCatalog* catalog_;
  SeatTcc* tcc_;
  Reconciler* reconciler_;
};

class SeatParticipant final : public turnstile::v1::Participant::Service {
 public:
  explicit SeatParticipant(SeatTcc* tcc) : tcc_(tcc) {}

  grpc::Status Confirm(grpc::ServerContext* context,
                       const turnstile::v1::ConfirmRequest* request,
                       turnstile::v1::ConfirmResponse* response) override;
  grpc::Status Cancel(grpc::ServerContext* context,
                      const turnstile::v1::CancelRequest* request,
                      turnstile::v1::CancelResponse* response) override;

 private:
  SeatTcc* tcc_;
};

}  // namespace turnstile::seat
