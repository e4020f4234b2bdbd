// Edge validation of the Order API (services/order/validation.h) and the
// small domain mappings of services/order/model.h: every rule of PlaceOrder,
// the order references of PayOrder/CancelOrder, ListOrders paging and the
// participant's branch check.
#include <gtest/gtest.h>

#include "google/protobuf/unknown_field_set.h"
#include "services/common/status.h"
#include "services/common/uuid.h"
#include "services/order/model.h"
#include "services/order/validation.h"

namespace turnstile::order {
namespace {

v1::PlaceOrderRequest Valid() {
  v1::PlaceOrderRequest req;
  req.set_request_id("req 1/with spaces");
  auto* stock = req.add_lines();
  stock->set_sku_id("sku-a");
  stock->set_quantity(2);
  auto* seat = req.add_lines();
  seat->set_event_id("event-1");
  seat->add_seat_ids("A-1-1");
  seat->add_seat_ids("A-1-2");
  return req;
}

void ExpectInvalid(const v1::PlaceOrderRequest& req, const char* what) {
  auto parsed = ParsePlaceOrder(req, "user-1");
  ASSERT_FALSE(parsed.ok()) << what;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << what;
  EXPECT_EQ(ReasonOf(parsed.status()), "INVALID_ARGUMENT") << what;
}

TEST(ParsePlaceOrder, AcceptsAValidRequestAndKeepsLineOrder) {
  auto req = Valid();
  req.set_pay_now(true);
  auto in = ParsePlaceOrder(req, "user-1");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->user_id, "user-1");
  EXPECT_EQ(in->request_id, "req 1/with spaces");
  EXPECT_TRUE(in->pay_now);
  EXPECT_EQ(in->payment_window_s, 0);
  ASSERT_EQ(in->lines.size(), 2u);
  EXPECT_FALSE(in->lines[0].is_seat());
  EXPECT_EQ(in->lines[0].sku_id, "sku-a");
  EXPECT_EQ(in->lines[0].quantity, 2);
  EXPECT_TRUE(in->lines[1].is_seat());
  EXPECT_EQ(in->lines[1].event_id, "event-1");
  EXPECT_EQ(in->lines[1].seat_ids,
            (std::vector<std::string>{"A-1-1", "A-1-2"}));
  EXPECT_EQ(in->lines[1].quantity, 2);
}

TEST(ParsePlaceOrder, AcceptsTheLimits) {
  v1::PlaceOrderRequest req;
  req.set_request_id(std::string(128, 'r'));
  req.set_payment_window_seconds(86400);
  for (int i = 0; i < 19; ++i) {
    auto* line = req.add_lines();
    line->set_sku_id("sku-" + std::to_string(i));
    line->set_quantity(i == 0 ? 1'000'000 : 1);
  }
  auto* seat = req.add_lines();
  seat->set_event_id("e");
  seat->set_quantity(20);
  for (int i = 0; i < 20; ++i) seat->add_seat_ids("s" + std::to_string(i));
  auto in = ParsePlaceOrder(req, "user-1");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->lines.size(), 20u);
  EXPECT_EQ(in->payment_window_s, 86400);
}

TEST(ParsePlaceOrder, TakesTheUserFromTheCallerNotTheBody) {
  auto in = ParsePlaceOrder(Valid(), "caller-7");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->user_id, "caller-7");
}

TEST(ParsePlaceOrder, RefusesAnOldClientStillSendingUserId) {
  // Field 1 was user_id; an old client sends it and must fail loudly.
  auto req = Valid();
  req.GetReflection()->MutableUnknownFields(&req)->AddLengthDelimited(
      1, "mallory");
  auto parsed = ParsePlaceOrder(req, "user-1");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("field 1"), std::string::npos)
      << parsed.status();
}

TEST(ParsePlaceOrder, RejectsBadRequestIds) {
  auto req = Valid();
  req.set_request_id("");
  ExpectInvalid(req, "empty request_id");
  req.set_request_id(std::string(129, 'r'));
  ExpectInvalid(req, "long request_id");
  req.set_request_id("a\tb");
  ExpectInvalid(req, "control char in request_id");
}

