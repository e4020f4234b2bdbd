// gRPC handlers of the seat process: turnstile.v1.Seat (events, seat maps,
// the HoldSeats Try and Reconcile) and turnstile.v1.Participant
// (Confirm/Cancel of the branches HoldSeats created). Handlers validate,
// translate between protobuf and model.h, call the store, the gate-aware
// TCC steps (tcc.h) or the reconciler, and map statuses; no SQL here.
#pragma once

#include "services/common/second_phase.h"
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

// Participant.Confirm/Cancel of the seat branch (services/common/
// second_phase.h over SeatTcc).
turnstile::SecondPhaseParticipant::Spec ParticipantSpec(SeatTcc* tcc);

}  // namespace turnstile::seat
