// Unit tests of the inventory input rules and pricing (no server, no
// database): every limit of inventory.proto on both sides of its edge.
#include <gtest/gtest.h>

#include <string>

#include "services/common/status.h"
#include "services/inventory/pricing.h"
#include "services/inventory/validation.h"

namespace turnstile::inventory {
namespace {

constexpr char kGid[] = "01890a5d-ac96-774b-bcce-b302099a8057";

NewSku GoodSku() { return {"sku-1", "T-shirt", "EUR", 1999, 100, 2}; }

ReserveCommand GoodReserve() {
  return {kGid, "inventory", "user-1", {{"b", 1}, {"a", 2}}};
}

TEST(InventoryValidation, AcceptsGoodSku) {
  EXPECT_TRUE(ValidateNewSku(GoodSku()).ok());
  NewSku edges = GoodSku();
  edges.price_minor = kMaxPriceMinor;
  edges.stock = kMaxStock;
  edges.per_user_limit = kMaxPerUserLimit;
  edges.sku_id = std::string(64, 'x');
  edges.name = std::string(200, 'n');
  EXPECT_TRUE(ValidateNewSku(edges).ok());
  edges.price_minor = 0;
  edges.stock = 0;
  edges.per_user_limit = 0;
  EXPECT_TRUE(ValidateNewSku(edges).ok());
}

TEST(InventoryValidation, RejectsBadSku) {
  auto bad = [](auto mutate) {
    NewSku sku = GoodSku();
    mutate(sku);
    return ValidateNewSku(sku).code();
  };
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(bad([](NewSku& s) { s.sku_id = ""; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.sku_id = std::string(65, 'x'); }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.sku_id = "a b"; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.sku_id = "a'b"; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.sku_id = "a,b"; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.name = ""; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.name = std::string(201, 'n'); }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.name = "a\nb"; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.currency = ""; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.currency = "eur"; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.currency = "EURO"; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.price_minor = -1; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.price_minor = kMaxPriceMinor + 1; }),
            kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.stock = -1; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.stock = kMaxStock + 1; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.per_user_limit = -1; }), kInvalid);
  EXPECT_EQ(bad([](NewSku& s) { s.per_user_limit = kMaxPerUserLimit + 1; }),
            kInvalid);
}

TEST(InventoryValidation, Page) {
  EXPECT_EQ(*ValidatePage(0, ""), kDefaultPageSize);
  EXPECT_EQ(*ValidatePage(1, "sku-1"), 1);
  EXPECT_EQ(*ValidatePage(kMaxPageSize, ""), kMaxPageSize);
  EXPECT_FALSE(ValidatePage(-1, "").ok());
  EXPECT_FALSE(ValidatePage(kMaxPageSize + 1, "").ok());
  EXPECT_FALSE(ValidatePage(10, "bad token").ok());
  EXPECT_FALSE(ValidatePage(10, std::string(65, 'x')).ok());
}

TEST(InventoryValidation, AcceptsGoodReserve) {
  EXPECT_TRUE(ValidateReserve(GoodReserve()).ok());
  ReserveCommand many = GoodReserve();
  many.items.clear();
  for (size_t i = 0; i < kMaxItems; ++i) {
    many.items.push_back({"sku-" + std::to_string(i), kMaxQuantity});
  }
  EXPECT_TRUE(ValidateReserve(many).ok());
}

TEST(InventoryValidation, RejectsBadReserve) {
  auto bad = [](auto mutate) {
    ReserveCommand command = GoodReserve();
    mutate(command);
    return ValidateReserve(command).code();
  };
  constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;
  using C = ReserveCommand;
  EXPECT_EQ(bad([](C& c) { c.gid = ""; }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.gid = "not-a-uuid"; }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.gid = std::string(kGid) + "0"; }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.branch_id = ""; }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.branch_id = "Inventory"; }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.branch_id = std::string(65, 'b'); }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.user_id = ""; }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.user_id = std::string(65, 'u'); }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.items.clear(); }), kInvalid);
  EXPECT_EQ(bad([](C& c) {
              c.items.clear();
              for (size_t i = 0; i <= kMaxItems; ++i) {
                c.items.push_back({"s" + std::to_string(i), 1});
              }
            }),
            kInvalid);
  EXPECT_EQ(bad([](C& c) { c.items[0].quantity = 0; }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.items[0].quantity = -5; }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.items[0].quantity = kMaxQuantity + 1; }),
            kInvalid);
  EXPECT_EQ(bad([](C& c) { c.items[0].sku_id = ""; }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.items[0].sku_id = "x\"y"; }), kInvalid);
  EXPECT_EQ(bad([](C& c) { c.items[1].sku_id = c.items[0].sku_id; }), kInvalid);
}

TEST(InventoryValidation, SortsBySkuId) {
  const ReserveCommand sorted = SortedBySku(
      {kGid, "inventory", "u", {{"b", 1}, {"C", 2}, {"a", 3}, {"a-1", 4}}});
  ASSERT_EQ(sorted.items.size(), 4u);
  // Byte order, as the "C" collation of the sku table.
  EXPECT_EQ(sorted.items[0].sku_id, "C");
  EXPECT_EQ(sorted.items[1].sku_id, "a");
  EXPECT_EQ(sorted.items[2].sku_id, "a-1");
  EXPECT_EQ(sorted.items[3].sku_id, "b");
  EXPECT_EQ(sorted.items[3].quantity, 1);
}

TEST(InventoryPricing, SumsLines) {
  auto total = PriceLines({{"a", 2, 150, "EUR"}, {"b", 3, 1000, "EUR"}});
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(total->currency, "EUR");
  EXPECT_EQ(total->minor, 3300);
  auto empty = PriceLines({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->minor, 0);
}

TEST(InventoryPricing, RefusesMixedCurrencies) {
  auto total = PriceLines({{"a", 1, 1, "EUR"}, {"b", 1, 1, "USD"}});
  EXPECT_EQ(total.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(total.status()), "MIXED_CURRENCY");
}

TEST(InventoryPricing, RefusesOverflow) {
  // The largest single line fits: 10^6 * 10^12 = 10^18.
  auto one = PriceLines({{"a", kMaxQuantity, kMaxPriceMinor, "EUR"}});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->minor, 1'000'000'000'000'000'000);
  std::vector<ReservedLine> lines;
  for (int i = 0; i < 10; ++i) {
    lines.push_back(
        {"s" + std::to_string(i), kMaxQuantity, kMaxPriceMinor, "EUR"});
  }
  auto total = PriceLines(lines);
  EXPECT_EQ(total.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(total.status()), "AMOUNT_TOO_LARGE");
  auto product = PriceLines({{"a", 1'000'000'000, 1'000'000'000'000, "EUR"}});
  EXPECT_EQ(ReasonOf(product.status()), "AMOUNT_TOO_LARGE");
}

}  // namespace
}  // namespace turnstile::inventory