TEST(ParsePlaceOrder, RejectsBadLineCounts) {
  auto req = Valid();
  req.clear_lines();
  ExpectInvalid(req, "no lines");
  for (int i = 0; i < 21; ++i) {
    auto* line = req.add_lines();
    line->set_sku_id("sku-" + std::to_string(i));
    line->set_quantity(1);
  }
  ExpectInvalid(req, "21 lines");
}

TEST(ParsePlaceOrder, RejectsLinesWithBothOrNeitherKind) {
  auto req = Valid();
  req.mutable_lines(0)->set_event_id("event-2");
  ExpectInvalid(req, "sku and event");
  req = Valid();
  req.mutable_lines(0)->clear_sku_id();
  ExpectInvalid(req, "neither sku nor event");
}

TEST(ParsePlaceOrder, RejectsBadStockLines) {
  for (int64_t q : {int64_t{0}, int64_t{-1}, int64_t{1'000'001},
                    std::numeric_limits<int64_t>::max(),
                    std::numeric_limits<int64_t>::min()}) {
    auto req = Valid();
    req.mutable_lines(0)->set_quantity(q);
    ExpectInvalid(req, "quantity");
  }
  auto req = Valid();
  req.mutable_lines(0)->set_sku_id("sku a");
  ExpectInvalid(req, "bad sku id");
  req.mutable_lines(0)->set_sku_id(std::string(65, 's'));
  ExpectInvalid(req, "long sku id");
  req = Valid();
  req.mutable_lines(0)->add_seat_ids("A-1-1");
  ExpectInvalid(req, "seat ids on a stock line");
  req = Valid();
  auto* dup = req.add_lines();
  dup->set_sku_id("sku-a");
  dup->set_quantity(1);
  ExpectInvalid(req, "duplicate sku");
}

TEST(ParsePlaceOrder, RejectsBadSeatLines) {
  auto req = Valid();
  auto* second = req.add_lines();
  second->set_event_id("event-2");
  second->add_seat_ids("B-1-1");
  ExpectInvalid(req, "two seat lines");

  req = Valid();
  req.mutable_lines(1)->clear_seat_ids();
  ExpectInvalid(req, "no seats");
  req = Valid();
  for (int i = 0; i < 19; ++i) {
    req.mutable_lines(1)->add_seat_ids("Z-" + std::to_string(i));
  }
  ExpectInvalid(req, "21 seats");
  req = Valid();
  req.mutable_lines(1)->add_seat_ids("A-1-1");
  ExpectInvalid(req, "duplicate seat");
  req = Valid();
  req.mutable_lines(1)->add_seat_ids("");
  ExpectInvalid(req, "empty seat id");
  req = Valid();
  req.mutable_lines(1)->add_seat_ids("A 1");
  ExpectInvalid(req, "bad seat id");
  req = Valid();
  req.mutable_lines(1)->set_event_id("ev'1");
  ExpectInvalid(req, "bad event id");
  req = Valid();
  req.mutable_lines(1)->set_quantity(3);
  ExpectInvalid(req, "seat quantity not the seat count");
  req = Valid();
  req.mutable_lines(1)->set_quantity(2);
  EXPECT_TRUE(ParsePlaceOrder(req, "user-1").ok());
}

TEST(ParsePlaceOrder, RejectsBadPaymentWindow) {
  auto req = Valid();
  req.set_payment_window_seconds(-1);
  ExpectInvalid(req, "negative window");
  req.set_payment_window_seconds(86401);
  ExpectInvalid(req, "window above a day");
}

