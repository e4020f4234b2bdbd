// ServiceHarness for turnstile-inventory: the Inventory stub, one helper per
// RPC (each returns the Outcome and optionally the response), the requests
// the inventory service and concurrency tests build, and the PostgreSQL and
// Redis views of stock and of the gate that the inventory integration tests
// compare.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/service_harness.h"
#include "turnstile/v1/inventory.grpc.pb.h"

namespace turnstile::testing {

v1::CreateSkuRequest SkuRequest(const std::string& id, int64_t stock,
                                int64_t price = 250, int32_t limit = 0,
                                const std::string& currency = "EUR");

v1::ReserveStockRequest ReserveRequest(
    const std::string& gid, const std::string& user,
    const std::vector<std::pair<std::string, int64_t>>& items,
    const std::string& branch = "inventory");

class InventoryHarness : public ServiceHarness {
 protected:
  InventoryHarness(std::string db_prefix, int log_tail_lines)
      : ServiceHarness("inventory", std::move(db_prefix), log_tail_lines) {}

  void Connected() override;
  void Disconnected() override;

  Outcome CreateSku(const v1::CreateSkuRequest& request,
                    v1::Sku* out = nullptr);
  Outcome GetSku(const std::string& id, v1::Sku* out = nullptr);
  Outcome List(int32_t page_size, const std::string& token,
               v1::ListSkusResponse* out = nullptr);
  Outcome Reserve(const v1::ReserveStockRequest& request,
                  v1::ReserveStockResponse* out = nullptr);
  Outcome Reconcile(const std::string& sku,
                    v1::ReconcileResponse* out = nullptr);

  // "available/locked/sold/total" summed over the buckets.
  std::string Stock(const std::string& sku) const;
  // States of a branch's reservation lines, e.g. "a:LOCKED:2,b:LOCKED:1".
  std::string Reservations(const std::string& gid,
                           const std::string& branch = "inventory") const;
  // Units the user has bought of the SKU; -1 if no row.
  int64_t Purchased(const std::string& user, const std::string& sku) const;
  // Everything a request could change, as one comparable string.
  std::string Snapshot() const;
  // The gate of a SKU as Redis holds it and as PostgreSQL says it should
  // be (nothing in flight), in one comparable format.
  std::string RedisGate(const std::string& sku) const;
  std::string PgGate(const std::string& sku) const;

  std::unique_ptr<v1::Inventory::Stub> inventory_;      // as turnstilectl
  std::unique_ptr<v1::Inventory::Stub> inventory_try_;  // as order (Tries)
};

}  // namespace turnstile::testing
