// gRPC handlers of the booking process: turnstile.v1.Booking (venues, runs,
// availability, the HoldBookings Try and Reconcile) and turnstile.v1.
// Participant (Confirm/Cancel of the branches HoldBookings created).
// Handlers validate (translate.h, requests.h), translate between protobuf
// and model.h, and call the store (catalogue writes), the catalogue, the
// gate-aware TCC steps (tcc.h) or the reconciler; no SQL here. The four
// availability RPCs (FreeMachines, FreeWindows, RemainingSeats,
// GetStopMatrix) read only the Redis gate and the in-memory catalogue (a
// missing gate is rebuilt from PostgreSQL, then read); they are served with
// gRPC's callback API and handed to the bounded readers (read_queue.h), so
// that no gRPC thread waits for Redis and the sync thread quota does not
// bound them. Their handlers split into the plan (validate, the gate call)
// and the answer (translate the gate's reply), both run by a reader.
#pragma once

#include "services/booking/catalog.h"
#include "services/booking/read_queue.h"
#include "services/booking/reconciler.h"
#include "services/booking/seat_choice.h"
#include "services/booking/store.h"
#include "services/booking/tcc.h"
#include "services/common/range_gate.h"
#include "services/common/second_phase.h"
#include "turnstile/v1/booking.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile::booking {

// The sync service with the four availability reads as callback methods.
using BookingServiceBase =
    turnstile::v1::Booking::WithCallbackMethod_FreeMachines<
        turnstile::v1::Booking::WithCallbackMethod_FreeWindows<
            turnstile::v1::Booking::WithCallbackMethod_RemainingSeats<
                turnstile::v1::Booking::WithCallbackMethod_GetStopMatrix<
                    turnstile::v1::Booking::Service>>>>;

class BookingService final : public BookingServiceBase {
 public:
  BookingService(BookingStore* store, BookingCatalog* catalog, BookingTcc* tcc,
                 BookingReconciler* reconciler, ReadQueue* reads)
      : store_(store),
        catalog_(catalog),
        tcc_(tcc),
        reconciler_(reconciler),
        reads_(reads) {}

  grpc::Status CreateVenue(grpc::ServerContext* context,
                           const v1::CreateVenueRequest* request,
                           v1::Venue* response) override;
  grpc::Status GetVenue(grpc::ServerContext* context,
                        const v1::GetVenueRequest* request,
                        v1::Venue* response) override;
  grpc::ServerUnaryReactor* FreeMachines(
      grpc::CallbackServerContext* context,
      const v1::FreeMachinesRequest* request,
      v1::FreeMachinesResponse* response) override;
  grpc::ServerUnaryReactor* FreeWindows(
      grpc::CallbackServerContext* context,
      const v1::FreeWindowsRequest* request,
      v1::FreeWindowsResponse* response) override;
  grpc::Status CreateRun(grpc::ServerContext* context,
                         const v1::CreateRunRequest* request,
                         v1::Run* response) override;
  grpc::Status GetRun(grpc::ServerContext* context,
                      const v1::GetRunRequest* request,
                      v1::Run* response) override;
  grpc::ServerUnaryReactor* RemainingSeats(
      grpc::CallbackServerContext* context,
      const v1::RemainingSeatsRequest* request,
      v1::RemainingSeatsResponse* response) override;
  grpc::ServerUnaryReactor* GetStopMatrix(
      grpc::CallbackServerContext* context,
      const v1::GetStopMatrixRequest* request,
      v1::StopMatrix* response) override;
  grpc::Status HoldBookings(grpc::ServerContext* context,
                            const v1::HoldBookingsRequest* request,
                            v1::HoldBookingsResponse* response) override;
  grpc::Status Reconcile(grpc::ServerContext* context,
                         const v1::ReconcileBookingsRequest* request,
                         v1::ReconcileBookingsResponse* response) override;

 private:
  absl::StatusOr<std::shared_ptr<const CachedVenue>> LoadVenue(
      const std::string& venue_id);
  absl::StatusOr<std::shared_ptr<const CachedRun>> LoadRun(
      const std::string& run_id);
  // Queues an availability read (read_queue.h) whose finish ends the call.
  grpc::ServerUnaryReactor* QueueRead(grpc::CallbackServerContext* context,
                                      ReadJob job);

  BookingStore* store_;
  BookingCatalog* catalog_;
  BookingTcc* tcc_;
  BookingReconciler* reconciler_;
  ReadQueue* reads_;
};

// Participant.Confirm/Cancel of the booking branch (services/common/
// second_phase.h over BookingTcc).
turnstile::SecondPhaseParticipant::Spec ParticipantSpec(BookingTcc* tcc);

}  // namespace turnstile::booking
