// The order flows (services/order/order_flow.h) against fake peers and an
// in-memory repository: what is begun with which branches, Tries in
// parallel, retry of transient failures with the same branch, no retry of
// refusals, abort on any refusal, the currency check, commit outcomes,
// idempotent repeats and re-drive, PayOrder and CancelOrder.
#include "services/order/order_flow.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "services/common/status.h"
#include "services/common/time_util.h"
#include "services/common/uuid.h"

namespace turnstile::order {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

// The flow logs every retry and abort; keep test output to warnings.
class QuietLogs : public ::testing::Environment {
 public:
  void SetUp() override { spdlog::set_level(spdlog::level::warn); }
};
const auto* const kQuiet = ::testing::AddGlobalTestEnvironment(new QuietLogs());

absl::Status Unavailable() {
  return Error(absl::StatusCode::kUnavailable, "", "connection refused");
}

absl::Status TimedOut() {
  return Error(absl::StatusCode::kDeadlineExceeded, "", "deadline exceeded");
}

// The order rows in memory, with the barrier semantics of the real store.
class FakeRepo : public OrderRepo {
 public:
  absl::StatusOr<std::optional<OrderRecord>> FindByRequest(
      const std::string& user_id, const std::string& request_id) override {
    std::lock_guard lock(mu_);
    for (const auto& [id, o] : orders_) {
      if (o.user_id == user_id && o.request_id == request_id) return o;
    }
    return std::optional<OrderRecord>();
  }

  absl::StatusOr<std::optional<OrderRecord>> Get(
      const std::string& order_id) override {
    std::lock_guard lock(mu_);
    auto it = orders_.find(order_id);
    if (it == orders_.end()) return std::optional<OrderRecord>();
    return std::optional<OrderRecord>(it->second);
  }

  absl::Status TryCreate(const OrderRecord& order,
                         const std::string& reason) override {
    std::lock_guard lock(mu_);
    ++try_creates;
    if (fail_try_create.size() > 0) {
      absl::Status s = fail_try_create.front();
      if (fail_try_create.size() > 1)
        fail_try_create.erase(fail_try_create.begin());
      if (!s.ok()) return s;
    }
    if (cancelled_.count(order.order_id)) {
      return Error(absl::StatusCode::kAborted, "BRANCH_CANCELLED", "cancelled");
    }
    if (orders_.count(order.order_id)) return absl::OkStatus();
    OrderRecord stored = order;
    stored.created_at_us = stored.updated_at_us = ++clock_;
    orders_[order.order_id] = stored;
    reasons[order.order_id] = reason;
    return absl::OkStatus();
  }

  void Put(const OrderRecord& order) {
    std::lock_guard lock(mu_);
    orders_[order.order_id] = order;
  }

  void SetState(const std::string& gid, OrderState state) {
    std::lock_guard lock(mu_);
    auto it = orders_.find(gid);
    if (it != orders_.end()) it->second.state = state;
  }

  void Cancel(const std::string& gid, OrderState state) {
    std::lock_guard lock(mu_);
    cancelled_.insert(gid);
    auto it = orders_.find(gid);
    if (it != orders_.end() && IsOpen(it->second.state)) {
      it->second.state = state;
    }
  }

  size_t size() {
    std::lock_guard lock(mu_);
    return orders_.size();
  }

  int try_creates = 0;
  std::vector<absl::Status> fail_try_create;  // consumed in order
  std::map<std::string, std::string> reasons;

 private:
  std::mutex mu_;
  std::map<std::string, OrderRecord> orders_;
  std::set<std::string> cancelled_;
  int64_t clock_ = 1000;
};

// Scripted peers: each behaviour is replaceable; every request is recorded.
class FakePeers : public Peers {
 public:
  explicit FakePeers(FakeRepo& repo) : repo_(repo) {
    begin =
        [this](
            const v1::BeginRequest& req) -> absl::StatusOr<v1::BeginResponse> {
      v1::BeginResponse resp;
      resp.set_gid(gid);
      SetMicros(resp.mutable_deadline(),
                std::chrono::duration_cast<std::chrono::microseconds>(
                    (Clock::now() + milliseconds(req.timeout_ms()))
                        .time_since_epoch())
                    .count());
      resp.set_state(v1::TXN_STATE_TRYING);
      return resp;
    };
    reserve = [this](const v1::ReserveStockRequest& req)
        -> absl::StatusOr<v1::ReserveStockResponse> {
      v1::ReserveStockResponse resp;
      for (const auto& item : req.items()) {
        auto* out = resp.add_items();
        out->set_sku_id(item.sku_id());
        out->set_quantity(item.quantity());
        out->mutable_unit_price()->set_currency(stock_currency);
        out->mutable_unit_price()->set_minor_units(
            sku_price.count(item.sku_id()) ? sku_price[item.sku_id()] : 100);
      }
      return resp;
    };
    hold = [this](const v1::HoldSeatsRequest& req)
        -> absl::StatusOr<v1::HoldSeatsResponse> {
      v1::HoldSeatsResponse resp;
      for (const auto& id : req.seat_ids()) {
        auto* seat = resp.add_seats();
        seat->set_seat_id(id);
        seat->mutable_price()->set_currency(seat_currency);
        seat->mutable_price()->set_minor_units(seat_price);
      }
      return resp;
    };
    // One item per machine (asked, or m1..mN) or passenger.
    book = [this](const v1::HoldBookingsRequest& req)
        -> absl::StatusOr<v1::HoldBookingsResponse> {
      v1::HoldBookingsResponse resp;
      int64_t total = 0;
      auto price = [&](v1::BookedItem* item) {
        item->mutable_price()->set_currency(booking_currency);
        item->mutable_price()->set_minor_units(booking_price);
        total += booking_price;
      };
      if (req.has_slot()) {
        const auto& slot = req.slot();
        std::vector<std::string> machines(slot.machine_ids().begin(),
                                          slot.machine_ids().end());
        if (machines.empty()) {
          for (int i = 0; i < std::max(1, slot.machines()); ++i) {
            machines.push_back("m" + std::to_string(i + 1));
          }
        }
        for (const auto& m : machines) {
          auto* item = resp.add_items();
          item->set_kind("slot");
          item->set_venue_id(slot.venue_id());
          item->set_machine_id(m);
          item->mutable_window()->set_venue_day("2026-12-24");
          item->mutable_window()->set_from_slot(4);
          item->mutable_window()->set_to_slot(12);
          *item->mutable_window()->mutable_starts_at() = slot.starts_at();
          item->mutable_window()->mutable_ends_at()->set_seconds(
              slot.starts_at().seconds() + 4 * 3600);
          price(item);
        }
        resp.set_payment_window_seconds(300);
      } else {
        const auto& leg = req.leg();
        for (int i = 0; i < leg.passengers_size(); ++i) {
          auto* item = resp.add_items();
          item->set_kind("leg");
          item->set_run_id(leg.run_id());
          item->set_seat_id(i < leg.seat_ids_size()
                                ? leg.seat_ids(i)
                                : "3-" + std::to_string(i + 1));
          item->set_from_stop(leg.from_stop());
          item->set_to_stop(leg.to_stop());
          item->set_doc_id(leg.passengers(i).doc_id());
          price(item);
        }
        resp.set_payment_window_seconds(900);
      }
      resp.mutable_total()->set_currency(booking_currency);
      resp.mutable_total()->set_minor_units(total);
      return resp;
    };
    authorize = [](const v1::AuthorizePaymentRequest& req)
        -> absl::StatusOr<v1::AuthorizePaymentResponse> {
      v1::AuthorizePaymentResponse resp;
      *resp.mutable_amount() = req.amount();
      return resp;
    };
    commit = [this](const v1::CommitRequest& req)
        -> absl::StatusOr<v1::CommitResponse> {
      // Like the coordinator with wait: the order branch is confirmed.
      repo_.SetState(req.gid(), OrderState::kPaid);
      v1::CommitResponse resp;
      resp.set_state(v1::TXN_STATE_CONFIRMED);
      return resp;
    };
    abort =
        [this](
            const v1::AbortRequest& req) -> absl::StatusOr<v1::AbortResponse> {
      repo_.Cancel(req.gid(), CancelTargetFor(req.reason()).state);
      v1::AbortResponse resp;
      resp.set_state(req.wait() ? v1::TXN_STATE_CANCELLED
                                : v1::TXN_STATE_CANCELLING);
      return resp;
    };
    register_branch = [](const v1::RegisterBranchRequest&) {
      return absl::OkStatus();
    };
    get_txn = [](const v1::GetTransactionRequest& req)
        -> absl::StatusOr<v1::Transaction> {
      v1::Transaction txn;
      txn.set_gid(req.gid());
      txn.set_state(v1::TXN_STATE_TRYING);
      return txn;
    };
  }