TEST(ValidateOrderRef, ChecksOrderIdAndUnknownFields) {
  const std::string id = NewUuidV7();
  v1::PayOrderRequest req;
  EXPECT_TRUE(ValidateOrderRef(req, id).ok());
  EXPECT_EQ(ValidateOrderRef(req, "").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateOrderRef(req, "not-a-uuid").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateOrderRef(req, id + "x").code(),
            absl::StatusCode::kInvalidArgument);
  // The removed user_id (field 2) of an old client.
  req.GetReflection()->MutableUnknownFields(&req)->AddLengthDelimited(2, "u1");
  EXPECT_EQ(ValidateOrderRef(req, id).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseListOrders, DefaultsAndLimits) {
  v1::ListOrdersRequest req;
  auto in = ParseListOrders(req, "u1");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->page_size, 50);
  EXPECT_FALSE(in->after.has_value());
  req.set_page_size(1000);
  EXPECT_EQ(ParseListOrders(req, "u1")->page_size, 1000);
  for (int bad : {-1, 1001}) {
    req.set_page_size(bad);
    EXPECT_EQ(ParseListOrders(req, "u1").status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

TEST(ParseListOrders, PageTokenRoundTripsAndRejectsGarbage) {
  const PageCursor cursor{1'700'000'000'123'456, NewUuidV7()};
  v1::ListOrdersRequest req;
  req.set_page_token(EncodePageToken(cursor));
  auto in = ParseListOrders(req, "u1");
  ASSERT_TRUE(in.ok()) << in.status();
  ASSERT_TRUE(in->after.has_value());
  EXPECT_EQ(in->after->created_at_us, cursor.created_at_us);
  EXPECT_EQ(in->after->order_id, cursor.order_id);
  for (const std::string& bad :
       {std::string("garbage"), std::string("o1:"), std::string("o1:12:"),
        "o1:abc:" + cursor.order_id, "o1:-5:" + cursor.order_id,
        std::string("o1:12:not-a-uuid"), "o2:12:" + cursor.order_id,
        "o1:12:" + cursor.order_id + ":x", std::string(200, 'o')}) {
    req.set_page_token(bad);
    EXPECT_EQ(ParseListOrders(req, "u1").status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

TEST(ValidateOrderBranch, OnlyTheOrderBranchOfAValidGid) {
  v1::TxnRef txn;
  txn.set_gid(NewUuidV7());
  txn.set_branch_id("order");
  EXPECT_TRUE(ValidateOrderBranch(txn).ok());
  txn.set_branch_id("payment");
  EXPECT_EQ(ValidateOrderBranch(txn).code(),
            absl::StatusCode::kInvalidArgument);
  txn.set_branch_id("order");
  txn.set_gid("nope");
  EXPECT_EQ(ValidateOrderBranch(txn).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(OrderModel, StateNamesRoundTrip) {
  for (OrderState s :
       {OrderState::kPending, OrderState::kPendingPayment, OrderState::kPaid,
        OrderState::kCancelled, OrderState::kExpired, OrderState::kFailed}) {
    EXPECT_EQ(ParseState(StateName(s)), s);
  }
  EXPECT_FALSE(ParseState("paid").has_value());
  EXPECT_FALSE(ParseState("").has_value());
  EXPECT_TRUE(IsOpen(OrderState::kPending));
  EXPECT_TRUE(IsOpen(OrderState::kPendingPayment));
  EXPECT_FALSE(IsOpen(OrderState::kPaid));
  EXPECT_FALSE(IsOpen(OrderState::kExpired));
}

TEST(OrderModel, CancelReasonDecidesTheFinalState) {
  EXPECT_EQ(CancelTargetFor(v1::CANCEL_REASON_DEADLINE).state,
            OrderState::kExpired);
  EXPECT_EQ(CancelTargetFor(v1::CANCEL_REASON_USER).state,
            OrderState::kCancelled);
  EXPECT_EQ(CancelTargetFor(v1::CANCEL_REASON_TRY_FAILED).state,
            OrderState::kFailed);
  EXPECT_EQ(CancelTargetFor(v1::CANCEL_REASON_UNSPECIFIED).state,
            OrderState::kFailed);
  EXPECT_EQ(CancelTargetFor(static_cast<v1::CancelReason>(42)).state,
            OrderState::kFailed);
  EXPECT_EQ(CancelTargetFor(v1::CANCEL_REASON_DEADLINE).reason,
            "cancelled: DEADLINE");
  EXPECT_EQ(CancelTargetFor(v1::CANCEL_REASON_USER).reason, "cancelled: USER");
}

}  // namespace
}  // namespace turnstile::order
