#include "tests/support/inventory_harness.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/support/mesh_test.h"
#include "tests/support/try_deadline.h"

namespace turnstile::testing {

v1::CreateSkuRequest SkuRequest(const std::string& id, int64_t stock,
                                int64_t price, int32_t limit,
                                const std::string& currency) {
  v1::CreateSkuRequest r;
  r.set_sku_id(id);
  r.set_name("Item " + id);
  r.mutable_price()->set_currency(currency);
  r.mutable_price()->set_minor_units(price);
  r.set_stock(stock);
  r.set_per_user_limit(limit);
  return r;
}

v1::ReserveStockRequest ReserveRequest(
    const std::string& gid, const std::string& user,
    const std::vector<std::pair<std::string, int64_t>>& items,
    const std::string& branch) {
  v1::ReserveStockRequest r;
  r.mutable_txn()->set_gid(gid);
  r.mutable_txn()->set_branch_id(branch);
  r.set_user_id(user);
  testing::SetTryDeadline(r.mutable_deadline());
  for (const auto& [sku, quantity] : items) {
    auto* item = r.add_items();
    item->set_sku_id(sku);
    item->set_quantity(quantity);
  }
  return r;
}

void InventoryHarness::Connected() {
  inventory_ = v1::Inventory::NewStub(channel_);
  inventory_try_ = v1::Inventory::NewStub(Channel("order"));
}

void InventoryHarness::Disconnected() {
  inventory_.reset();
  inventory_try_.reset();
}

Outcome InventoryHarness::CreateSku(const v1::CreateSkuRequest& request,
                                    v1::Sku* out) {
  v1::Sku sku;
  auto status = inventory_->CreateSku(Ctx().get(), request, &sku);
  if (out) *out = sku;
  return OutcomeOf(status);
}

Outcome InventoryHarness::GetSku(const std::string& id, v1::Sku* out) {
  v1::GetSkuRequest request;
  request.set_sku_id(id);
  v1::Sku sku;
  auto status = inventory_->GetSku(Ctx().get(), request, &sku);
  if (out) *out = sku;
  return OutcomeOf(status);
}

Outcome InventoryHarness::List(int32_t page_size, const std::string& token,
                               v1::ListSkusResponse* out) {
  v1::ListSkusRequest request;
  request.set_page_size(page_size);
  request.set_page_token(token);
  v1::ListSkusResponse response;
  auto status = inventory_->ListSkus(Ctx().get(), request, &response);
  if (out) *out = response;
  return OutcomeOf(status);
}

Outcome InventoryHarness::Reserve(const v1::ReserveStockRequest& request,
                                  v1::ReserveStockResponse* out) {
  v1::ReserveStockResponse response;
  auto status = inventory_try_->ReserveStock(Ctx().get(), request, &response);
  if (out) *out = response;
  return OutcomeOf(status);
}

Outcome InventoryHarness::Reconcile(const std::string& sku,
                                    v1::ReconcileResponse* out) {
  v1::ReconcileRequest request;
  request.set_sku_id(sku);
  v1::ReconcileResponse response;
  auto status = inventory_->Reconcile(Ctx().get(), request, &response);
  if (out) *out = response;
  return OutcomeOf(status);
}

std::string InventoryHarness::Stock(const std::string& sku) const {
  return Query(
      "SELECT sum(available) || '/' || sum(locked) || '/' || sum(sold) || "
      "'/' || sum(total) FROM stock WHERE sku_id = '" +
      sku + "'");
}

std::string InventoryHarness::Reservations(const std::string& gid,
                                           const std::string& branch) const {
  return Query(
      "SELECT string_agg(sku_id || ':' || state || ':' || quantity, ',' "
      "ORDER BY sku_id) FROM reservation WHERE gid = '" +
      gid + "' AND branch_id = '" + branch + "'");
}
int64_t InventoryHarness::Purchased(const std::string& user,
                                    const std::string& sku) const {
  const std::string q =
      Query("SELECT quantity FROM user_purchase WHERE user_id = '" + user +
            "' AND sku_id = '" + sku + "'");
  return q.empty() ? -1 : std::stoll(q);
}
std::string InventoryHarness::Snapshot() const {
  return Query(
      "SELECT concat_ws(' | ', "
      "(SELECT count(*) FROM tcc_barrier), "
      "(SELECT count(*) FROM sku), "
      "(SELECT string_agg(sku_id || ':' || name || ':' || price_minor || "
      "':' || currency || ':' || per_user_limit, ',' ORDER BY sku_id) "
      "FROM sku), "
      "(SELECT string_agg(sku_id || ':' || total || ':' || available || ':' "
      "|| locked || ':' || sold || ':' || version, ',' ORDER BY sku_id) "
      "FROM stock), "
      "(SELECT string_agg(gid || ':' || branch_id || ':' || sku_id || ':' "
      "|| state || ':' || quantity, ',' ORDER BY gid, branch_id, sku_id) "
      "FROM reservation), "
      "(SELECT string_agg(user_id || ':' || sku_id || ':' || quantity, ',' "
      "ORDER BY user_id, sku_id) FROM user_purchase))");
}

std::string InventoryHarness::RedisGate(const std::string& sku) const {
  const std::string t = "ts:{sku:" + sku + "}:";
  const auto stock = SharedRedis().HGetAll(t + "stock");
  if (stock.empty()) return "(no gate)";
  std::vector<std::string> users, res;
  for (const auto& [u, n] : SharedRedis().HGetAll(t + "users")) {
    users.push_back(u + "=" + n);
  }
  for (const auto& [owner, rec] : SharedRedis().HGetAll(t + "res")) {
    std::vector<std::string> w = absl::StrSplit(rec, ' ');
    res.push_back(owner + "=" + w.at(0) + " " + w.at(2));
  }
  return absl::StrCat("remaining=", stock.at("remaining"),
                      " limit=", stock.at("limit"), " users={",
                      absl::StrJoin(users, ","), "} res={",
                      absl::StrJoin(res, ","), "}");
}

std::string InventoryHarness::PgGate(const std::string& sku) const {
  return Query(
      "SELECT 'remaining=' || (SELECT sum(available) FROM stock WHERE "
      "sku_id = '" +
      sku +
      "') || ' limit=' || (SELECT per_user_limit FROM sku WHERE "
      "sku_id = '" +
      sku +
      "') || ' users={' || coalesce((SELECT string_agg(user_id || '=' || "
      "quantity, ',' ORDER BY user_id) FROM user_purchase WHERE sku_id = '" +
      sku +
      "' AND quantity > 0), '') || '} res={' || coalesce((SELECT "
      "string_agg(gid || ':' || branch_id || '=' || quantity || ' ' || "
      "user_id, ',' ORDER BY (gid::text || ':' || branch_id) COLLATE "
      "\"C\") FROM "
      "reservation WHERE sku_id = '" +
      sku + "' AND state = 'LOCKED'), '') || '}'");
}

}  // namespace turnstile::testing