  ~FakePeers() override {
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  absl::StatusOr<v1::BeginResponse> Begin(const v1::BeginRequest& req,
                                          Deadline) override {
    Record(begins, req);
    return begin(req);
  }
  absl::Status RegisterBranch(const v1::RegisterBranchRequest& req,
                              Deadline) override {
    Record(registers, req);
    return register_branch(req);
  }
  absl::StatusOr<v1::CommitResponse> Commit(const v1::CommitRequest& req,
                                            Deadline) override {
    Record(commits, req);
    return commit(req);
  }
  absl::StatusOr<v1::AbortResponse> Abort(const v1::AbortRequest& req,
                                          Deadline) override {
    Record(aborts, req);
    return abort(req);
  }
  absl::StatusOr<v1::Transaction> GetTransaction(
      const v1::GetTransactionRequest& req, Deadline) override {
    return get_txn(req);
  }
  void ReserveStock(const v1::ReserveStockRequest& req, Deadline deadline,
                    Done<v1::ReserveStockResponse> done) override {
    Record(reserves, req, deadline);
    Complete(std::move(done), [this, req] { return reserve(req); });
  }
  void HoldSeats(const v1::HoldSeatsRequest& req, Deadline deadline,
                 Done<v1::HoldSeatsResponse> done) override {
    Record(holds, req, deadline);
    Complete(std::move(done), [this, req] { return hold(req); });
  }
  void HoldBookings(const v1::HoldBookingsRequest& req, Deadline deadline,
                    Done<v1::HoldBookingsResponse> done) override {
    Record(bookings, req, deadline);
    Complete(std::move(done), [this, req] { return book(req); });
  }
  void AuthorizePayment(const v1::AuthorizePaymentRequest& req,
                        Deadline deadline,
                        Done<v1::AuthorizePaymentResponse> done) override {
    Record(authorizes, req, deadline);
    Complete(std::move(done), [this, req] { return authorize(req); });
  }

  template <typename T>
  size_t Count(const std::vector<T>& calls) {
    std::lock_guard lock(mu_);
    return calls.size();
  }

  std::string gid = NewUuidV7();
  std::string stock_currency = "EUR";
  std::string seat_currency = "EUR";
  std::map<std::string, int64_t> sku_price;
  int64_t seat_price = 2500;
  std::string booking_currency = "EUR";
  int64_t booking_price = 4000;
  // When set, Try responses are computed and delivered on another thread.
  bool async = false;

  std::function<absl::StatusOr<v1::BeginResponse>(const v1::BeginRequest&)>
      begin;
  std::function<absl::StatusOr<v1::ReserveStockResponse>(
      const v1::ReserveStockRequest&)>
      reserve;
  std::function<absl::StatusOr<v1::HoldSeatsResponse>(
      const v1::HoldSeatsRequest&)>
      hold;
  std::function<absl::StatusOr<v1::HoldBookingsResponse>(
      const v1::HoldBookingsRequest&)>
      book;
  std::function<absl::StatusOr<v1::AuthorizePaymentResponse>(
      const v1::AuthorizePaymentRequest&)>
      authorize;
  std::function<absl::StatusOr<v1::CommitResponse>(const v1::CommitRequest&)>
      commit;
  std::function<absl::StatusOr<v1::AbortResponse>(const v1::AbortRequest&)>
      abort;
  std::function<absl::Status(const v1::RegisterBranchRequest&)> register_branch;
  std::function<absl::StatusOr<v1::Transaction>(
      const v1::GetTransactionRequest&)>
      get_txn;

  std::vector<v1::BeginRequest> begins;
  std::vector<v1::RegisterBranchRequest> registers;
  std::vector<v1::CommitRequest> commits;
  std::vector<v1::AbortRequest> aborts;
  std::vector<v1::ReserveStockRequest> reserves;
  std::vector<v1::HoldSeatsRequest> holds;
  std::vector<v1::HoldBookingsRequest> bookings;
  std::vector<v1::AuthorizePaymentRequest> authorizes;
  std::vector<Deadline> try_deadlines;

 private:
  template <typename T>
  void Record(std::vector<T>& calls, const T& req) {
    std::lock_guard lock(mu_);
    calls.push_back(req);
  }
  template <typename T>
  void Record(std::vector<T>& calls, const T& req, Deadline deadline) {
    std::lock_guard lock(mu_);
    calls.push_back(req);
    try_deadlines.push_back(deadline);
  }
  template <typename Resp, typename F>
  void Complete(Done<Resp> done, F compute) {
    if (!async) {
      done(compute());
      return;
    }
    std::lock_guard lock(mu_);
    threads_.emplace_back(
        [done = std::move(done), compute] { done(compute()); });
  }

  FakeRepo& repo_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

// Returns the scripted statuses in turn, then OK forever.
template <typename Resp, typename Req>
std::function<absl::StatusOr<Resp>(const Req&)> FailFirst(
    std::vector<absl::Status> failures,
    std::function<absl::StatusOr<Resp>(const Req&)> then) {
  auto state =
      std::make_shared<std::pair<std::mutex, std::vector<absl::Status>>>();
  state->second = std::move(failures);
  return [state, then](const Req& req) -> absl::StatusOr<Resp> {
    {
      std::lock_guard lock(state->first);
      if (!state->second.empty()) {
        absl::Status s = state->second.front();
        state->second.erase(state->second.begin());
        return s;
      }
    }
    return then(req);
  };
}

class OrderFlowTest : public ::testing::Test {
 protected:
  OrderFlowTest() : peers_(repo_) {
    options_.rpc_timeout = milliseconds(500);
    options_.pay_now_timeout = milliseconds(5000);
    options_.windows.stock_and_seat_s = 900;
    options_.backoff = {milliseconds(1), milliseconds(5)};
  }

  OrderFlow Flow() { return OrderFlow(peers_, repo_, options_); }

  static Deadline Far() { return Clock::now() + std::chrono::seconds(60); }

  // Two stock lines and a seat line with two seats.
  static PlaceOrderInput Input(bool pay_now) {
    PlaceOrderInput in;
    in.user_id = "u1";
    in.request_id = "r1";
    in.pay_now = pay_now;
    in.lines.push_back(LineInput{"sku-a", 2, "", {}});
    in.lines.push_back(LineInput{"", 2, "ev-1", {"A-1-1", "A-1-2"}});
    in.lines.push_back(LineInput{"sku-b", 3, "", {}});
    return in;
  }

  // A slot line: two given machines of zone z1 from 18:00 for package 4h.
  static LineInput SlotLine() {
    v1::SlotHold slot;
    slot.set_venue_id("cafe");
    slot.set_zone_id("z1");
    slot.add_machine_ids("pc-7");
    slot.add_machine_ids("pc-8");
    slot.mutable_starts_at()->set_seconds(1'798'135'200);
    slot.set_package_id("4h");
    LineInput line;
    line.slot = slot;
    line.quantity = 2;
    return line;
  }

  // A leg line: three passengers from stop 2 to stop 5 in second class.
  static LineInput LegLine() {
    v1::LegHold leg;
    leg.set_run_id("G7:2026-12-24");
    leg.set_from_stop(2);
    leg.set_to_stop(5);
    leg.set_class_id("second");
    for (const char* doc : {"P1", "P2", "P3"}) {
      leg.add_passengers()->set_doc_id(doc);
    }
    LineInput line;
    line.leg = leg;
    line.quantity = 3;
    return line;
  }

  static PlaceOrderInput StockOnly(bool pay_now) {
    PlaceOrderInput in;
    in.user_id = "u1";
    in.request_id = "r1";
    in.pay_now = pay_now;
    in.lines.push_back(LineInput{"sku-a", 1, "", {}});
    return in;
  }

  std::set<std::string> Branches(const v1::BeginRequest& begin) {
    std::set<std::string> out;
    for (const auto& b : begin.branches()) {
      EXPECT_EQ(b.branch_id(), b.participant());
      out.insert(b.branch_id());
    }
    return out;
  }

  OrderRecord Pending(OrderState state, int64_t total = 500,
                      Deadline expires = Clock::now() +
                                         std::chrono::seconds(600)) {
    OrderRecord o;
    o.order_id = peers_.gid;
    o.user_id = "u1";
    o.request_id = "r1";
    o.state = state;
    o.pay_now = false;
    o.total_minor = total;
    o.currency = "EUR";
    o.expires_at_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          expires.time_since_epoch())
                          .count();
    o.items.push_back(OrderItem{"sku", "sku-a", "", "", 5, total / 5});
    return o;
  }

  FakeRepo repo_;
  FakePeers peers_;
  FlowOptions options_;
};

TEST_F(OrderFlowTest, PayNowRunsEveryBranchAndCommits) {
  peers_.sku_price = {{"sku-a", 100}, {"sku-b", 50}};
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_TRUE(order.ok()) << order.status();

  ASSERT_EQ(peers_.begins.size(), 1u);
  const auto& begin = peers_.begins[0];
  EXPECT_EQ(begin.request_id(), "u1/r1");
  EXPECT_EQ(begin.timeout_ms(), 5000);
  EXPECT_EQ(Branches(begin),
            (std::set<std::string>{"order", "inventory", "seat", "payment"}));

  ASSERT_EQ(peers_.reserves.size(), 1u);
  const auto& reserve = peers_.reserves[0];
  EXPECT_EQ(reserve.txn().gid(), peers_.gid);
  EXPECT_EQ(reserve.txn().branch_id(), "inventory");
  EXPECT_EQ(reserve.user_id(), "u1");
  ASSERT_EQ(reserve.items_size(), 2);
  EXPECT_EQ(reserve.items(0).sku_id(), "sku-a");
  EXPECT_EQ(reserve.items(0).quantity(), 2);
  EXPECT_EQ(reserve.items(1).sku_id(), "sku-b");
  EXPECT_EQ(reserve.items(1).quantity(), 3);

  ASSERT_EQ(peers_.holds.size(), 1u);
  const auto& hold = peers_.holds[0];
  EXPECT_EQ(hold.txn().gid(), peers_.gid);
  EXPECT_EQ(hold.txn().branch_id(), "seat");
  EXPECT_EQ(hold.event_id(), "ev-1");
  EXPECT_THAT(hold.seat_ids(), ::testing::ElementsAre("A-1-1", "A-1-2"));

  // 2*100 + 2*2500 + 3*50
  ASSERT_EQ(peers_.authorizes.size(), 1u);
  const auto& pay = peers_.authorizes[0];
  EXPECT_EQ(pay.txn().gid(), peers_.gid);
  EXPECT_EQ(pay.txn().branch_id(), "payment");
  EXPECT_EQ(pay.user_id(), "u1");
  EXPECT_EQ(pay.amount().currency(), "EUR");
  EXPECT_EQ(pay.amount().minor_units(), 5350);

  ASSERT_EQ(peers_.commits.size(), 1u);
  EXPECT_EQ(peers_.commits[0].gid(), peers_.gid);
  EXPECT_TRUE(peers_.commits[0].wait());
  EXPECT_TRUE(peers_.aborts.empty());

  EXPECT_EQ(order->order_id, peers_.gid);
  EXPECT_EQ(order->state, OrderState::kPaid);
  EXPECT_TRUE(order->pay_now);
  EXPECT_EQ(order->total_minor, 5350);
  EXPECT_EQ(order->currency, "EUR");
  EXPECT_EQ(order->expires_at_us, 0);
  const std::vector<OrderItem> items = {{"sku", "sku-a", "", "", 2, 100},
                                        {"seat", "", "ev-1", "A-1-1", 1, 2500},
                                        {"seat", "", "ev-1", "A-1-2", 1, 2500},
                                        {"sku", "sku-b", "", "", 3, 50}};
  EXPECT_EQ(order->items, items);
  EXPECT_EQ(repo_.reasons[peers_.gid], "placed (pay_now)");
}

TEST_F(OrderFlowTest, ReserveThenPayReturnsPendingPaymentUntilTheDeadline) {
  auto in = Input(false);
  in.payment_window_s = 120;
  const auto before = Clock::now();
  auto order = Flow().PlaceOrder(in, Far());
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_EQ(peers_.begins.size(), 1u);
  EXPECT_EQ(peers_.begins[0].timeout_ms(), 120000);
  EXPECT_EQ(Branches(peers_.begins[0]),
            (std::set<std::string>{"order", "inventory", "seat"}));
  EXPECT_TRUE(peers_.authorizes.empty());
  EXPECT_TRUE(peers_.commits.empty());
  EXPECT_TRUE(peers_.aborts.empty());
  EXPECT_EQ(order->state, OrderState::kPendingPayment);
  EXPECT_FALSE(order->pay_now);
  // expires_at is the transaction deadline the coordinator returned.
  const int64_t expect_us =
      std::chrono::duration_cast<std::chrono::microseconds>(
          (before + std::chrono::seconds(120)).time_since_epoch())
          .count();
  EXPECT_NEAR(order->expires_at_us, expect_us, 2'000'000);
  EXPECT_EQ(repo_.reasons[peers_.gid], "placed (payment window 120s)");
}

TEST_F(OrderFlowTest, ZeroWindowUsesTheDefault) {
  options_.windows.stock_and_seat_s = 77;
  ASSERT_TRUE(Flow().PlaceOrder(StockOnly(false), Far()).ok());
  EXPECT_EQ(peers_.begins[0].timeout_ms(), 77000);
}

TEST_F(OrderFlowTest, DeclaresOnlyTheBranchesTheOrderNeeds) {
  ASSERT_TRUE(Flow().PlaceOrder(StockOnly(true), Far()).ok());
  EXPECT_EQ(Branches(peers_.begins[0]),
            (std::set<std::string>{"order", "inventory", "payment"}));
  EXPECT_TRUE(peers_.holds.empty());

  PlaceOrderInput seats;
  seats.user_id = "u2";
  seats.request_id = "r2";
  seats.lines.push_back(LineInput{"", 1, "ev-1", {"B-2-3"}});
  peers_.gid = NewUuidV7();
  ASSERT_TRUE(Flow().PlaceOrder(seats, Far()).ok());
  EXPECT_EQ(Branches(peers_.begins[1]),
            (std::set<std::string>{"order", "seat"}));
  EXPECT_EQ(peers_.reserves.size(), 1u);
  EXPECT_EQ(peers_.begins[1].request_id(), "u2/r2");
}

TEST_F(OrderFlowTest, StockAndSeatTriesRunInParallel) {
  // Each Try answers only once the other has started (or after 3 s): a
  // serial implementation would see no overlap.
  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  std::atomic<int> overlapped{0};
  auto wait_for_both = [&] {
    std::unique_lock lock(mu);
    ++started;
    cv.notify_all();
    if (cv.wait_for(lock, std::chrono::seconds(3),
                    [&] { return started >= 2; })) {
      ++overlapped;
    }
  };
  auto reserve = peers_.reserve;
  auto hold = peers_.hold;
  peers_.reserve = [&, reserve](const v1::ReserveStockRequest& r) {
    wait_for_both();
    return reserve(r);
  };
  peers_.hold = [&, hold](const v1::HoldSeatsRequest& r) {
    wait_for_both();
    return hold(r);
  };
  peers_.async = true;
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(overlapped, 2);
  EXPECT_EQ(order->state, OrderState::kPaid);
}

TEST_F(OrderFlowTest, PaymentTryRunsAlongsideTheOrderRow) {
  // The payment Try is in flight while the local order Try runs.
  std::atomic<bool> row_written_during_payment{false};
  auto authorize = peers_.authorize;
  peers_.authorize = [&, authorize](const v1::AuthorizePaymentRequest& r) {
    for (int i = 0; i < 300 && repo_.size() == 0; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    row_written_during_payment = repo_.size() == 1;
    return authorize(r);
  };
  peers_.async = true;
  ASSERT_TRUE(Flow().PlaceOrder(Input(true), Far()).ok());
  EXPECT_TRUE(row_written_during_payment);
}

TEST_F(OrderFlowTest, TransientTryFailuresAreRetriedOnTheSameBranch) {
  peers_.reserve = FailFirst<v1::ReserveStockResponse, v1::ReserveStockRequest>(
      {Unavailable(), TimedOut(),
       Error(absl::StatusCode::kResourceExhausted, "", "busy")},
      peers_.reserve);
  peers_.hold = FailFirst<v1::HoldSeatsResponse, v1::HoldSeatsRequest>(
      {Unavailable()}, peers_.hold);
  peers_.authorize =
      FailFirst<v1::AuthorizePaymentResponse, v1::AuthorizePaymentRequest>(
          {TimedOut(), Unavailable()}, peers_.authorize);
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state, OrderState::kPaid);
  ASSERT_EQ(peers_.reserves.size(), 4u);
  for (const auto& r : peers_.reserves) {
    EXPECT_EQ(r.txn().gid(), peers_.gid);
    EXPECT_EQ(r.txn().branch_id(), "inventory");
    EXPECT_EQ(r.SerializeAsString(), peers_.reserves[0].SerializeAsString());
  }
  EXPECT_EQ(peers_.holds.size(), 2u);
  EXPECT_EQ(peers_.authorizes.size(), 3u);
  EXPECT_EQ(peers_.begins.size(), 1u);
  EXPECT_TRUE(peers_.aborts.empty());
  EXPECT_EQ(peers_.commits.size(), 1u);
}

TEST_F(OrderFlowTest, TransientLocalTryIsRetried) {
  repo_.fail_try_create = {Unavailable(), absl::OkStatus()};
  auto order = Flow().PlaceOrder(Input(false), Far());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(repo_.try_creates, 2);
  EXPECT_TRUE(peers_.aborts.empty());
}

struct Refusal {
  absl::StatusCode code;
  const char* reason;
};

class RefusalTest : public OrderFlowTest,
                    public ::testing::WithParamInterface<Refusal> {};

TEST_P(RefusalTest, IsNotRetriedAndAbortsTheTransaction) {
  const Refusal r = GetParam();
  peers_.reserve = [&](const v1::ReserveStockRequest&)
      -> absl::StatusOr<v1::ReserveStockResponse> {
    return Error(r.code, r.reason, "refused by inventory");
  };
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), r.code);
  EXPECT_EQ(ReasonOf(order.status()), r.reason);
  EXPECT_THAT(std::string(order.status().message()), HasSubstr("inventory"));
  EXPECT_EQ(peers_.reserves.size(), 1u);
  ASSERT_EQ(peers_.aborts.size(), 1u);
  const auto& abort = peers_.aborts[0];
  EXPECT_EQ(abort.gid(), peers_.gid);
  EXPECT_EQ(abort.reason(), v1::CANCEL_REASON_TRY_FAILED);
  EXPECT_FALSE(abort.wait());
  EXPECT_THAT(abort.detail(), HasSubstr("inventory"));
  EXPECT_THAT(abort.detail(), HasSubstr(r.reason));
  EXPECT_LE(abort.detail().size(), 500u);
  // Nothing after the refusal: no order row, no payment, no commit.
  EXPECT_EQ(repo_.try_creates, 0);
  EXPECT_TRUE(peers_.authorizes.empty());
  EXPECT_TRUE(peers_.commits.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Refusals, RefusalTest,
    ::testing::Values(
        Refusal{absl::StatusCode::kFailedPrecondition, "SOLD_OUT"},
        Refusal{absl::StatusCode::kFailedPrecondition, "USER_LIMIT"},
        Refusal{absl::StatusCode::kNotFound, "NOT_FOUND"},
        Refusal{absl::StatusCode::kAborted, "BRANCH_CANCELLED"},
        Refusal{absl::StatusCode::kInvalidArgument, "INVALID_ARGUMENT"}));

TEST_F(OrderFlowTest, RefusalWinsOverARetryingSiblingAndStopsIt) {
  std::atomic<int> inventory_calls{0};
  peers_.reserve = [&](const v1::ReserveStockRequest&)
      -> absl::StatusOr<v1::ReserveStockResponse> {
    ++inventory_calls;
    return Unavailable();
  };
  peers_.hold =
      [](const v1::HoldSeatsRequest&) -> absl::StatusOr<v1::HoldSeatsResponse> {
    std::this_thread::sleep_for(milliseconds(30));
    return Refused("SEAT_TAKEN", "A-1-1 is taken");
  };
  peers_.async = true;
  const auto start = Clock::now();
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(order.status()), "SEAT_TAKEN");
  EXPECT_EQ(peers_.aborts.size(), 1u);
  const int calls_at_end = inventory_calls;
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(inventory_calls, calls_at_end) << "retries continued";
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
}

TEST_F(OrderFlowTest, TransientFailureUntilTheTxnDeadlineAborts) {
  options_.pay_now_timeout = milliseconds(300);
  std::atomic<int> calls{0};
  peers_.reserve = [&](const v1::ReserveStockRequest&)
      -> absl::StatusOr<v1::ReserveStockResponse> {
    ++calls;
    return Unavailable();
  };
  const auto start = Clock::now();
  auto order = Flow().PlaceOrder(StockOnly(true), Far());
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_GE(calls, 3) << "retried while the deadline allowed";
  EXPECT_GE(elapsed, milliseconds(250));
  EXPECT_LT(elapsed, milliseconds(1500));
  ASSERT_EQ(peers_.aborts.size(), 1u);
  EXPECT_EQ(peers_.aborts[0].reason(), v1::CANCEL_REASON_TRY_FAILED);
  EXPECT_EQ(repo_.size(), 0u);
  // Every attempt's deadline stays within the transaction deadline.
  for (const auto& d : peers_.try_deadlines) {
    EXPECT_LE(d, start + milliseconds(300) + milliseconds(50));
  }
}

TEST_F(OrderFlowTest, ClientDeadlineBoundsRetriesOfALongWindow) {
  std::atomic<int> calls{0};
  peers_.reserve = [&](const v1::ReserveStockRequest&)
      -> absl::StatusOr<v1::ReserveStockResponse> {
    ++calls;
    return TimedOut();
  };
  const auto start = Clock::now();
  auto order = Flow().PlaceOrder(StockOnly(false), start + milliseconds(300));
  EXPECT_LT(Clock::now() - start, milliseconds(1500));
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(calls, 2);
  EXPECT_EQ(peers_.aborts.size(), 1u) << "reservation released promptly";
}

TEST_F(OrderFlowTest, PerCallDeadlineIsTheRpcTimeout) {
  options_.rpc_timeout = milliseconds(200);
  const auto start = Clock::now();
  ASSERT_TRUE(Flow().PlaceOrder(Input(true), Far()).ok());
  ASSERT_EQ(peers_.try_deadlines.size(), 3u);
  for (const auto& d : peers_.try_deadlines) {
    EXPECT_GT(d, start + milliseconds(150));
    EXPECT_LE(d, Clock::now() + milliseconds(200));
  }
}

TEST_F(OrderFlowTest, MixedCurrenciesAbort) {
  peers_.seat_currency = "USD";
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(order.status()), "MIXED_CURRENCY");
  ASSERT_EQ(peers_.aborts.size(), 1u);
  EXPECT_THAT(peers_.aborts[0].detail(), HasSubstr("MIXED_CURRENCY"));
  EXPECT_EQ(repo_.size(), 0u);
  EXPECT_TRUE(peers_.authorizes.empty());
  EXPECT_TRUE(peers_.commits.empty());
}

