// The order binary as a real process whose peers are unreachable: its
// Participant (Confirm/Cancel of the "order" branch) on rows inserted here,
// the reads (GetOrder, ListOrders) and the edge validation of every Order
// RPC, each checked on the order database.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>

#include "google/protobuf/unknown_field_set.h"
#include "services/common/uuid.h"
#include "tests/support/child_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_harness.h"
#include "tests/support/service_process.h"
#include "tests/support/shop.h"
#include "tests/support/test_pki.h"
#include "turnstile/v1/common.pb.h"
#include "turnstile/v1/order.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile {
namespace {

using testing::ChildProcess;
using testing::Ctx;
using testing::OutcomeOf;
using testing::SharedPg;

// The reason in a status's ErrorInfo ("" if none).
std::string ReasonOf(const grpc::Status& status) {
  return OutcomeOf(status).reason;
}

class OrderParticipantTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabaseName("ordp");
    SharedPg().CreateDatabase(db_, "order");
    const std::string addr = "127.0.0.1:" + std::to_string(testing::FreePort());
    // Free ports nobody listens on: every peer is unreachable.
    auto nowhere = [] {
      return "127.0.0.1:" + std::to_string(testing::FreePort());
    };
    proc_ = std::make_unique<ChildProcess>();
    std::vector<std::string> args = SharedPg().ServiceFlags(db_, "order");
    args.insert(
        args.end(),
        {"--listen=" + addr, "--metrics_listen=", "--coordinator=" + nowhere(),
         "--inventory=" + nowhere(), "--seat=" + nowhere(),
         "--payment=" + nowhere(), "--rpc_timeout_ms=200",
         "--try_retry_initial_ms=10", "--try_retry_max_ms=50",
         "--tls_dir=" + testing::TestPkiDir()});
    proc_->Start(testing::Binary("turnstile-order"), args,
                 SharedPg().dir() + "/" + db_ + ".log");
    channel_ = testing::TestChannel(addr, "order", "turnstilectl");
    const auto until =
        std::chrono::system_clock::now() + std::chrono::seconds(30);
    while (!channel_->WaitForConnected(std::chrono::system_clock::now() +
                                       std::chrono::milliseconds(100))) {
      ASSERT_FALSE(proc_->Exited()) << "order exited; see its log";
      ASSERT_LT(std::chrono::system_clock::now(), until) << "not serving";
    }
    // Buyers through loadgen, second phases as the coordinator, reads as
    // an operator.
    order_ = v1::Order::NewStub(testing::TestChannel(addr, "order", "loadgen"));
    participant_ = v1::Participant::NewStub(
        testing::TestChannel(addr, "order", "coordinator"));
    admin_ = v1::Order::NewStub(channel_);
  }

  void TearDown() override {
    order_.reset();
    admin_.reset();
    participant_.reset();
    channel_.reset();
    if (proc_) {
      EXPECT_EQ(proc_->Terminate(10000), 0) << "graceful shutdown";
    }
  }

  std::string Q(const std::string& sql) { return SharedPg().Query(db_, sql); }
  int64_t N(const std::string& sql) { return std::stoll(Q(sql)); }

  // An order as its Try would have written it: row, items, first log row
  // and the barrier's try row.
  std::string Insert(const std::string& state, const std::string& user = "u1",
                     const std::string& created_at = "now()") {
    const std::string gid = NewUuidV7();
    const bool pay_now = state == "PENDING";
    pqxx::connection conn(SharedPg().Conninfo(db_));
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO orders (order_id, user_id, request_id, state, pay_now, "
        "total_minor, currency, expires_at, created_at, updated_at) VALUES "
        "($1::uuid, $2, $3, $4, $5, 5200, 'EUR', CASE WHEN $5 THEN NULL ELSE "
        "'2031-05-06 07:08:09.123456+00'::timestamptz END, " +
            created_at + ", " + created_at + ")",
        gid, user, "req-" + gid, state, pay_now);
    tx.exec_params(
        "INSERT INTO order_item (order_id, line_no, kind, sku_id, quantity, "
        "unit_price_minor) VALUES ($1::uuid, 1, 'sku', 'sku-a', 2, 100)",
        gid);
    tx.exec_params(
        "INSERT INTO order_item (order_id, line_no, kind, event_id, seat_id, "
        "quantity, unit_price_minor) VALUES ($1::uuid, 2, 'seat', 'ev-1', "
        "'A-1-1', 1, 5000)",
        gid);
    tx.exec_params(
        "INSERT INTO order_status_log (order_id, from_state, to_state, "
        "reason) VALUES ($1::uuid, NULL, $2, 'placed')",
        gid, state);
    tx.exec_params(
        "INSERT INTO tcc_barrier (gid, branch_id, phase) VALUES ($1::uuid, "
        "'order', 'try')",
        gid);
    tx.commit();
    return gid;
  }

  grpc::Status Confirm(const std::string& gid, v1::ConfirmResponse* out,
                       const std::string& branch = "order") {
    v1::ConfirmRequest req;
    req.mutable_txn()->set_gid(gid);
    req.mutable_txn()->set_branch_id(branch);
    return participant_->Confirm(Ctx().get(), req, out);
  }

  grpc::Status Cancel(const std::string& gid, v1::CancelReason reason,
                      v1::CancelResponse* out,
                      const std::string& branch = "order") {
    v1::CancelRequest req;
    req.mutable_txn()->set_gid(gid);
    req.mutable_txn()->set_branch_id(branch);
    req.set_reason(reason);
    return participant_->Cancel(Ctx().get(), req, out);
  }

  std::string State(const std::string& gid) {
    return Q("SELECT state FROM orders WHERE order_id = '" + gid + "'");
  }

  std::string Log(const std::string& gid) {
    return Q(
        "SELECT string_agg(coalesce(from_state, 'NULL') || '>' || "
        "to_state || '/' || reason, ',' ORDER BY id) FROM "
        "order_status_log WHERE order_id = '" +
        gid + "'");
  }

  // Everything in the order database, to prove that nothing changed.
  std::string Snapshot() {
    return Q(
        "SELECT (SELECT count(*) FROM orders) || '/' || (SELECT "
        "string_agg(order_id || state || updated_at, ',' ORDER BY "
        "order_id) FROM orders) || '/' || (SELECT count(*) FROM "
        "order_item) || '/' || (SELECT count(*) FROM order_status_log) "
        "|| '/' || (SELECT count(*) FROM tcc_barrier)");
  }

  std::string db_;
  std::unique_ptr<ChildProcess> proc_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Order::Stub> order_;  // as loadgen, with As(user)
  std::unique_ptr<v1::Order::Stub> admin_;  // as turnstilectl
  std::unique_ptr<v1::Participant::Stub> participant_;  // as coordinator

  // A context acting for end user `user`.
  static std::unique_ptr<grpc::ClientContext> As(const std::string& user,
                                                 int ms = 10000) {
    return testing::BuyerCtx(user, ms);
  }
};

