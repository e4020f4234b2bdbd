// The UNSAFE coordinator-bypass flow (services/order/bypass_flow.h) against
// fake peers, phases and repository: a pay_now order Tries inventory, then
// the order row and the payment, then Confirms every branch directly with no
// coordinator call at all; a refusal cancels every branch directly; a
// repeated request returns the stored order; the sold-out pre-check applies.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <set>

#include "services/common/status.h"
#include "services/order/bypass_flow.h"

namespace turnstile::order {
namespace {

using std::chrono::milliseconds;

class Repo : public OrderRepo {
 public:
  absl::StatusOr<std::optional<OrderRecord>> FindByRequest(
      const std::string& user_id, const std::string& request_id) override {
    std::lock_guard lock(mu);
    for (const auto& [id, o] : orders) {
      if (o.user_id == user_id && o.request_id == request_id) return o;
    }
    return std::optional<OrderRecord>();
  }
  absl::StatusOr<std::optional<OrderRecord>> Get(
      const std::string& id) override {
    std::lock_guard lock(mu);
    auto it = orders.find(id);
    if (it == orders.end()) return std::optional<OrderRecord>();
    return std::optional<OrderRecord>(it->second);
  }
  absl::Status TryCreate(const OrderRecord& order,
                         const std::string&) override {
    std::lock_guard lock(mu);
    orders[order.order_id] = order;
    return absl::OkStatus();
  }
  absl::Status ConfirmBranch(const std::string& gid) override {
    std::lock_guard lock(mu);
    confirmed.insert(gid);
    orders[gid].state = OrderState::kPaid;
    return absl::OkStatus();
  }
  absl::Status CancelBranch(const std::string& gid,
                            v1::CancelReason reason) override {
    std::lock_guard lock(mu);
    cancelled.insert(gid);
    auto it = orders.find(gid);
    if (it != orders.end()) it->second.state = CancelTargetFor(reason).state;
    return absl::OkStatus();
  }

  std::mutex mu;
  std::map<std::string, OrderRecord> orders;
  std::set<std::string> confirmed, cancelled;
};

class Fakes : public Peers, public Phases {
 public:
  absl::StatusOr<v1::BeginResponse> Begin(const v1::BeginRequest&,
                                          Deadline) override {
    return Coordinator();
  }
  absl::Status RegisterBranch(const v1::RegisterBranchRequest&,
                              Deadline) override {
    return Coordinator().status();
  }
  absl::StatusOr<v1::CommitResponse> Commit(const v1::CommitRequest&,
                                            Deadline) override {
    return Coordinator().status();
  }
  absl::StatusOr<v1::AbortResponse> Abort(const v1::AbortRequest&,
                                          Deadline) override {
    return Coordinator().status();
  }
  absl::StatusOr<v1::Transaction> GetTransaction(
      const v1::GetTransactionRequest&, Deadline) override {
    return Coordinator().status();
  }
  void ReserveStock(const v1::ReserveStockRequest& req, Deadline,
                    Done<v1::ReserveStockResponse> done) override {
    Log("try inventory " + req.txn().branch_id());
    if (!stock_status.ok()) return done(stock_status);
    v1::ReserveStockResponse resp;
    for (const auto& item : req.items()) {
      auto* out = resp.add_items();
      out->set_sku_id(item.sku_id());
      out->set_quantity(item.quantity());
      out->mutable_unit_price()->set_currency("EUR");
      out->mutable_unit_price()->set_minor_units(250);
    }
    done(resp);
  }
  void HoldSeats(const v1::HoldSeatsRequest& req, Deadline,
                 Done<v1::HoldSeatsResponse> done) override {
    Log("try seat " + req.txn().branch_id());
    v1::HoldSeatsResponse resp;
    for (const auto& id : req.seat_ids()) {
      auto* seat = resp.add_seats();
      seat->set_seat_id(id);
      seat->mutable_price()->set_currency("EUR");
      seat->mutable_price()->set_minor_units(1000);
    }
    done(resp);
  }
  void HoldBookings(const v1::HoldBookingsRequest& req, Deadline,
                    Done<v1::HoldBookingsResponse> done) override {
    Log("try booking " + req.txn().branch_id());
    v1::HoldBookingsResponse resp;
    for (const auto& p : req.leg().passengers()) {
      auto* item = resp.add_items();
      item->set_kind("leg");
      item->set_run_id(req.leg().run_id());
      item->set_seat_id("1-" + p.doc_id());
      item->set_from_stop(req.leg().from_stop());
      item->set_to_stop(req.leg().to_stop());
      item->set_doc_id(p.doc_id());
      item->mutable_price()->set_currency("EUR");
      item->mutable_price()->set_minor_units(700);
    }
    done(resp);
  }
  void AuthorizePayment(const v1::AuthorizePaymentRequest& req, Deadline,
                        Done<v1::AuthorizePaymentResponse> done) override {
    Log("try payment " + std::to_string(req.amount().minor_units()));
    if (!payment_status.ok()) return done(payment_status);
    v1::AuthorizePaymentResponse resp;
    *resp.mutable_amount() = req.amount();
    done(resp);
  }
  void Confirm(const std::string& participant, const std::string& gid, Deadline,
               Done<v1::ConfirmResponse> done) override {
    Log("confirm " + participant);
    if (confirm_failures > 0) {
      --confirm_failures;
      return done(absl::UnavailableError("blip"));
    }
    gids.insert(gid);
    v1::ConfirmResponse resp;
    resp.set_applied(true);
    done(resp);
  }
  void Cancel(const std::string& participant, const std::string& gid,
              v1::CancelReason reason, Deadline,
              Done<v1::CancelResponse> done) override {
    EXPECT_EQ(reason, v1::CANCEL_REASON_TRY_FAILED);
    Log("cancel " + participant);
    gids.insert(gid);
    done(v1::CancelResponse());
  }