TEST_F(OrderFlowTest, PeerAnswerThatDoesNotMatchAborts) {
  peers_.reserve = [](const v1::ReserveStockRequest& req)
      -> absl::StatusOr<v1::ReserveStockResponse> {
    v1::ReserveStockResponse resp;
    auto* item = resp.add_items();
    item->set_sku_id(req.items(0).sku_id());
    item->set_quantity(req.items(0).quantity() + 1);
    item->mutable_unit_price()->set_currency("EUR");
    item->mutable_unit_price()->set_minor_units(1);
    return resp;
  };
  auto order = Flow().PlaceOrder(StockOnly(true), Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReasonOf(order.status()), "BAD_PEER_RESPONSE");
  EXPECT_EQ(peers_.aborts.size(), 1u);
  EXPECT_EQ(repo_.size(), 0u);
}

TEST_F(OrderFlowTest, TotalAboveWhatAPaymentCarriesAborts) {
  peers_.sku_price = {{"sku-a", 1'000'000'000'000}};
  auto in = StockOnly(false);
  in.lines[0].quantity = 2;
  auto order = Flow().PlaceOrder(in, Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(ReasonOf(order.status()), "TOTAL_TOO_LARGE");
  EXPECT_EQ(peers_.aborts.size(), 1u);
}

TEST_F(OrderFlowTest, InsufficientFundsInPayNowAborts) {
  peers_.authorize = [](const v1::AuthorizePaymentRequest&)
      -> absl::StatusOr<v1::AuthorizePaymentResponse> {
    return Refused("INSUFFICIENT_FUNDS", "too poor");
  };
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(order.status()), "INSUFFICIENT_FUNDS");
  EXPECT_EQ(peers_.authorizes.size(), 1u);
  ASSERT_EQ(peers_.aborts.size(), 1u);
  EXPECT_THAT(peers_.aborts[0].detail(), HasSubstr("payment"));
  EXPECT_TRUE(peers_.commits.empty());
  // The row written alongside is cancelled by the abort (FAILED).
  auto row = repo_.Get(peers_.gid);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((**row).state, OrderState::kFailed);
}

