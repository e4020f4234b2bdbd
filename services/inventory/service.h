// gRPC handlers of the inventory process: turnstile.v1.Inventory (SKUs and
// the ReserveStock Try) and turnstile.v1.Participant (Confirm/Cancel of the
// branches ReserveStock created). Handlers validate, translate between
// protobuf and model.h, call the store and map statuses; no SQL here.
#pragma once

#include "services/inventory/store.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile::inventory {

class InventoryService final : public turnstile::v1::Inventory::Service {
 public:
  explicit InventoryService(InventoryStore* store) : store_(store) {}

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

 private:
  InventoryStore* store_;
};

class InventoryParticipant final : public turnstile::v1::Participant::Service {
 public:
  explicit InventoryParticipant(InventoryStore* store) : store_(store) {}

  grpc::Status Confirm(grpc::ServerContext* context,
                       const turnstile::v1::ConfirmRequest* request,
                       turnstile::v1::ConfirmResponse* response) override;
  grpc::Status Cancel(grpc::ServerContext* context,
                      const turnstile::v1::CancelRequest* request,
                      turnstile::v1::CancelResponse* response) override;

 private:
  InventoryStore* store_;
};

}  // namespace turnstile::inventory