TEST_F(OrderParticipantTest, ConfirmPaysAnOpenOrderOnce) {
  for (const std::string from : {"PENDING_PAYMENT", "PENDING"}) {
    const std::string gid = Insert(from);
    v1::ConfirmResponse resp;
    ASSERT_TRUE(Confirm(gid, &resp).ok());
    EXPECT_TRUE(resp.applied());
    EXPECT_EQ(State(gid), "PAID");
    EXPECT_EQ(Log(gid), "NULL>" + from + "/placed," + from + ">PAID/confirmed");
    EXPECT_EQ(Q("SELECT updated_at > created_at FROM orders WHERE order_id = "
                "'" +
                gid + "'"),
              "t");
    // A repeat: OK, not applied, no second log row.
    ASSERT_TRUE(Confirm(gid, &resp).ok());
    EXPECT_FALSE(resp.applied());
    EXPECT_EQ(N("SELECT count(*) FROM order_status_log WHERE order_id = '" +
                gid + "'"),
              2);
    EXPECT_EQ(N("SELECT count(*) FROM tcc_barrier WHERE gid = '" + gid +
                "' AND phase = 'confirm'"),
              1);
  }
}

TEST_F(OrderParticipantTest, CancelEndsTheOrderByReason) {
  const std::vector<std::tuple<v1::CancelReason, std::string, std::string>>
      cases = {
          {v1::CANCEL_REASON_DEADLINE, "EXPIRED", "cancelled: DEADLINE"},
          {v1::CANCEL_REASON_USER, "CANCELLED", "cancelled: USER"},
          {v1::CANCEL_REASON_TRY_FAILED, "FAILED", "cancelled: TRY_FAILED"},
          {v1::CANCEL_REASON_UNSPECIFIED, "FAILED", "cancelled: reason 0"}};
  for (const auto& [reason, state, text] : cases) {
    for (const std::string from : {"PENDING_PAYMENT", "PENDING"}) {
      const std::string gid = Insert(from);
      v1::CancelResponse resp;
      ASSERT_TRUE(Cancel(gid, reason, &resp).ok());
      EXPECT_TRUE(resp.applied());
      EXPECT_EQ(State(gid), state);
      EXPECT_EQ(Log(gid),
                "NULL>" + from + "/placed," + from + ">" + state + "/" + text);
      ASSERT_TRUE(Cancel(gid, reason, &resp).ok());
      EXPECT_FALSE(resp.applied());
      EXPECT_EQ(State(gid), state);
      EXPECT_EQ(N("SELECT count(*) FROM order_status_log WHERE order_id = '" +
                  gid + "'"),
                2);
    }
  }
}