TEST_F(OrderFlowTest, RefusedOrderRowAborts) {
  repo_.fail_try_create = {
      Error(absl::StatusCode::kAborted, "BRANCH_CANCELLED", "late")};
  auto order = Flow().PlaceOrder(Input(false), Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(repo_.try_creates, 1);
  EXPECT_EQ(peers_.aborts.size(), 1u);
}

TEST_F(OrderFlowTest, FreePayNowOrderCommitsWithoutAPayment) {
  peers_.sku_price = {{"sku-a", 0}};
  auto order = Flow().PlaceOrder(StockOnly(true), Far());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_TRUE(peers_.authorizes.empty());
  EXPECT_EQ(peers_.commits.size(), 1u);
  EXPECT_EQ(order->state, OrderState::kPaid);
  EXPECT_EQ(order->total_minor, 0);
}

TEST_F(OrderFlowTest, CommitAbortedIsReturnedAsAborted) {
  peers_.commit =
      [](const v1::CommitRequest&) -> absl::StatusOr<v1::CommitResponse> {
    return Error(absl::StatusCode::kAborted, "TXN_EXPIRED", "too late");
  };
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(order.status()), "TXN_EXPIRED");
  EXPECT_TRUE(peers_.aborts.empty()) << "the coordinator already decided";
}