  absl::StatusOr<v1::BeginResponse> Coordinator() {
    Log("coordinator");
    return absl::InternalError("the bypass must not call the coordinator");
  }
  void Log(const std::string& what) {
    std::lock_guard lock(mu);
    calls.insert(what);
  }
  bool Called(const std::string& what) {
    std::lock_guard lock(mu);
    return calls.count(what) > 0;
  }

  std::mutex mu;
  std::multiset<std::string> calls;
  std::set<std::string> gids;
  absl::Status stock_status;
  absl::Status payment_status;
  int confirm_failures = 0;
};

PlaceOrderInput PayNow(const std::string& user, const std::string& request) {
  PlaceOrderInput in;
  in.user_id = user;
  in.request_id = request;
  in.pay_now = true;
  in.lines.push_back(LineInput{"tee", 2, "", {}});
  return in;
}

FlowOptions Fast() {
  FlowOptions options;
  options.rpc_timeout = milliseconds(200);
  options.backoff = {milliseconds(1), milliseconds(5)};
  return options;
}

Deadline Soon() { return Clock::now() + std::chrono::seconds(5); }

class BypassFlowTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::off); }
  Fakes fakes;
  Repo repo;
  BypassFlow flow{fakes, fakes, repo, Fast()};
};

TEST_F(BypassFlowTest, TriesThenConfirmsEveryBranchWithoutTheCoordinator) {
  auto order = flow.PlaceOrder(PayNow("ann", "r1"), Soon());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state, OrderState::kPaid);
  EXPECT_EQ(order->total_minor, 500);
  EXPECT_EQ(order->items.size(), 1u);
  EXPECT_TRUE(fakes.Called("try inventory inventory"));
  EXPECT_TRUE(fakes.Called("try payment 500"));
  EXPECT_TRUE(fakes.Called("confirm inventory"));
  EXPECT_TRUE(fakes.Called("confirm payment"));
  EXPECT_FALSE(fakes.Called("coordinator"));
  EXPECT_FALSE(fakes.Called("cancel inventory"));
  EXPECT_EQ(repo.confirmed.count(order->order_id), 1u);
  // The gid is a fresh UUID used for every branch.
  EXPECT_EQ(fakes.gids, std::set<std::string>{order->order_id});
  EXPECT_EQ(order->order_id.size(), 36u);
}

