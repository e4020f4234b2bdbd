#include "services/inventory/service.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "services/common/process.h"
#include "services/common/second_phase.h"
#include "services/common/status.h"
#include "services/common/trace_grpc.h"
#include "services/common/try_deadline.h"
#include "services/inventory/validation.h"

namespace turnstile::inventory {
namespace {

constexpr char kDomain[] = "inventory.turnstile";

// Outcomes of the TCC phases by result, for dashboards and alerts (a rising
// BRANCH_NOT_TRIED or STOCK_INCONSISTENT count needs an operator).

prometheus::Counter& UnitsReserved() {
  static auto& counter = prometheus::BuildCounter()
                             .Name("turnstile_inventory_units_reserved_total")
                             .Help("Units moved from available to locked")
                             .Register(Metrics())
                             .Add({});
  return counter;
}

PhaseCounter& Phases() {
  static auto* counter =
      new PhaseCounter("inventory", "Inventory TCC phases by phase and result");
  return *counter;
}

void Count(const char* phase, const absl::Status& status,
           const char* ok_result) {
  Phases().Count(phase, status, ok_result);
}

void ToProto(const SkuRecord& sku, turnstile::v1::Sku* out) {
  out->set_sku_id(sku.sku_id);
  out->set_name(sku.name);
  out->mutable_price()->set_currency(sku.currency);
  out->mutable_price()->set_minor_units(sku.price_minor);
  out->set_per_user_limit(static_cast<int32_t>(sku.per_user_limit));
  out->set_total(sku.total);
  out->set_available(sku.available);
  out->set_locked(sku.locked);
  out->set_sold(sku.sold);
  out->set_buckets(static_cast<int32_t>(sku.buckets));
}

}  // namespace

grpc::Status InventoryService::CreateSku(
    grpc::ServerContext* context,
    const turnstile::v1::CreateSkuRequest* request,
    turnstile::v1::Sku* response) {
  const ServerTraceScope trace(*context);
  NewSku sku{request->sku_id(),
             request->name(),
             request->price().currency(),
             request->price().minor_units(),
             request->stock(),
             request->per_user_limit(),
             request->buckets()};
  if (auto s = ValidateNewSku(sku); !s.ok()) return ToGrpc(s, kDomain);
  if (sku.buckets == 0) sku.buckets = 1;
  auto created = flow_->CreateSku(sku);
  if (!created.ok()) return ToGrpc(created.status(), kDomain);
  spdlog::info(
      "event=sku_created sku={} stock={} price={} {} limit={} buckets={}",
      sku.sku_id, sku.stock, sku.price_minor, sku.currency, sku.per_user_limit,
      sku.buckets);
  ToProto(*created, response);
  return grpc::Status::OK;
}

grpc::Status InventoryService::GetSku(
    grpc::ServerContext* context, const turnstile::v1::GetSkuRequest* request,
    turnstile::v1::Sku* response) {
  const ServerTraceScope trace(*context);
  if (auto s = ValidateSkuId(request->sku_id()); !s.ok()) {
    return ToGrpc(s, kDomain);
  }
  auto sku = store_->GetSku(request->sku_id());
  if (!sku.ok()) return ToGrpc(sku.status(), kDomain);
  ToProto(*sku, response);
  return grpc::Status::OK;
}

grpc::Status InventoryService::ListSkus(
    grpc::ServerContext* context, const turnstile::v1::ListSkusRequest* request,
    turnstile::v1::ListSkusResponse* response) {
  const ServerTraceScope trace(*context);
  auto page_size = ValidatePage(request->page_size(), request->page_token());
  if (!page_size.ok()) return ToGrpc(page_size.status(), kDomain);
  auto page = store_->ListSkus(*page_size, request->page_token());
  if (!page.ok()) return ToGrpc(page.status(), kDomain);
  for (const SkuRecord& sku : page->skus) ToProto(sku, response->add_skus());
  response->set_next_page_token(page->next_page_token);
  return grpc::Status::OK;
}

grpc::Status InventoryService::ReserveStock(
    grpc::ServerContext* context,
    const turnstile::v1::ReserveStockRequest* request,
    turnstile::v1::ReserveStockResponse* response) {
  const ServerTraceScope trace(*context);
  const GidScope gid(request->txn().gid());
  ReserveCommand command{
      request->txn().gid(), request->txn().branch_id(), request->user_id(), {}};
  for (const auto& item : request->items()) {
    command.items.push_back({item.sku_id(), item.quantity()});
  }
  if (auto s = ValidateReserve(command); !s.ok()) {
    Count("try", s, "ok");
    return ToGrpc(s, kDomain);
  }
  auto deadline_ms =
      TryDeadlineMs(request->has_deadline(), request->deadline().seconds(),
                    request->deadline().nanos(), WallNowMs());
  if (!deadline_ms.ok()) {
    Count("try", deadline_ms.status(), "ok");
    return ToGrpc(deadline_ms.status(), kDomain);
  }
  command.deadline_ms = *deadline_ms;
  auto reservation = flow_->Reserve(SortedBySku(std::move(command)));
  Count("try", reservation.status(),
        reservation.ok() && reservation->duplicate ? "duplicate" : "ok");
  if (!reservation.ok()) {
    spdlog::info(
        "event=stock_refused gid={} branch={} user={} code={} "
        "reason={} error=\"{}\"",
        request->txn().gid(), request->txn().branch_id(), request->user_id(),
        absl::StatusCodeToString(reservation.status().code()),
        ReasonOf(reservation.status()),
        std::string(reservation.status().message()));
    return ToGrpc(reservation.status(), kDomain);
  }
  int64_t units = 0;
  for (const ReservedLine& line : reservation->items) {
    auto* item = response->add_items();
    item->set_sku_id(line.sku_id);
    item->set_quantity(line.quantity);
    item->mutable_unit_price()->set_currency(line.currency);
    item->mutable_unit_price()->set_minor_units(line.unit_price_minor);
    units += line.quantity;
  }
  response->mutable_total()->set_currency(reservation->currency);
  response->mutable_total()->set_minor_units(reservation->total_minor);
  if (!reservation->duplicate) UnitsReserved().Increment(units);
  spdlog::info(
      "event=stock_reserved gid={} branch={} user={} lines={} "
      "units={} total={} duplicate={}",
      request->txn().gid(), request->txn().branch_id(), request->user_id(),
      reservation->items.size(), units, reservation->total_minor,
      reservation->duplicate);
  return grpc::Status::OK;
}

grpc::Status InventoryService::Reconcile(
    grpc::ServerContext* context,
    const turnstile::v1::ReconcileRequest* request,
    turnstile::v1::ReconcileResponse* response) {
  const ServerTraceScope trace(*context);
  if (auto s = ValidateReconcileSku(request->sku_id()); !s.ok()) {
    return ToGrpc(s, kDomain);
  }
  if (reconciler_ == nullptr) {
    return ToGrpc(
        Error(absl::StatusCode::kFailedPrecondition, "GATE_DISABLED",
              absl::StrCat("no Redis gate with --reservation_strategy=",
                           StrategyName(flow_->strategy()))),
        kDomain);
  }
  auto report = request->sku_id().empty()
                    ? reconciler_->ReconcileAll()
                    : reconciler_->ReconcileSku(request->sku_id());
  if (!report.ok()) {
    spdlog::warn("event=reconcile_failed trigger=rpc sku={} error=\"{}\"",
                 request->sku_id(), std::string(report.status().message()));
    return ToGrpc(report.status(), kDomain);
  }
  response->set_skus_checked(report->skus_checked);
  response->set_keys_rebuilt(report->keys_rebuilt);
  response->set_fixes(report->fixes);
  for (const std::string& d : report->differences) {
    response->add_differences(d);
  }
  spdlog::info(
      "event=reconcile_done trigger=rpc sku={} skus={} rebuilt={} fixes={}",
      request->sku_id(), report->skus_checked, report->keys_rebuilt,
      report->fixes);
  return grpc::Status::OK;
}

turnstile::SecondPhaseParticipant::Spec ParticipantSpec(StockFlow* flow) {
  return {kDomain,
          "stock_confirmed",
          "stock_cancelled",
          [flow](const std::string& gid, const std::string& branch) {
            return flow->Confirm(gid, branch);
          },
          [flow](const std::string& gid, const std::string& branch) {
            return flow->Cancel(gid, branch);
          },
          &Phases()};
}

}  // namespace turnstile::inventory