TEST_F(OrderFlowTest, SlowConfirmationReturnsThePendingRow) {
  peers_.commit =
      [](const v1::CommitRequest&) -> absl::StatusOr<v1::CommitResponse> {
    v1::CommitResponse resp;
    resp.set_state(v1::TXN_STATE_CONFIRMING);
    return resp;
  };
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state, OrderState::kPending);
}

TEST_F(OrderFlowTest, CommitRetriedWhileTheCoordinatorIsAway) {
  peers_.commit = FailFirst<v1::CommitResponse, v1::CommitRequest>(
      {Unavailable(), Unavailable()}, peers_.commit);
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(peers_.commits.size(), 3u);
  EXPECT_EQ(order->state, OrderState::kPaid);
}

TEST_F(OrderFlowTest, CommitNeverReachedIsUnknownNotFailed) {
  options_.pay_now_timeout = milliseconds(200);
  options_.rpc_timeout = milliseconds(50);
  peers_.commit =
      [](const v1::CommitRequest&) -> absl::StatusOr<v1::CommitResponse> {
    return Unavailable();
  };
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(order.status()), "COMMIT_UNKNOWN");
  EXPECT_TRUE(peers_.aborts.empty());
}

TEST_F(OrderFlowTest, CoordinatorOutageIsReportedWithinABudget) {
  // Long transaction timeouts, short calls: retries stop after about five
  // call timeouts rather than at the transaction deadline.
  options_.pay_now_timeout = std::chrono::seconds(30);
  options_.rpc_timeout = milliseconds(40);
  const auto working_begin = peers_.begin;
  peers_.begin =
      [](const v1::BeginRequest&) -> absl::StatusOr<v1::BeginResponse> {
    return Unavailable();
  };
  auto start = Clock::now();
  auto order = Flow().PlaceOrder(Input(true), Far());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_GE(peers_.begins.size(), 2u);

  peers_.begin = working_begin;
  peers_.commit =
      [](const v1::CommitRequest&) -> absl::StatusOr<v1::CommitResponse> {
    return Unavailable();
  };
  start = Clock::now();
  order = Flow().PlaceOrder(Input(true), Far());
  EXPECT_EQ(ReasonOf(order.status()), "COMMIT_UNKNOWN");
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_GE(peers_.commits.size(), 2u);
}

TEST_F(OrderFlowTest, BeginIsRetriedOnTransientErrors) {
  peers_.begin = FailFirst<v1::BeginResponse, v1::BeginRequest>(
      {Unavailable(), TimedOut()}, peers_.begin);
  ASSERT_TRUE(Flow().PlaceOrder(Input(false), Far()).ok());
  EXPECT_EQ(peers_.begins.size(), 3u);
  EXPECT_EQ(peers_.begins[0].SerializeAsString(),
            peers_.begins[2].SerializeAsString());
}

TEST_F(OrderFlowTest, BeginUnavailableChangesNothing) {
  options_.pay_now_timeout = milliseconds(100);
  peers_.begin =
      [](const v1::BeginRequest&) -> absl::StatusOr<v1::BeginResponse> {
    return Unavailable();
  };
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(peers_.reserves.empty());
  EXPECT_TRUE(peers_.aborts.empty());
  EXPECT_EQ(repo_.size(), 0u);
}

TEST_F(OrderFlowTest, ExistingOrderIsReturnedWithoutAnyCall) {
  for (OrderState state : {OrderState::kPendingPayment, OrderState::kPaid,
                           OrderState::kFailed, OrderState::kExpired}) {
    repo_.Put(Pending(state));
    auto order = Flow().PlaceOrder(Input(false), Far());
    ASSERT_TRUE(order.ok());
    EXPECT_EQ(order->order_id, peers_.gid);
    EXPECT_EQ(order->state, state);
  }
  EXPECT_TRUE(peers_.begins.empty());
  EXPECT_TRUE(peers_.reserves.empty());
}