TEST_F(BypassFlowTest, BookingLineTriesAndConfirmsTheBookingBranch) {
  PlaceOrderInput in = PayNow("ann", "r1");
  v1::LegHold leg;
  leg.set_run_id("G1:2026-12-24");
  leg.set_from_stop(1);
  leg.set_to_stop(4);
  leg.set_class_id("second");
  leg.add_passengers()->set_doc_id("P1");
  leg.add_passengers()->set_doc_id("P2");
  LineInput line;
  line.leg = leg;
  line.quantity = 2;
  in.lines.push_back(line);
  auto order = flow.PlaceOrder(in, Soon());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state, OrderState::kPaid);
  EXPECT_EQ(order->total_minor, 500 + 2 * 700);
  ASSERT_EQ(order->items.size(), 3u);
  EXPECT_EQ(order->items[1].kind, "leg");
  EXPECT_EQ(order->items[1].booking.doc_id, "P1");
  EXPECT_TRUE(fakes.Called("try booking booking"));
  EXPECT_TRUE(fakes.Called("confirm booking"));
  EXPECT_TRUE(fakes.Called("try payment 1900"));

  // Without a booking service the line is refused before any call.
  FlowOptions no_booking = Fast();
  no_booking.serve_booking_lines = false;
  BypassFlow refusing{fakes, fakes, repo, no_booking};
  in.request_id = "r2";
  auto refused = refusing.PlaceOrder(in, Soon());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(repo.FindByRequest("ann", "r2")->has_value(), false);
}

TEST_F(BypassFlowTest, RetriesATransientConfirmFailure) {
  fakes.confirm_failures = 1;
  auto order = flow.PlaceOrder(PayNow("ann", "r1"), Soon());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state, OrderState::kPaid);
}

TEST_F(BypassFlowTest, StockRefusalCancelsEveryBranchDirectly) {
  fakes.stock_status = Refused("SOLD_OUT", "gone");
  auto order = flow.PlaceOrder(PayNow("ann", "r1"), Soon());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(ReasonOf(order.status()), "SOLD_OUT");
  EXPECT_EQ(order.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fakes.Called("cancel inventory"));
  EXPECT_TRUE(fakes.Called("cancel payment"));
  EXPECT_EQ(repo.cancelled.size(), 1u);
  EXPECT_FALSE(fakes.Called("try payment 500"));
  EXPECT_FALSE(fakes.Called("confirm inventory"));
  EXPECT_FALSE(fakes.Called("coordinator"));
  EXPECT_TRUE(repo.orders.empty());
}

TEST_F(BypassFlowTest, PaymentRefusalCancelsTheWrittenOrderToo) {
  fakes.payment_status = Refused("INSUFFICIENT_FUNDS", "poor");
  auto order = flow.PlaceOrder(PayNow("ann", "r1"), Soon());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(ReasonOf(order.status()), "INSUFFICIENT_FUNDS");
  EXPECT_TRUE(fakes.Called("cancel inventory"));
  EXPECT_TRUE(fakes.Called("cancel payment"));
  ASSERT_EQ(repo.orders.size(), 1u);
  EXPECT_EQ(repo.orders.begin()->second.state, OrderState::kFailed);
  EXPECT_FALSE(fakes.Called("confirm inventory"));
}

TEST_F(BypassFlowTest, RepeatedRequestReturnsTheStoredOrder) {
  auto first = flow.PlaceOrder(PayNow("ann", "r1"), Soon());
  ASSERT_TRUE(first.ok());
  fakes.calls.clear();
  auto again = flow.PlaceOrder(PayNow("ann", "r1"), Soon());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->order_id, first->order_id);
  EXPECT_TRUE(fakes.calls.empty());
}

TEST_F(BypassFlowTest, OnlyPayNow) {
  PlaceOrderInput in = PayNow("ann", "r1");
  in.pay_now = false;
  EXPECT_EQ(flow.PlaceOrder(in, Soon()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(fakes.calls.empty());
}

class SoldOutGate : public StockGateReader {
 public:
  absl::StatusOr<std::optional<int64_t>> Remaining(
      const std::string&) override {
    return std::optional<int64_t>(0);
  }
  absl::StatusOr<int64_t> UserUnits(const std::string&,
                                    const std::string&) override {
    return 0;
  }
};

TEST_F(BypassFlowTest, PrecheckRefusesBeforeAnyCall) {
  SoldOutGate gate;
  GatePrecheck check(gate);
  BypassFlow checked(fakes, fakes, repo, Fast(), &check);
  auto order = checked.PlaceOrder(PayNow("ann", "r1"), Soon());
  EXPECT_EQ(ReasonOf(order.status()), "SOLD_OUT");
  EXPECT_TRUE(fakes.calls.empty());
}

}  // namespace
}  // namespace turnstile::order
