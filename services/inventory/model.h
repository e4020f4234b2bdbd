// Plain data of the inventory service, shared by the gRPC layer, the
// validation and pricing rules and the store, so that none of them depends
// on another's representation (no protobuf below service.cc, no SQL above
// store.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace turnstile::inventory {

// A SKU to create with its initial stock.
struct NewSku {
  std::string sku_id;
  std::string name;
  std::string currency;
  int64_t price_minor = 0;
  int64_t stock = 0;
  int64_t per_user_limit = 0;  // 0 = no limit
};

// A SKU with its stock counters, as stored.
struct SkuRecord {
  std::string sku_id;
  std::string name;
  std::string currency;
  int64_t price_minor = 0;
  int64_t per_user_limit = 0;
  int64_t total = 0;
  int64_t available = 0;
  int64_t locked = 0;
  int64_t sold = 0;
};

// One page of ListSkus; next_page_token is empty on the last page.
struct SkuPage {
  std::vector<SkuRecord> skus;
  std::string next_page_token;
};

// One requested line of a reservation.
struct StockLine {
  std::string sku_id;
  int64_t quantity = 0;
};

// The Try of an inventory branch.
struct ReserveCommand {
  std::string gid;
  std::string branch_id;
  std::string user_id;
  std::vector<StockLine> items;
};

// One reserved line with the unit price it was reserved at.
struct ReservedLine {
  std::string sku_id;
  int64_t quantity = 0;
  int64_t unit_price_minor = 0;
  std::string currency;
};

// The result of a Try: the reserved lines (sku_id order) and their total.
struct Reservation {
  std::vector<ReservedLine> items;
  std::string currency;
  int64_t total_minor = 0;
  bool duplicate = false;  // a repeat of a Try that had already succeeded
};

}  // namespace turnstile::inventory