TEST_F(OrderFlowTest, PendingPayNowOrderIsRedrivenWithItsStoredLines) {
  OrderRecord stored = Pending(OrderState::kPending, 0);
  stored.pay_now = true;
  stored.expires_at_us = 0;
  stored.items = {{"sku", "sku-z", "", "", 4, 100},
                  {"seat", "", "ev-9", "C-1-1", 1, 2500}};
  stored.total_minor = 2900;
  repo_.Put(stored);
  // The retry carries other lines: the stored ones win.
  auto order = Flow().PlaceOrder(StockOnly(true), Far());
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_EQ(peers_.begins.size(), 1u);
  EXPECT_EQ(peers_.begins[0].request_id(), "u1/r1");
  EXPECT_EQ(Branches(peers_.begins[0]),
            (std::set<std::string>{"order", "inventory", "seat", "payment"}));
  ASSERT_EQ(peers_.reserves.size(), 1u);
  EXPECT_EQ(peers_.reserves[0].items(0).sku_id(), "sku-z");
  EXPECT_EQ(peers_.reserves[0].items(0).quantity(), 4);
  ASSERT_EQ(peers_.holds.size(), 1u);
  EXPECT_EQ(peers_.holds[0].seat_ids(0), "C-1-1");
  EXPECT_EQ(peers_.authorizes[0].amount().minor_units(), 2900);
  EXPECT_EQ(peers_.commits.size(), 1u);
  EXPECT_EQ(order->state, OrderState::kPaid);
  EXPECT_EQ(repo_.size(), 1u);
}

TEST_F(OrderFlowTest, RepeatOfAnAbortedRequestIsAborted) {
  peers_.begin =
      [this](const v1::BeginRequest&) -> absl::StatusOr<v1::BeginResponse> {
    v1::BeginResponse resp;
    resp.set_gid(peers_.gid);
    SetMicros(resp.mutable_deadline(), 1);
    resp.set_state(v1::TXN_STATE_CANCELLED);
    return resp;
  };
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(order.status()), "REQUEST_ABORTED");
  EXPECT_TRUE(peers_.reserves.empty());
  EXPECT_TRUE(peers_.aborts.empty());
}

TEST_F(OrderFlowTest, RepeatOfACommittedRequestWaitsAndReturnsTheRow) {
  OrderRecord stored = Pending(OrderState::kPending);
  stored.pay_now = true;
  repo_.Put(stored);
  peers_.begin =
      [this](const v1::BeginRequest&) -> absl::StatusOr<v1::BeginResponse> {
    v1::BeginResponse resp;
    resp.set_gid(peers_.gid);
    resp.set_state(v1::TXN_STATE_CONFIRMING);
    return resp;
  };
  auto order = Flow().PlaceOrder(Input(true), Far());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state, OrderState::kPaid);
  EXPECT_TRUE(peers_.reserves.empty());
  EXPECT_EQ(peers_.commits.size(), 1u);
}

TEST_F(OrderFlowTest, PayOrderRegistersTriesAndCommits) {
  repo_.Put(Pending(OrderState::kPendingPayment, 500));
  auto order = Flow().PayOrder(peers_.gid, "u1", Far());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state, OrderState::kPaid);
  ASSERT_EQ(peers_.registers.size(), 1u);
  EXPECT_EQ(peers_.registers[0].gid(), peers_.gid);
  EXPECT_EQ(peers_.registers[0].branch().branch_id(), "payment");
  EXPECT_EQ(peers_.registers[0].branch().participant(), "payment");
  ASSERT_EQ(peers_.authorizes.size(), 1u);
  EXPECT_EQ(peers_.authorizes[0].txn().gid(), peers_.gid);
  EXPECT_EQ(peers_.authorizes[0].txn().branch_id(), "payment");
  EXPECT_EQ(peers_.authorizes[0].user_id(), "u1");
  EXPECT_EQ(peers_.authorizes[0].amount().minor_units(), 500);
  EXPECT_EQ(peers_.authorizes[0].amount().currency(), "EUR");
  ASSERT_EQ(peers_.commits.size(), 1u);
  EXPECT_TRUE(peers_.commits[0].wait());
  EXPECT_TRUE(peers_.begins.empty());
}

TEST_F(OrderFlowTest, RefusedPaymentLeavesTheOrderPayable) {
  repo_.Put(Pending(OrderState::kPendingPayment, 500));
  peers_.authorize =
      FailFirst<v1::AuthorizePaymentResponse, v1::AuthorizePaymentRequest>(
          {Refused("INSUFFICIENT_FUNDS", "not enough")}, peers_.authorize);
  auto order = Flow().PayOrder(peers_.gid, "u1", Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(order.status()), "INSUFFICIENT_FUNDS");
  EXPECT_EQ(peers_.authorizes.size(), 1u) << "a refusal is not retried";
  EXPECT_TRUE(peers_.commits.empty());
  EXPECT_TRUE(peers_.aborts.empty()) << "the transaction stays open";
  EXPECT_EQ((*repo_.Get(peers_.gid))->state, OrderState::kPendingPayment);
  // After a deposit, a second PayOrder succeeds.
  auto again = Flow().PayOrder(peers_.gid, "u1", Far());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->state, OrderState::kPaid);
  EXPECT_EQ(peers_.registers.size(), 2u);
}

TEST_F(OrderFlowTest, PayOrderRetriesATransientPayment) {
  repo_.Put(Pending(OrderState::kPendingPayment, 500));
  peers_.authorize =
      FailFirst<v1::AuthorizePaymentResponse, v1::AuthorizePaymentRequest>(
          {Unavailable(), TimedOut()}, peers_.authorize);
  peers_.register_branch =
      [n = std::make_shared<int>(0)](const v1::RegisterBranchRequest&) {
        return ++*n == 1 ? Unavailable() : absl::OkStatus();
      };
  auto order = Flow().PayOrder(peers_.gid, "u1", Far());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(peers_.authorizes.size(), 3u);
  EXPECT_EQ(peers_.registers.size(), 2u);
}