TEST_F(OrderParticipantTest, CancelWithoutTryIsAnEmptyRollback) {
  const std::string gid = NewUuidV7();
  v1::CancelResponse resp;
  ASSERT_TRUE(Cancel(gid, v1::CANCEL_REASON_TRY_FAILED, &resp).ok());
  EXPECT_FALSE(resp.applied());
  EXPECT_EQ(N("SELECT count(*) FROM orders"), 0);
  EXPECT_EQ(N("SELECT count(*) FROM order_status_log"), 0);
  EXPECT_EQ(Q("SELECT string_agg(phase, ',' ORDER BY phase) FROM tcc_barrier "
              "WHERE gid = '" +
              gid + "'"),
            "cancel,try");
}

TEST_F(OrderParticipantTest, OppositePhaseAfterADecisionIsRefused) {
  const std::string paid = Insert("PENDING_PAYMENT");
  v1::ConfirmResponse confirmed;
  ASSERT_TRUE(Confirm(paid, &confirmed).ok());
  v1::CancelResponse cancelled;
  auto s = Cancel(paid, v1::CANCEL_REASON_DEADLINE, &cancelled);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(State(paid), "PAID");
  EXPECT_EQ(N("SELECT count(*) FROM tcc_barrier WHERE gid = '" + paid +
              "' AND phase = 'cancel'"),
            0);

  const std::string expired = Insert("PENDING_PAYMENT");
  ASSERT_TRUE(Cancel(expired, v1::CANCEL_REASON_DEADLINE, &cancelled).ok());
  s = Confirm(expired, &confirmed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(State(expired), "EXPIRED");
  EXPECT_EQ(N("SELECT count(*) FROM tcc_barrier WHERE gid = '" + expired +
              "' AND phase = 'confirm'"),
            0);

  // Confirm of an order that was never tried: refused, nothing recorded.
  const std::string ghost = NewUuidV7();
  s = Confirm(ghost, &confirmed);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(N("SELECT count(*) FROM tcc_barrier WHERE gid = '" + ghost + "'"),
            0);
}

TEST_F(OrderParticipantTest, ParticipantRejectsBadInput) {
  const std::string gid = Insert("PENDING_PAYMENT");
  const std::string before = Snapshot();
  v1::ConfirmResponse confirmed;
  v1::CancelResponse cancelled;
  for (const auto& [g, branch] :
       std::vector<std::pair<std::string, std::string>>{
           {"", "order"},
           {"nope", "order"},
           {gid.substr(1), "order"},
           {gid, ""},
           {gid, "payment"},
           {gid, "ORDER"}}) {
    auto s = Confirm(g, &confirmed, branch);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << g << branch;
    s = Cancel(g, v1::CANCEL_REASON_USER, &cancelled, branch);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << g << branch;
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(OrderParticipantTest, GetOrderReturnsTheStoredOrder) {
  const std::string gid = Insert("PENDING_PAYMENT");
  v1::GetOrderRequest req;
  req.set_order_id(gid);
  v1::OrderInfo info;
  ASSERT_TRUE(admin_->GetOrder(Ctx().get(), req, &info).ok());
  EXPECT_EQ(info.order_id(), gid);
  EXPECT_EQ(info.user_id(), "u1");
  EXPECT_EQ(info.request_id(), "req-" + gid);
  EXPECT_EQ(info.state(), v1::ORDER_STATE_PENDING_PAYMENT);
  EXPECT_EQ(info.total().currency(), "EUR");
  EXPECT_EQ(info.total().minor_units(), 5200);
  EXPECT_FALSE(info.pay_now());
  // 2031-05-06 07:08:09.123456 UTC
  EXPECT_EQ(info.expires_at().seconds(), 1935817689);
  EXPECT_EQ(info.expires_at().nanos(), 123456000);
  EXPECT_GT(info.created_at().seconds(), 1'700'000'000);
  ASSERT_EQ(info.items_size(), 2);
  EXPECT_EQ(info.items(0).kind(), "sku");
  EXPECT_EQ(info.items(0).sku_id(), "sku-a");
  EXPECT_EQ(info.items(0).quantity(), 2);
  EXPECT_EQ(info.items(0).unit_price().minor_units(), 100);
  EXPECT_EQ(info.items(0).unit_price().currency(), "EUR");
  EXPECT_EQ(info.items(1).kind(), "seat");
  EXPECT_EQ(info.items(1).event_id(), "ev-1");
  EXPECT_EQ(info.items(1).seat_id(), "A-1-1");
  EXPECT_EQ(info.items(1).quantity(), 1);

  // Confirmed through the participant, the read follows.
  v1::ConfirmResponse confirmed;
  ASSERT_TRUE(Confirm(gid, &confirmed).ok());
  ASSERT_TRUE(admin_->GetOrder(Ctx().get(), req, &info).ok());
  EXPECT_EQ(info.state(), v1::ORDER_STATE_PAID);
  EXPECT_GT(
      info.updated_at().seconds() * 1000000000LL + info.updated_at().nanos(),
      info.created_at().seconds() * 1000000000LL + info.created_at().nanos());

  // A pay_now order has no expires_at.
  req.set_order_id(Insert("PENDING"));
  ASSERT_TRUE(admin_->GetOrder(Ctx().get(), req, &info).ok());
  EXPECT_FALSE(info.has_expires_at());
  EXPECT_TRUE(info.pay_now());
  EXPECT_EQ(info.state(), v1::ORDER_STATE_PENDING);
}

TEST_F(OrderParticipantTest, GetOrderOfUnknownOrMalformedIds) {
  v1::GetOrderRequest req;
  v1::OrderInfo info;
  req.set_order_id(NewUuidV7());
  auto s = admin_->GetOrder(Ctx().get(), req, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(s), "NOT_FOUND");
  for (const std::string& bad :
       {std::string(""), std::string("123"), std::string("' OR 1=1 --"),
        NewUuidV7() + "a", std::string(36, 'z')}) {
    req.set_order_id(bad);
    s = admin_->GetOrder(Ctx().get(), req, &info);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
  }
}

TEST_F(OrderParticipantTest, ListOrdersPagesNewestFirst) {
  std::vector<std::string> mine;
  for (int i = 0; i < 7; ++i) {
    // Three share one timestamp: the order_id breaks the tie.
    mine.push_back(
        Insert("PENDING_PAYMENT", "u1",
               i < 3 ? "'2030-01-01 00:00:00+00'"
                     : "'2030-01-0" + std::to_string(i - 1) + " 00:00:00+00'"));
  }
  Insert("PENDING_PAYMENT", "u2");
  std::vector<std::string> expected = [&] {
    pqxx::connection conn(SharedPg().Conninfo(db_));
    pqxx::nontransaction tx(conn);
    std::vector<std::string> out;
    for (const auto& r : tx.exec("SELECT order_id::text FROM orders WHERE "
                                 "user_id = 'u1' ORDER BY created_at DESC, "
                                 "order_id DESC")) {
      out.push_back(r[0].c_str());
    }
    return out;
  }();
  std::vector<std::string> seen;
  v1::ListOrdersRequest req;
  req.set_page_size(3);
  std::vector<int> page_sizes;
  for (int page = 0; page < 5; ++page) {
    v1::ListOrdersResponse resp;
    ASSERT_TRUE(order_->ListOrders(As("u1").get(), req, &resp).ok());
    page_sizes.push_back(resp.orders_size());
    for (const auto& o : resp.orders()) {
      seen.push_back(o.order_id());
      EXPECT_EQ(o.items_size(), 2);
    }
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(page_sizes, (std::vector<int>{3, 3, 1}));

  // Default page size, and exactly one full page has no next token.
  v1::ListOrdersRequest all;
  v1::ListOrdersResponse resp;
  ASSERT_TRUE(order_->ListOrders(As("u1").get(), all, &resp).ok());
  EXPECT_EQ(resp.orders_size(), 7);
  EXPECT_TRUE(resp.next_page_token().empty());
  all.set_page_size(7);
  ASSERT_TRUE(order_->ListOrders(As("u1").get(), all, &resp).ok());
  EXPECT_TRUE(resp.next_page_token().empty());

  for (const auto& [user, size, token] :
       std::vector<std::tuple<std::string, int, std::string>>{
           {"", 10, ""},
           {"u 1", 10, ""},
           {"u1", -1, ""},
           {"u1", 1001, ""},
           {"u1", 10, "garbage"},
           {"u1", 10, "o1:1:" + NewUuidV7() + "x"}}) {
    v1::ListOrdersRequest bad;
    bad.set_page_size(size);
    bad.set_page_token(token);
    EXPECT_EQ(order_->ListOrders(As(user).get(), bad, &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << user << " " << size << " " << token;
  }
}

TEST_F(OrderParticipantTest, PlaceOrderBadInputChangesNothing) {
  const std::string before = Snapshot();
  auto valid = [] {
    v1::PlaceOrderRequest req;
    req.set_request_id("r1");
    auto* line = req.add_lines();
    line->set_sku_id("sku-a");
    line->set_quantity(1);
    return req;
  };
  std::vector<std::pair<std::string, v1::PlaceOrderRequest>> cases;
  auto add = [&](const std::string& name, auto mutate) {
    auto req = valid();
    mutate(req);
    cases.emplace_back(name, req);
  };
  // Bad acting users are refused by the authorization layer before the
  // handler (INVALID_ARGUMENT, without a reason: no handler ran).
  for (const std::string& user :
       {std::string(""), std::string(65, 'u'), std::string("u1/x")}) {
    v1::PlaceOrderResponse resp;
    EXPECT_EQ(order_->PlaceOrder(As(user).get(), valid(), &resp).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT)
        << user;
  }
  add("old client's user_id field", [](auto& r) {
    r.GetReflection()->MutableUnknownFields(&r)->AddLengthDelimited(1, "u2");
  });
  add("empty request", [](auto& r) { r.set_request_id(""); });
  add("long request", [](auto& r) { r.set_request_id(std::string(129, 'r')); });
  add("no lines", [](auto& r) { r.clear_lines(); });
  add("21 lines", [](auto& r) {
    for (int i = 0; i < 20; ++i) {
      auto* l = r.add_lines();
      l->set_sku_id("s" + std::to_string(i));
      l->set_quantity(1);
    }
  });
  add("zero quantity", [](auto& r) { r.mutable_lines(0)->set_quantity(0); });
  add("negative quantity",
      [](auto& r) { r.mutable_lines(0)->set_quantity(-3); });
  add("huge quantity",
      [](auto& r) { r.mutable_lines(0)->set_quantity(1'000'001); });
  add("sku and event", [](auto& r) { r.mutable_lines(0)->set_event_id("e"); });
  add("neither", [](auto& r) { r.mutable_lines(0)->clear_sku_id(); });
  add("duplicate sku", [](auto& r) {
    auto* l = r.add_lines();
    l->set_sku_id("sku-a");
    l->set_quantity(2);
  });
  add("bad sku", [](auto& r) { r.mutable_lines(0)->set_sku_id("a b"); });
  add("seat line without seats",
      [](auto& r) { r.add_lines()->set_event_id("e"); });
  add("two seat lines", [](auto& r) {
    for (int i = 0; i < 2; ++i) {
      auto* l = r.add_lines();
      l->set_event_id("e" + std::to_string(i));
      l->add_seat_ids("A-1-1");
    }
  });
  add("21 seats", [](auto& r) {
    auto* l = r.add_lines();
    l->set_event_id("e");
    for (int i = 0; i < 21; ++i) l->add_seat_ids("A-1-" + std::to_string(i));
  });
  add("duplicate seat", [](auto& r) {
    auto* l = r.add_lines();
    l->set_event_id("e");
    l->add_seat_ids("A-1-1");
    l->add_seat_ids("A-1-1");
  });
  add("negative window", [](auto& r) { r.set_payment_window_seconds(-1); });
  add("window above a day",
      [](auto& r) { r.set_payment_window_seconds(86401); });

  for (const auto& [name, req] : cases) {
    v1::PlaceOrderResponse resp;
    const auto start = std::chrono::steady_clock::now();
    auto s = order_->PlaceOrder(As("u1").get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name;
    EXPECT_EQ(ReasonOf(s), "INVALID_ARGUMENT") << name;
    // Rejected at the edge: no peer was even tried.
    EXPECT_LT(std::chrono::steady_clock::now() - start,
              std::chrono::milliseconds(500))
        << name;
  }
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(OrderParticipantTest, PayAndCancelBadInputAndUnknownOrders) {
  const std::string gid = Insert("PENDING_PAYMENT");
  const std::string before = Snapshot();
  v1::OrderInfo info;
  for (const auto& [id, user] :
       std::vector<std::pair<std::string, std::string>>{
           {"", "u1"},
           {"x", "u1"},
           {gid + "0", "u1"},
           {gid, ""},
           {gid, std::string(65, 'u')},
           {gid, "u 1"}}) {
    v1::PayOrderRequest pay;
    pay.set_order_id(id);
    EXPECT_EQ(order_->PayOrder(As(user).get(), pay, &info).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    v1::CancelOrderRequest cancel;
    cancel.set_order_id(id);
    EXPECT_EQ(order_->CancelOrder(As(user).get(), cancel, &info).error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
  }
  // Unknown order, or someone else's: NOT_FOUND alike.
  for (const auto& [id, user] :
       std::vector<std::pair<std::string, std::string>>{{NewUuidV7(), "u1"},
                                                        {gid, "u2"}}) {
    v1::PayOrderRequest pay;
    pay.set_order_id(id);
    EXPECT_EQ(order_->PayOrder(As(user).get(), pay, &info).error_code(),
              grpc::StatusCode::NOT_FOUND);
    v1::CancelOrderRequest cancel;
    cancel.set_order_id(id);
    EXPECT_EQ(order_->CancelOrder(As(user).get(), cancel, &info).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(Snapshot(), before);
  // A paid order is neither payable nor cancellable.
  v1::ConfirmResponse confirmed;
  ASSERT_TRUE(Confirm(gid, &confirmed).ok());
  v1::PayOrderRequest pay;
  pay.set_order_id(gid);
  auto s = order_->PayOrder(As("u1").get(), pay, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "ALREADY_PAID");
  v1::CancelOrderRequest cancel;
  cancel.set_order_id(gid);
  s = order_->CancelOrder(As("u1").get(), cancel, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "ALREADY_PAID");
  EXPECT_EQ(State(gid), "PAID");
}

TEST_F(OrderParticipantTest, PlaceOrderWithoutACoordinatorChangesNothing) {
  const std::string before = Snapshot();
  v1::PlaceOrderRequest req;
  req.set_request_id("r1");
  req.set_pay_now(true);
  auto* line = req.add_lines();
  line->set_sku_id("sku-a");
  line->set_quantity(1);
  v1::PlaceOrderResponse resp;
  const auto start = std::chrono::steady_clock::now();
  auto s = order_->PlaceOrder(As("u1", 1500).get(), req, &resp);
  EXPECT_TRUE(s.error_code() == grpc::StatusCode::UNAVAILABLE ||
              s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
      << s.error_code() << " " << s.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(Snapshot(), before);
}

}  // namespace
}  // namespace turnstile
