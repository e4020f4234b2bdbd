// The pure rules every Try follows (issue 7 item 5): the transaction deadline
// (services/common/try_deadline.h) and the canonical content a repeat is
// compared by (services/common/try_content.h and each participant's
// TryContentOf).

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "services/common/status.h"
#include "services/common/try_content.h"
#include "services/common/try_deadline.h"
#include "services/inventory/validation.h"
#include "services/order/model.h"
#include "services/payment/validation.h"
#include "services/seat/validation.h"

namespace turnstile {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;

TEST(TryDeadlineMs, RequiredPlausibleAndAhead) {
  EXPECT_EQ(*TryDeadlineMs(true, 1'800'000'100, 500'000'000, kNow),
            1'800'000'100'500);
  const int64_t max_s = (kNow + kMaxTryDeadlineAheadMs) / 1000;
  EXPECT_TRUE(TryDeadlineMs(true, max_s, 999'999'999, kNow).ok());
  EXPECT_EQ(TryDeadlineMs(false, 0, 0, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (auto [s, n] : std::vector<std::pair<int64_t, int32_t>>{
           {max_s + 1, 0},
           {kMinTryDeadlineSeconds - 1, 0},
           {0, 0},
           {-5, 0},
           {1'800'000'100, -1},
           {1'800'000'100, 1'000'000'000}}) {
    const auto r = TryDeadlineMs(true, s, n, kNow);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
        << s << "." << n;
  }
}

TEST(TryDeadlineMs, PastOrNowIsTooLate) {
  for (int64_t s : {int64_t{1'700'000'000}, kNow / 1000}) {
    const auto r = TryDeadlineMs(true, s, 0, kNow);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted) << s;
    EXPECT_EQ(ReasonOf(r.status()), "TXN_DEADLINE");
  }
  EXPECT_TRUE(CheckBeforeDeadline(kNow + 1, kNow).ok());
  EXPECT_EQ(ReasonOf(CheckBeforeDeadline(kNow, kNow)), "TXN_DEADLINE");
}

TEST(TryContent, FieldsCannotBeForgedAcrossBoundaries) {
  EXPECT_NE(TryContent().Add("a", "b;c=1:d").str(),
            TryContent().Add("a", "b").Add("c", "d").str());
  EXPECT_EQ(TryContent().Add("n", int64_t{42}).str(), "n=2:42;");
}

TEST(TryContent, PaymentDiffersByUserCurrencyAndAmount) {
  const std::string base = payment::TryContentOf("alice", "EUR", 100);
  EXPECT_EQ(base, payment::TryContentOf("alice", "EUR", 100));
  EXPECT_NE(base, payment::TryContentOf("bob", "EUR", 100));
  EXPECT_NE(base, payment::TryContentOf("alice", "USD", 100));
  EXPECT_NE(base, payment::TryContentOf("alice", "EUR", 101));
}

TEST(TryContent, InventoryDiffersByUserAndItems) {
  inventory::ReserveCommand base{"g", "inventory", "alice", {{"a", 1}}};
  const std::string text = inventory::TryContentOf(base);
  auto other = base;
  other.user_id = "bob";
  EXPECT_NE(text, inventory::TryContentOf(other));
  other = base;
  other.items[0].quantity = 2;
  EXPECT_NE(text, inventory::TryContentOf(other));
  other = base;
  other.items.push_back({"b", 1});
  EXPECT_NE(text, inventory::TryContentOf(other));
  // The deadline is not content: a retry carries the same one anyway.
  other = base;
  other.deadline_ms = 5;
  EXPECT_EQ(text, inventory::TryContentOf(other));
}

TEST(TryContent, SeatDiffersByUserEventAndSeats) {
  seat::HoldCommand base{"g", "seat", "alice", "e1", {"A-1-1", "A-1-2"}};
  const std::string text = seat::TryContentOf(base);
  auto other = base;
  other.user_id = "bob";
  EXPECT_NE(text, seat::TryContentOf(other));
  other = base;
  other.event_id = "e2";
  EXPECT_NE(text, seat::TryContentOf(other));
  other = base;
  other.seat_ids.pop_back();
  EXPECT_NE(text, seat::TryContentOf(other));
}

TEST(TryContent, OrderDiffersByUserAndLines) {
  order::OrderRecord base;
  base.order_id = "g";
  base.user_id = "alice";
  base.request_id = "r1";
  base.total_minor = 300;
  base.currency = "EUR";
  base.items.push_back({"sku", "a", "", "", 3, 100});
  const std::string text = order::TryContentOf(base);
  auto other = base;
  other.user_id = "bob";
  EXPECT_NE(text, order::TryContentOf(other));
  other = base;
  other.items[0].quantity = 2;
  EXPECT_NE(text, order::TryContentOf(other));
}

}  // namespace
}  // namespace turnstile