TEST_F(OrderFlowTest, PayOrderOfSomeoneElsesOrMissingOrderIsNotFound) {
  repo_.Put(Pending(OrderState::kPendingPayment));
  EXPECT_EQ(Flow().PayOrder(peers_.gid, "u2", Far()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Flow().PayOrder(NewUuidV7(), "u1", Far()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Flow().CancelOrder(peers_.gid, "u2", Far()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(peers_.registers.empty());
  EXPECT_TRUE(peers_.aborts.empty());
}

TEST_F(OrderFlowTest, PayOrderRefusesOrdersThatAreNotPendingPayment) {
  const std::map<OrderState, std::string> reasons = {
      {OrderState::kPaid, "ALREADY_PAID"},
      {OrderState::kExpired, "ORDER_EXPIRED"},
      {OrderState::kCancelled, "ORDER_CANCELLED"},
      {OrderState::kFailed, "ORDER_FAILED"},
      {OrderState::kPending, "ORDER_NOT_PENDING_PAYMENT"}};
  for (const auto& [state, reason] : reasons) {
    repo_.Put(Pending(state));
    auto order = Flow().PayOrder(peers_.gid, "u1", Far());
    EXPECT_EQ(order.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ReasonOf(order.status()), reason);
    auto cancel = Flow().CancelOrder(peers_.gid, "u1", Far());
    EXPECT_EQ(cancel.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ReasonOf(cancel.status()), reason);
  }
  EXPECT_TRUE(peers_.registers.empty());
  EXPECT_TRUE(peers_.aborts.empty());
}

TEST_F(OrderFlowTest, PayOrderAfterTheWindowIsExpired) {
  repo_.Put(Pending(OrderState::kPendingPayment, 500,
                    Clock::now() - milliseconds(1)));
  auto order = Flow().PayOrder(peers_.gid, "u1", Far());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(order.status()), "ORDER_EXPIRED");
  EXPECT_TRUE(peers_.registers.empty());
}

TEST_F(OrderFlowTest, PayOrderLosingToTheDeadlineIsExpired) {
  repo_.Put(Pending(OrderState::kPendingPayment, 500));
  peers_.commit =
      [](const v1::CommitRequest&) -> absl::StatusOr<v1::CommitResponse> {
    return Error(absl::StatusCode::kAborted, "", "deadline passed");
  };
  peers_.get_txn =
      [](const v1::GetTransactionRequest&) -> absl::StatusOr<v1::Transaction> {
    v1::Transaction txn;
    txn.set_state(v1::TXN_STATE_CANCELLING);
    txn.set_cancel_reason(v1::CANCEL_REASON_DEADLINE);
    return txn;
  };
  auto order = Flow().PayOrder(peers_.gid, "u1", Far());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(order.status()), "ORDER_EXPIRED");

  // The same race lost to the user's CancelOrder.
  peers_.get_txn =
      [](const v1::GetTransactionRequest&) -> absl::StatusOr<v1::Transaction> {
    v1::Transaction txn;
    txn.set_state(v1::TXN_STATE_CANCELLED);
    txn.set_cancel_reason(v1::CANCEL_REASON_USER);
    return txn;
  };
  order = Flow().PayOrder(peers_.gid, "u1", Far());
  EXPECT_EQ(ReasonOf(order.status()), "ORDER_CANCELLED");
}

TEST_F(OrderFlowTest, PayOrderOnAClosedTransactionExplainsWhy) {
  repo_.Put(Pending(OrderState::kPendingPayment, 500));
  peers_.register_branch = [](const v1::RegisterBranchRequest&) {
    return Error(absl::StatusCode::kFailedPrecondition, "", "not TRYING");
  };
  peers_.get_txn =
      [](const v1::GetTransactionRequest&) -> absl::StatusOr<v1::Transaction> {
    v1::Transaction txn;
    txn.set_state(v1::TXN_STATE_CONFIRMING);
    return txn;
  };
  auto order = Flow().PayOrder(peers_.gid, "u1", Far());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(order.status()), "ALREADY_PAID");
  EXPECT_TRUE(peers_.authorizes.empty());
  EXPECT_TRUE(peers_.commits.empty());
}

TEST_F(OrderFlowTest, FreeReservedOrderIsPaidWithoutAPaymentBranch) {
  repo_.Put(Pending(OrderState::kPendingPayment, 0));
  auto order = Flow().PayOrder(peers_.gid, "u1", Far());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(order->state, OrderState::kPaid);
  EXPECT_TRUE(peers_.registers.empty());
  EXPECT_TRUE(peers_.authorizes.empty());
  EXPECT_EQ(peers_.commits.size(), 1u);
}

TEST_F(OrderFlowTest, CancelOrderAbortsWithTheUserReasonAndWaits) {
  repo_.Put(Pending(OrderState::kPendingPayment));
  auto order = Flow().CancelOrder(peers_.gid, "u1", Far());
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_EQ(peers_.aborts.size(), 1u);
  EXPECT_EQ(peers_.aborts[0].gid(), peers_.gid);
  EXPECT_EQ(peers_.aborts[0].reason(), v1::CANCEL_REASON_USER);
  EXPECT_TRUE(peers_.aborts[0].wait());
  EXPECT_EQ(order->state, OrderState::kCancelled);
}

TEST_F(OrderFlowTest, CancelOrderThatWasJustPaidIsAlreadyPaid) {
  repo_.Put(Pending(OrderState::kPendingPayment));
  peers_.abort =
      [](const v1::AbortRequest&) -> absl::StatusOr<v1::AbortResponse> {
    return Error(absl::StatusCode::kFailedPrecondition, "", "committed");
  };
  peers_.get_txn =
      [](const v1::GetTransactionRequest&) -> absl::StatusOr<v1::Transaction> {
    v1::Transaction txn;
    txn.set_state(v1::TXN_STATE_CONFIRMED);
    return txn;
  };
  auto order = Flow().CancelOrder(peers_.gid, "u1", Far());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(order.status()), "ALREADY_PAID");
}

TEST_F(OrderFlowTest, SlotLineReservesForTheSlotWindowThroughTheBookingBranch) {
  PlaceOrderInput in = StockOnly(false);
  in.lines.push_back(SlotLine());
  const auto before = Clock::now();
  auto order = Flow().PlaceOrder(in, Far());
  ASSERT_TRUE(order.ok()) << order.status();
  ASSERT_EQ(peers_.begins.size(), 1u);
  EXPECT_EQ(Branches(peers_.begins[0]),
            (std::set<std::string>{"order", "inventory", "booking"}));
  // The shortest product window of the lines: the slot's 300 s, decided
  // before Begin.
  EXPECT_EQ(peers_.begins[0].timeout_ms(), 300000);

  ASSERT_EQ(peers_.bookings.size(), 1u);
  const auto& hold = peers_.bookings[0];
  EXPECT_EQ(hold.txn().gid(), peers_.gid);
  EXPECT_EQ(hold.txn().branch_id(), "booking");
  EXPECT_EQ(hold.user_id(), "u1");
  EXPECT_TRUE(hold.has_slot());
  EXPECT_FALSE(hold.has_leg());
  EXPECT_THAT(hold.slot().machine_ids(),
              ::testing::ElementsAre("pc-7", "pc-8"));
  EXPECT_EQ(hold.slot().package_id(), "4h");
  // The Try carries the transaction's deadline.
  ASSERT_TRUE(hold.has_deadline());
  EXPECT_NEAR(static_cast<double>(ToMicros(hold.deadline())),
              static_cast<double>(order->expires_at_us), 1.0);
  EXPECT_NEAR(static_cast<double>(order->expires_at_us),
              static_cast<double>(
                  std::chrono::duration_cast<std::chrono::microseconds>(
                      (before + std::chrono::seconds(300)).time_since_epoch())
                      .count()),
              2e6);

  EXPECT_EQ(order->state, OrderState::kPendingPayment);
  EXPECT_EQ(order->total_minor, 100 + 2 * 4000);
  ASSERT_EQ(order->items.size(), 3u);
  EXPECT_EQ(order->items[0].kind, "sku");
  for (int i : {1, 2}) {
    const OrderItem& item = order->items[i];
    EXPECT_EQ(item.kind, "slot");
    EXPECT_EQ(item.quantity, 1);
    EXPECT_EQ(item.unit_price_minor, 4000);
    EXPECT_EQ(item.booking.venue_id, "cafe");
    EXPECT_EQ(item.booking.venue_day, "2026-12-24");
    EXPECT_EQ(item.booking.from_unit, 4);
    EXPECT_EQ(item.booking.to_unit, 12);
    EXPECT_EQ(item.booking.starts_at_us, int64_t{1'798'135'200} * 1'000'000);
  }
  EXPECT_EQ(order->items[1].booking.machine_id, "pc-7");
  EXPECT_EQ(order->items[2].booking.machine_id, "pc-8");
  EXPECT_THAT(order->booking_line, HasSubstr("\"package_id\":\"4h\""));
  EXPECT_EQ(repo_.reasons[peers_.gid], "placed (payment window 300s)");
}

TEST_F(OrderFlowTest, LegLineWithPayNowPaysItsPassengers) {
  PlaceOrderInput in = StockOnly(true);
  in.lines.insert(in.lines.begin(), LegLine());
  auto order = Flow().PlaceOrder(in, Far());
  ASSERT_TRUE(order.ok()) << order.status();
  EXPECT_EQ(
      Branches(peers_.begins[0]),
      (std::set<std::string>{"order", "inventory", "booking", "payment"}));
  EXPECT_EQ(peers_.begins[0].timeout_ms(), 5000);  // pay_now's timeout
  ASSERT_EQ(peers_.bookings.size(), 1u);
  EXPECT_EQ(peers_.bookings[0].leg().passengers_size(), 3);
  EXPECT_EQ(peers_.authorizes[0].amount().minor_units(), 3 * 4000 + 100);
  EXPECT_EQ(order->state, OrderState::kPaid);
  ASSERT_EQ(order->items.size(), 4u);
  // Items in line order: the leg line came first.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(order->items[i].kind, "leg");
    EXPECT_EQ(order->items[i].booking.run_id, "G7:2026-12-24");
    EXPECT_EQ(order->items[i].booking.from_unit, 2);
    EXPECT_EQ(order->items[i].booking.to_unit, 5);
    EXPECT_EQ(order->items[i].booking.doc_id, "P" + std::to_string(i + 1));
  }
  EXPECT_EQ(order->items[3].kind, "sku");
}

TEST_F(OrderFlowTest, LegWindowAndAnExplicitWindow) {
  PlaceOrderInput in = StockOnly(false);
  in.lines.push_back(LegLine());
  options_.windows.stock_and_seat_s = 1200;
  ASSERT_TRUE(Flow().PlaceOrder(in, Far()).ok());
  EXPECT_EQ(peers_.begins[0].timeout_ms(), 900000);

  in.request_id = "r2";
  in.payment_window_s = 2;
  peers_.gid = NewUuidV7();
  ASSERT_TRUE(Flow().PlaceOrder(in, Far()).ok());
  EXPECT_EQ(peers_.begins[1].timeout_ms(), 2000);
}

TEST_F(OrderFlowTest, SlotTakenAbortsWithNothingWritten) {
  peers_.book = [](const v1::HoldBookingsRequest&)
      -> absl::StatusOr<v1::HoldBookingsResponse> {
    return Error(absl::StatusCode::kFailedPrecondition, "SLOT_TAKEN",
                 "pc-7 is booked over part of the window");
  };
  PlaceOrderInput in = StockOnly(true);
  in.lines.push_back(SlotLine());
  auto order = Flow().PlaceOrder(in, Far());
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(order.status()), "SLOT_TAKEN");
  EXPECT_THAT(std::string(order.status().message()), HasSubstr("booking"));
  EXPECT_EQ(peers_.bookings.size(), 1u);  // a refusal is not retried
  ASSERT_EQ(peers_.aborts.size(), 1u);
  EXPECT_THAT(peers_.aborts[0].detail(), HasSubstr("booking"));
  EXPECT_EQ(repo_.try_creates, 0);
  EXPECT_TRUE(peers_.authorizes.empty());
}

