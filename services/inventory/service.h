// gRPC handlers of the inventory process: turnstile.v1.Inventory (SKUs, the
// ReserveStock Try and the gate Reconcile) and turnstile.v1.Participant
// (Confirm/Cancel of the branches ReserveStock created). Handlers validate,
// translate between protobuf and model.h, call the flow (gate + store), the
// store or the reconciler and map statuses; no SQL and no Redis here.
#pragma once

#include "services/common/second_phase.h"
#include "services/inventory/reconciler.h"
#include "services/inventory/stock_flow.h"
#include "services/inventory/store.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile::inventory {

class InventoryService final : public turnstile::v1::Inventory::Service {
 public:
  // `reconciler` is null unless the gate strategy runs.
  InventoryService(InventoryStore* store, StockFlow* flow,
                   Reconciler* reconciler)
      : store_(store), flow_(flow), reconciler_(reconciler) {}

  grpc::Status CreateSku(grpc::ServerContext* context,
                         const turnstile::v1::CreateSkuRequest* request,
                         turnstile::v1::Sku* response) override;
  grpc::Status GetSku(grpc::ServerContext* context,
                      const turnstile::v1::GetSkuRequest* request,
                      turnstile::v1::Sku* response) override;
  grpc::Status ListSkus(grpc::ServerContext* context,
                        const turnstile::v1::ListSkusRequest* request,
                        turnstile::v1::ListSkusResponse* response) override;
  grpc::Status ReserveStock(
      grpc::ServerContext* context,
      const turnstile::v1::ReserveStockRequest* request,
      turnstile::v1::ReserveStockResponse* response) override;
  grpc::Status Reconcile(grpc::ServerContext* context,
                         const turnstile::v1::ReconcileRequest* request,
                         turnstile::v1::ReconcileResponse* response) override;

 private:
  InventoryStore* store_;
  StockFlow* flow_;
  Reconciler* reconciler_;
};

// Participant.Confirm/Cancel of the inventory branch (services/common/
// second_phase.h over StockFlow).
turnstile::SecondPhaseParticipant::Spec ParticipantSpec(StockFlow* flow);

}  // namespace turnstile::inventory