TEST_F(OrderFlowTest, BookingInAnotherCurrencyAborts) {
  peers_.booking_currency = "CNY";
  PlaceOrderInput in = StockOnly(true);
  in.lines.push_back(LegLine());
  auto order = Flow().PlaceOrder(in, Far());
  EXPECT_EQ(ReasonOf(order.status()), "MIXED_CURRENCY");
  EXPECT_EQ(peers_.aborts.size(), 1u);
  EXPECT_EQ(repo_.try_creates, 0);
}

TEST_F(OrderFlowTest, BookingLinesAreRefusedWithoutABookingService) {
  options_.serve_booking_lines = false;
  PlaceOrderInput in = StockOnly(true);
  in.lines.push_back(LegLine());
  auto order = Flow().PlaceOrder(in, Far());
  EXPECT_EQ(order.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(order.status().message()),
              HasSubstr("lines[1]: booking lines"));
  EXPECT_TRUE(peers_.begins.empty());
  EXPECT_TRUE(peers_.bookings.empty());
  // Other orders are served as before.
  EXPECT_TRUE(Flow().PlaceOrder(StockOnly(true), Far()).ok());
}

TEST_F(OrderFlowTest, PendingOrderWithABookingLineIsRedrivenWithTheSameHold) {
  PlaceOrderInput in = StockOnly(true);
  LineInput slot = SlotLine();
  slot.slot->clear_machine_ids();
  slot.slot->set_machines(2);  // the gate chooses
  in.lines.push_back(slot);
  auto first = Flow().PlaceOrder(in, Far());
  ASSERT_TRUE(first.ok()) << first.status();
  // The commit's answer was lost: the row is still PENDING.
  repo_.SetState(peers_.gid, OrderState::kPending);
  auto again = Flow().PlaceOrder(StockOnly(true), Far());
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(peers_.bookings.size(), 2u);
  v1::HoldBookingsRequest a = peers_.bookings[0], b = peers_.bookings[1];
  a.clear_deadline();
  b.clear_deadline();
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString())
      << a.DebugString() << b.DebugString();
  EXPECT_EQ(b.slot().machines(), 2);
  EXPECT_EQ(b.slot().machine_ids_size(), 0);
  ASSERT_EQ(peers_.reserves.size(), 2u);
  EXPECT_EQ(peers_.reserves[1].items(0).sku_id(), "sku-a");
  EXPECT_EQ(again->state, OrderState::kPaid);
}

TEST(PriceOrder, PricesLinesInRequestOrder) {
  PlaceOrderInput in;
  in.lines.push_back(LineInput{"", 2, "ev", {"s2", "s1"}});
  in.lines.push_back(LineInput{"k", 7, "", {}});
  v1::ReserveStockResponse stock;
  auto* item = stock.add_items();
  item->set_sku_id("k");
  item->set_quantity(7);
  item->mutable_unit_price()->set_currency("GBP");
  item->mutable_unit_price()->set_minor_units(11);
  v1::HoldSeatsResponse seats;
  for (const char* id : {"s1", "s2"}) {
    auto* seat = seats.add_seats();
    seat->set_seat_id(id);
    seat->mutable_price()->set_currency("GBP");
    seat->mutable_price()->set_minor_units(id[1] == '1' ? 1000 : 2000);
  }
  auto priced = PriceOrder(in, stock, seats, {});
  ASSERT_TRUE(priced.ok()) << priced.status();
  EXPECT_EQ(priced->currency, "GBP");
  EXPECT_EQ(priced->total_minor, 3000 + 77);
  const std::vector<OrderItem> items = {{"seat", "", "ev", "s2", 1, 2000},
                                        {"seat", "", "ev", "s1", 1, 1000},
                                        {"sku", "k", "", "", 7, 11}};
  EXPECT_EQ(priced->items, items);

  seats.mutable_seats(1)->mutable_price()->set_currency("EUR");
  EXPECT_EQ(ReasonOf(PriceOrder(in, stock, seats, {}).status()),
            "MIXED_CURRENCY");
  seats.mutable_seats(1)->mutable_price()->set_currency("GBP");
  seats.mutable_seats()->RemoveLast();
  EXPECT_EQ(ReasonOf(PriceOrder(in, stock, seats, {}).status()),
            "BAD_PEER_RESPONSE");
}

TEST(InputFromRecord, RebuildsTheLines) {
  OrderRecord o;
  o.user_id = "u";
  o.request_id = "r";
  o.pay_now = true;
  o.items = {{"sku", "a", "", "", 3, 1},
             {"seat", "", "ev", "x", 1, 1},
             {"seat", "", "ev", "y", 1, 1},
             {"sku", "b", "", "", 1, 1}};
  const PlaceOrderInput in = *InputFromRecord(o);
  EXPECT_EQ(in.user_id, "u");
  EXPECT_EQ(in.request_id, "r");
  EXPECT_TRUE(in.pay_now);
  ASSERT_EQ(in.lines.size(), 3u);
  EXPECT_EQ(in.lines[0].sku_id, "a");
  EXPECT_EQ(in.lines[0].quantity, 3);
  EXPECT_EQ(in.lines[1].event_id, "ev");
  EXPECT_EQ(in.lines[1].seat_ids, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(in.lines[2].sku_id, "b");
}

}  // namespace
}  // namespace turnstile::order
