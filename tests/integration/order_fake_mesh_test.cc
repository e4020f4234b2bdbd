// The real order and payment binaries driven through their gRPC APIs, with
// the coordinator, inventory and seat services played by small in-process
// fakes (a coordinator that really delivers Confirm/Cancel to every branch,
// including its deadline sweep). Checks the order flows across processes on
// the order and payment databases and on what the fakes received; the full
// mesh with the real coordinator is covered by the mesh tests.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "services/common/status.h"
#include "services/common/time_util.h"
#include "services/common/uuid.h"
#include "tests/support/child_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_process.h"
#include "tests/support/shop.h"
#include "tests/support/test_pki.h"
#include "turnstile/v1/booking.grpc.pb.h"
#include "turnstile/v1/common.pb.h"
#include "turnstile/v1/coordinator.grpc.pb.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/order.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"
#include "turnstile/v1/payment.grpc.pb.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile {
namespace {

using Clock = std::chrono::system_clock;
using std::chrono::milliseconds;
using testing::ChildProcess;
using testing::SharedPg;

std::string ReasonOf(const grpc::Status& status) {
  return turnstile::ReasonOf(FromGrpc(status));
}

// A refusal as a real participant sends it (google.rpc.Status details).
grpc::Status Refuse(grpc::StatusCode code, const std::string& reason,
                    const std::string& message) {
  return ToGrpc(Error(static_cast<absl::StatusCode>(code), reason, message),
                "fake");
}

std::unique_ptr<grpc::ClientContext> Ctx(int ms = 15000) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(Clock::now() + milliseconds(ms));
  return ctx;
}

// A stock-keeping participant: SKUs with stock and a price; "sold-out"
// refuses; the first `fail_first` Tries answer UNAVAILABLE.
class FakeInventory final : public v1::Inventory::Service,
                            public v1::Participant::Service {
 public:
  grpc::Status ReserveStock(grpc::ServerContext*,
                            const v1::ReserveStockRequest* req,
                            v1::ReserveStockResponse* resp) override {
    std::lock_guard lock(mu);
    ++tries[req->txn().gid()];
    if (fail_first > 0) {
      --fail_first;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "warming up");
    }
    EXPECT_EQ(req->txn().branch_id(), "inventory");
    const bool repeat = reserved.count(req->txn().gid()) > 0;
    for (const auto& item : req->items()) {
      if (item.sku_id() == "sold-out" ||
          (!repeat && stock[item.sku_id()] < item.quantity())) {
        return Refuse(grpc::StatusCode::FAILED_PRECONDITION, "SOLD_OUT",
                      item.sku_id() + " is sold out");
      }
    }
    for (const auto& item : req->items()) {
      if (!repeat) stock[item.sku_id()] -= item.quantity();
      auto* out = resp->add_items();
      out->set_sku_id(item.sku_id());
      out->set_quantity(item.quantity());
      out->mutable_unit_price()->set_currency("EUR");
      out->mutable_unit_price()->set_minor_units(100);
    }
    if (!repeat) reserved[req->txn().gid()] = *req;
    return grpc::Status::OK;
  }

  grpc::Status Confirm(grpc::ServerContext*, const v1::ConfirmRequest* req,
                       v1::ConfirmResponse*) override {
    std::lock_guard lock(mu);
    confirmed.insert(req->txn().gid());
    return grpc::Status::OK;
  }

  grpc::Status Cancel(grpc::ServerContext*, const v1::CancelRequest* req,
                      v1::CancelResponse*) override {
    std::lock_guard lock(mu);
    if (cancelled.insert(req->txn().gid()).second &&
        reserved.count(req->txn().gid())) {
      for (const auto& item : reserved[req->txn().gid()].items()) {
        stock[item.sku_id()] += item.quantity();
      }
    }
    return grpc::Status::OK;
  }

  // Locked reads for the test thread.
  bool Confirmed(const std::string& gid) {
    std::lock_guard lock(mu);
    return confirmed.count(gid) > 0;
  }
  bool Cancelled(const std::string& gid) {
    std::lock_guard lock(mu);
    return cancelled.count(gid) > 0;
  }
  int Tries(const std::string& gid) {
    std::lock_guard lock(mu);
    return tries[gid];
  }

  std::mutex mu;
  int fail_first = 0;
  std::map<std::string, int64_t> stock;
  std::map<std::string, int> tries;
  std::map<std::string, v1::ReserveStockRequest> reserved;
  std::set<std::string> confirmed, cancelled;
};

// Seats at 2500 EUR ("usd-event": USD); seat ids starting "taken" refuse.
class FakeSeat final : public v1::Seat::Service,
                       public v1::Participant::Service {
 public:
  grpc::Status HoldSeats(grpc::ServerContext*, const v1::HoldSeatsRequest* req,
                         v1::HoldSeatsResponse* resp) override {
    std::lock_guard lock(mu);
    held.insert(req->txn().gid());
    for (const auto& id : req->seat_ids()) {
      if (id.rfind("taken", 0) == 0) {
        return Refuse(grpc::StatusCode::FAILED_PRECONDITION, "SEAT_TAKEN",
                      id + " is taken");
      }
      auto* seat = resp->add_seats();
      seat->set_seat_id(id);
      seat->mutable_price()->set_currency(
          req->event_id() == "usd-event" ? "USD" : "EUR");
      seat->mutable_price()->set_minor_units(2500);
    }
    return grpc::Status::OK;
  }
  grpc::Status Confirm(grpc::ServerContext*, const v1::ConfirmRequest* req,
                       v1::ConfirmResponse*) override {
    std::lock_guard lock(mu);
    confirmed.insert(req->txn().gid());
    return grpc::Status::OK;
  }
  grpc::Status Cancel(grpc::ServerContext*, const v1::CancelRequest* req,
                      v1::CancelResponse*) override {
    std::lock_guard lock(mu);
    cancelled.insert(req->txn().gid());
    return grpc::Status::OK;
  }

  // Locked reads for the test thread.
  bool Confirmed(const std::string& gid) {
    std::lock_guard lock(mu);
    return confirmed.count(gid) > 0;
  }
  bool Cancelled(const std::string& gid) {
    std::lock_guard lock(mu);
    return cancelled.count(gid) > 0;
  }

  std::mutex mu;
  std::set<std::string> held, confirmed, cancelled;
};

// Range bookings: each machine of a slot line 3000 EUR (venue "cny-cafe":
// CNY), each passenger of a leg line 1200 EUR on seats "1-<n>"; a machine id
// starting "taken" refuses SLOT_TAKEN. Records every Try as received.
class FakeBooking final : public v1::Booking::Service,
                          public v1::Participant::Service {
 public:
  grpc::Status HoldBookings(grpc::ServerContext*,
                            const v1::HoldBookingsRequest* req,
                            v1::HoldBookingsResponse* resp) override {
    std::lock_guard lock(mu);
    tries.push_back(*req);
    int64_t total = 0;
    auto add = [&](v1::BookedItem* item, const std::string& currency,
                   int64_t price) {
      item->mutable_price()->set_currency(currency);
      item->mutable_price()->set_minor_units(price);
      total += price;
    };
    if (req->has_slot()) {
      const auto& slot = req->slot();
      for (const auto& m : slot.machine_ids()) {
        if (m.rfind("taken", 0) == 0) {
          return Refuse(grpc::StatusCode::FAILED_PRECONDITION, "SLOT_TAKEN",
                        m + " is booked over part of the window");
        }
      }
      for (const auto& m : slot.machine_ids()) {
        auto* item = resp->add_items();
        item->set_kind("slot");
        item->set_venue_id(slot.venue_id());
        item->set_machine_id(m);
        auto* window = item->mutable_window();
        window->set_venue_day("2026-12-24");
        window->set_from_slot(0);
        window->set_to_slot(8);
        *window->mutable_starts_at() = slot.starts_at();
        window->mutable_ends_at()->set_seconds(slot.starts_at().seconds() +
                                               4 * 3600);
        add(item, slot.venue_id() == "cny-cafe" ? "CNY" : "EUR", 3000);
      }
      resp->set_payment_window_seconds(300);
    } else {
      const auto& leg = req->leg();
      for (int i = 0; i < leg.passengers_size(); ++i) {
        auto* item = resp->add_items();
        item->set_kind("leg");
        item->set_run_id(leg.run_id());
        item->set_seat_id("1-" + std::to_string(i + 1));
        item->set_from_stop(leg.from_stop());
        item->set_to_stop(leg.to_stop());
        item->set_doc_id(leg.passengers(i).doc_id());
        add(item, "EUR", 1200);
      }
      resp->set_payment_window_seconds(900);
    }
    resp->mutable_total()->set_currency(resp->items(0).price().currency());
    resp->mutable_total()->set_minor_units(total);
    held.insert(req->txn().gid());
    return grpc::Status::OK;
  }
  grpc::Status Confirm(grpc::ServerContext*, const v1::ConfirmRequest* req,
                       v1::ConfirmResponse*) override {
    std::lock_guard lock(mu);
    EXPECT_EQ(req->txn().branch_id(), "booking");
    confirmed.insert(req->txn().gid());
    return grpc::Status::OK;
  }
  grpc::Status Cancel(grpc::ServerContext*, const v1::CancelRequest* req,
                      v1::CancelResponse*) override {
    std::lock_guard lock(mu);
    cancelled.insert(req->txn().gid());
    return grpc::Status::OK;
  }

  // Locked reads for the test thread.
  bool Confirmed(const std::string& gid) {
    std::lock_guard lock(mu);
    return confirmed.count(gid) > 0;
  }
  bool Cancelled(const std::string& gid) {
    std::lock_guard lock(mu);
    return cancelled.count(gid) > 0;
  }
  std::vector<v1::HoldBookingsRequest> Tries() {
    std::lock_guard lock(mu);
    return tries;
  }

  std::mutex mu;
  std::vector<v1::HoldBookingsRequest> tries;
  std::set<std::string> held, confirmed, cancelled;
};

// A coordinator in memory that delivers the decision to every branch before
// answering, and cancels TRYING transactions past their deadline.
class FakeCoordinator final : public v1::Coordinator::Service {
 public:
  struct Txn {
    std::string gid;
    Clock::time_point deadline;
    v1::TxnState state = v1::TXN_STATE_TRYING;
    v1::CancelReason reason = v1::CANCEL_REASON_UNSPECIFIED;
    std::string detail;
    std::map<std::string, std::string> branches;  // branch -> participant
  };

  FakeCoordinator() : sweeper_([this] { Sweep(); }) {}
  ~FakeCoordinator() override {
    stop_ = true;
    sweeper_.join();
  }

  void SetParticipants(const std::map<std::string, std::string>& addresses) {
    for (const auto& [name, addr] : addresses) {
      participants_[name] = v1::Participant::NewStub(
          testing::TestChannel(addr, name, "coordinator"));
    }
  }

  grpc::Status Begin(grpc::ServerContext*, const v1::BeginRequest* req,
                     v1::BeginResponse* resp) override {
    std::lock_guard lock(mu);
    ++begins;
    auto it = by_request_.find(req->request_id());
    if (it == by_request_.end()) {
      Txn txn;
      txn.gid = NewUuidV7();
      txn.deadline = Clock::now() + milliseconds(req->timeout_ms());
      for (const auto& b : req->branches()) {
        txn.branches[b.branch_id()] = b.participant();
      }
      it = by_request_.emplace(req->request_id(), txn.gid).first;
      txns[txn.gid] = txn;
    }
    const Txn& txn = txns[it->second];
    resp->set_gid(txn.gid);
    SetMicros(resp->mutable_deadline(), Micros(txn.deadline));
    resp->set_state(txn.state);
    return grpc::Status::OK;
  }

  grpc::Status RegisterBranch(grpc::ServerContext*,
                              const v1::RegisterBranchRequest* req,
                              v1::RegisterBranchResponse*) override {
    std::lock_guard lock(mu);
    auto* txn = Find(req->gid());
    if (!txn) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no txn");
    if (txn->state != v1::TXN_STATE_TRYING) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "decided");
    }
    txn->branches[req->branch().branch_id()] = req->branch().participant();
    return grpc::Status::OK;
  }

  grpc::Status Commit(grpc::ServerContext*, const v1::CommitRequest* req,
                      v1::CommitResponse* resp) override {
    std::lock_guard lock(mu);
    auto* txn = Find(req->gid());
    if (!txn) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no txn");
    if (txn->state == v1::TXN_STATE_TRYING) {
      if (Clock::now() >= txn->deadline) {
        Decide(*txn, false, v1::CANCEL_REASON_DEADLINE);
      } else {
        Decide(*txn, true, v1::CANCEL_REASON_UNSPECIFIED);
      }
    }
    if (txn->state == v1::TXN_STATE_CANCELLED) {
      return Refuse(grpc::StatusCode::ABORTED, "TXN_ABORTED", "cancelled");
    }
    resp->set_state(txn->state);
    return grpc::Status::OK;
  }

  grpc::Status Abort(grpc::ServerContext*, const v1::AbortRequest* req,
                     v1::AbortResponse* resp) override {
    std::lock_guard lock(mu);
    ++aborts;
    auto* txn = Find(req->gid());
    if (!txn) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no txn");
    if (txn->state == v1::TXN_STATE_CONFIRMED) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "committed");
    }
    if (txn->state == v1::TXN_STATE_TRYING) {
      txn->detail = req->detail();
      Decide(*txn, false, req->reason());
    }
    resp->set_state(txn->state);
    return grpc::Status::OK;
  }

  grpc::Status GetTransaction(grpc::ServerContext*,
                              const v1::GetTransactionRequest* req,
                              v1::Transaction* resp) override {
    std::lock_guard lock(mu);
    auto* txn = Find(req->gid());
    if (!txn) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no txn");
    resp->set_gid(txn->gid);
    resp->set_state(txn->state);
    resp->set_cancel_reason(txn->reason);
    return grpc::Status::OK;
  }

  Txn Get(const std::string& gid) {
    std::lock_guard lock(mu);
    return txns[gid];
  }
  std::vector<Txn> All() {
    std::lock_guard lock(mu);
    std::vector<Txn> out;
    for (const auto& [gid, txn] : txns) out.push_back(txn);
    return out;
  }
  int Aborts() {
    std::lock_guard lock(mu);
    return aborts;
  }

  std::mutex mu;
  std::map<std::string, Txn> txns;
  int begins = 0;
  int aborts = 0;

 private:
  static int64_t Micros(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               t.time_since_epoch())
        .count();
  }

  Txn* Find(const std::string& gid) {
    auto it = txns.find(gid);
    return it == txns.end() ? nullptr : &it->second;
  }

  // Delivers the decision to every branch (retrying briefly); under mu.
  void Decide(Txn& txn, bool confirm, v1::CancelReason reason) {
    txn.state = confirm ? v1::TXN_STATE_CONFIRMING : v1::TXN_STATE_CANCELLING;
    txn.reason = reason;
    bool all = true;
    for (const auto& [branch, participant] : txn.branches) {
      bool done = false;
      for (int attempt = 0; attempt < 20 && !done; ++attempt) {
        auto ctx = Ctx(2000);
        grpc::Status s;
        if (confirm) {
          v1::ConfirmRequest req;
          req.mutable_txn()->set_gid(txn.gid);
          req.mutable_txn()->set_branch_id(branch);
          v1::ConfirmResponse resp;
          s = participants_[participant]->Confirm(ctx.get(), req, &resp);
        } else {
          v1::CancelRequest req;
          req.mutable_txn()->set_gid(txn.gid);
          req.mutable_txn()->set_branch_id(branch);
          req.set_reason(reason);
          v1::CancelResponse resp;
          s = participants_[participant]->Cancel(ctx.get(), req, &resp);
        }
        done = s.ok();
        if (!done) {
          ADD_FAILURE() << branch
                        << " refused the decision: " << s.error_message();
          std::this_thread::sleep_for(milliseconds(50));
        }
      }
      all = all && done;
    }
    if (all) {
      txn.state = confirm ? v1::TXN_STATE_CONFIRMED : v1::TXN_STATE_CANCELLED;
    }
  }

  void Sweep() {
    while (!stop_) {
      std::this_thread::sleep_for(milliseconds(50));
      std::lock_guard lock(mu);
      for (auto& [gid, txn] : txns) {
        if (txn.state == v1::TXN_STATE_TRYING && Clock::now() >= txn.deadline) {
          Decide(txn, false, v1::CANCEL_REASON_DEADLINE);
        }
      }
    }
  }

  std::map<std::string, std::string> by_request_;
  std::map<std::string, std::unique_ptr<v1::Participant::Stub>> participants_;
  std::atomic<bool> stop_{false};
  std::thread sweeper_;
};

// One in-process gRPC server on a free loopback port.
// It presents `identity`'s certificate, as the real service would.
std::unique_ptr<grpc::Server> Serve(const std::vector<grpc::Service*>& services,
                                    const std::string& identity,
                                    std::string* address) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0",
                           testing::TestServerCredentials(identity), &port);
  for (auto* s : services) builder.RegisterService(s);
  auto server = builder.BuildAndStart();
  *address = "127.0.0.1:" + std::to_string(port);
  return server;
}

class OrderFakeMeshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    prefix_ = testing::TestDatabaseName("ofm");
    SharedPg().CreateDatabase(prefix_ + "_order", "order");
    SharedPg().CreateDatabase(prefix_ + "_payment", "payment");

    std::string inventory_addr, seat_addr, booking_addr, coordinator_addr;
    testing::TestPki({"booking"});  // the booking identity, if still missing
    booking_server_ = Serve({static_cast<v1::Booking::Service*>(&booking_),
                             static_cast<v1::Participant::Service*>(&booking_)},
                            "booking", &booking_addr);
    inventory_server_ =
        Serve({static_cast<v1::Inventory::Service*>(&inventory_),
               static_cast<v1::Participant::Service*>(&inventory_)},
              "inventory", &inventory_addr);
    seat_server_ = Serve({static_cast<v1::Seat::Service*>(&seat_),
                          static_cast<v1::Participant::Service*>(&seat_)},
                         "seat", &seat_addr);
    coordinator_ = std::make_unique<FakeCoordinator>();
    coordinator_server_ =
        Serve({coordinator_.get()}, "coordinator", &coordinator_addr);

    const std::string payment_addr =
        "127.0.0.1:" + std::to_string(testing::FreePort());
    const std::string order_addr =
        "127.0.0.1:" + std::to_string(testing::FreePort());
    payment_proc_ =
        Start("turnstile-payment", payment_addr,
              SharedPg().ServiceFlags(prefix_ + "_payment", "payment"));
    std::vector<std::string> order_args =
        SharedPg().ServiceFlags(prefix_ + "_order", "order");
    order_args.insert(
        order_args.end(),
        {"--coordinator=" + coordinator_addr, "--inventory=" + inventory_addr,
         "--seat=" + seat_addr, "--payment=" + payment_addr,
         "--booking=" + booking_addr, "--rpc_timeout_ms=3000",
         "--try_retry_initial_ms=10", "--try_retry_max_ms=100",
         // The fakes keep no Redis gate: no sold-out pre-check.
         "--stock_precheck=false"});
    order_proc_ = Start("turnstile-order", order_addr, order_args);
    coordinator_->SetParticipants({{"order", order_addr},
                                   {"payment", payment_addr},
                                   {"inventory", inventory_addr},
                                   {"seat", seat_addr},
                                   {"booking", booking_addr}});
    order_channel_ = testing::TestChannel(order_addr, "order", "loadgen");
    payment_channel_ =
        testing::TestChannel(payment_addr, "payment", "turnstilectl");
    order_ = v1::Order::NewStub(order_channel_);
    payment_ = v1::Payment::NewStub(payment_channel_);
    inventory_.stock = {{"sku-a", 1000}, {"sku-b", 1000}};
  }

  void TearDown() override {
    order_.reset();
    payment_.reset();
    order_channel_.reset();
    payment_channel_.reset();
    EXPECT_EQ(order_proc_->Terminate(10000), 0);
    coordinator_.reset();  // no more deliveries
    EXPECT_EQ(payment_proc_->Terminate(10000), 0);
    coordinator_server_->Shutdown(Clock::now());
    inventory_server_->Shutdown(Clock::now());
    seat_server_->Shutdown(Clock::now());
    booking_server_->Shutdown(Clock::now());
  }

  std::unique_ptr<ChildProcess> Start(const std::string& binary,
                                      const std::string& addr,
                                      std::vector<std::string> args) {
    args.push_back("--listen=" + addr);
    args.push_back("--metrics_listen=");
    for (auto& flag : testing::TlsFlags()) args.push_back(flag);
    auto proc = std::make_unique<ChildProcess>();
    proc->Start(testing::Binary(binary), args,
                SharedPg().dir() + "/" + prefix_ + "_" + binary + ".log");
    const std::string peer = binary.substr(std::string("turnstile-").size());
    auto probe = testing::TestChannel(addr, peer, "turnstilectl");
    const auto until = Clock::now() + std::chrono::seconds(30);
    while (!probe->WaitForConnected(Clock::now() + milliseconds(100))) {
      if (proc->Exited() || Clock::now() > until) {
        ADD_FAILURE() << binary << " did not start";
        break;
      }
    }
    return proc;
  }

  std::string QO(const std::string& sql) {
    return SharedPg().Query(prefix_ + "_order", sql);
  }
  std::string QP(const std::string& sql) {
    return SharedPg().Query(prefix_ + "_payment", sql);
  }

  void Deposit(const std::string& user, int64_t amount) {
    v1::DepositRequest req;
    req.set_user_id(user);
    req.mutable_amount()->set_currency("EUR");
    req.mutable_amount()->set_minor_units(amount);
    req.set_request_id(NewUuidV7());
    v1::Wallet w;
    ASSERT_TRUE(payment_->Deposit(Ctx().get(), req, &w).ok());
  }

  std::string Wallet(const std::string& user) {
    return QP("SELECT balance || '/' || frozen FROM wallet WHERE user_id = '" +
              user + "'");
  }

  // sku-a x2 (2 x 100) and seats A-1-1, A-1-2 (2 x 2500): 5200 EUR.
  static v1::PlaceOrderRequest Request(const std::string& user,
                                       const std::string& request_id,
                                       bool pay_now) {
    v1::PlaceOrderRequest req;
    req.set_request_id(request_id);
    req.set_pay_now(pay_now);
    auto* stock = req.add_lines();
    stock->set_sku_id("sku-a");
    stock->set_quantity(2);
    auto* seats = req.add_lines();
    seats->set_event_id("ev-1");
    seats->add_seat_ids("A-1-1");
    seats->add_seat_ids("A-1-2");
    return req;
  }

  std::string Log(const std::string& gid) {
    return QO(
        "SELECT string_agg(coalesce(from_state, 'NULL') || '>' || "
        "to_state || '/' || reason, ',' ORDER BY id) FROM "
        "order_status_log WHERE order_id = '" +
        gid + "'");
  }

  std::string prefix_;
  FakeInventory inventory_;
  FakeSeat seat_;
  FakeBooking booking_;
  std::unique_ptr<FakeCoordinator> coordinator_;
  std::unique_ptr<grpc::Server> inventory_server_, seat_server_,
      booking_server_, coordinator_server_;
  std::unique_ptr<ChildProcess> payment_proc_, order_proc_;
  std::shared_ptr<grpc::Channel> order_channel_, payment_channel_;
  std::unique_ptr<v1::Order::Stub> order_;
  std::unique_ptr<v1::Payment::Stub> payment_;
};

TEST_F(OrderFakeMeshTest, PayNowChargesTheWalletAndConfirmsEverywhere) {
  Deposit("u1", 10000);
  v1::PlaceOrderResponse resp;
  auto s = order_->PlaceOrder(testing::BuyerCtx("u1").get(),
                              Request("u1", "r1", true), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const auto& o = resp.order();
  const std::string gid = o.order_id();
  EXPECT_EQ(o.state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(o.total().minor_units(), 5200);
  EXPECT_EQ(o.total().currency(), "EUR");
  EXPECT_TRUE(o.pay_now());
  EXPECT_FALSE(o.has_expires_at());
  ASSERT_EQ(o.items_size(), 3);
  EXPECT_EQ(o.items(0).sku_id(), "sku-a");
  EXPECT_EQ(o.items(1).seat_id(), "A-1-1");
  EXPECT_EQ(o.items(2).seat_id(), "A-1-2");

  const auto txn = coordinator_->Get(gid);
  EXPECT_EQ(txn.state, v1::TXN_STATE_CONFIRMED);
  EXPECT_EQ(txn.branches,
            (std::map<std::string, std::string>{{"inventory", "inventory"},
                                                {"order", "order"},
                                                {"payment", "payment"},
                                                {"seat", "seat"}}));
  EXPECT_EQ(QO("SELECT state FROM orders"), "PAID");
  EXPECT_EQ(Log(gid), "NULL>PENDING/placed (pay_now),PENDING>PAID/confirmed");
  EXPECT_EQ(Wallet("u1"), "4800/0");
  EXPECT_EQ(QP("SELECT state || '/' || amount FROM payment WHERE gid = '" +
               gid + "'"),
            "CAPTURED/5200");
  EXPECT_TRUE(inventory_.Confirmed(gid));
  EXPECT_TRUE(seat_.Confirmed(gid));

  // The same request again: the same order, nothing tried or charged again.
  v1::PlaceOrderResponse again;
  ASSERT_TRUE(order_
                  ->PlaceOrder(testing::BuyerCtx("u1").get(),
                               Request("u1", "r1", true), &again)
                  .ok());
  EXPECT_EQ(again.order().order_id(), gid);
  EXPECT_EQ(again.order().state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(inventory_.Tries(gid), 1);
  EXPECT_EQ(Wallet("u1"), "4800/0");
  EXPECT_EQ(QO("SELECT count(*) FROM orders"), "1");
}

TEST_F(OrderFakeMeshTest, SoldOutReleasesEveryBranchAndWritesNoOrder) {
  Deposit("u1", 10000);
  auto req = Request("u1", "r1", true);
  req.mutable_lines(0)->set_sku_id("sold-out");
  v1::PlaceOrderResponse resp;
  auto s = order_->PlaceOrder(testing::BuyerCtx("u1").get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "SOLD_OUT");
  std::string gid;
  ASSERT_EQ(coordinator_->All().size(), 1u);
  gid = coordinator_->All()[0].gid;
  const auto txn = coordinator_->Get(gid);
  EXPECT_EQ(txn.state, v1::TXN_STATE_CANCELLED);
  EXPECT_EQ(txn.reason, v1::CANCEL_REASON_TRY_FAILED);
  EXPECT_NE(txn.detail.find("SOLD_OUT"), std::string::npos) << txn.detail;
  EXPECT_TRUE(seat_.Cancelled(gid));
  EXPECT_EQ(QO("SELECT count(*) FROM orders"), "0");
  EXPECT_EQ(QO("SELECT string_agg(phase, ',' ORDER BY phase) FROM "
               "tcc_barrier"),
            "cancel,try");  // the order branch: empty rollback
  EXPECT_EQ(Wallet("u1"), "10000/0");
  EXPECT_EQ(QP("SELECT count(*) FROM payment"), "0");
}

TEST_F(OrderFakeMeshTest, SeatTakenAndMixedCurrencyAreRefused) {
  auto req = Request("u1", "r1", false);
  req.mutable_lines(1)->set_seat_ids(1, "taken-1");
  v1::PlaceOrderResponse resp;
  auto s = order_->PlaceOrder(testing::BuyerCtx("u1").get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "SEAT_TAKEN");

  req = Request("u1", "r2", false);
  req.mutable_lines(1)->set_event_id("usd-event");
  s = order_->PlaceOrder(testing::BuyerCtx("u1").get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "MIXED_CURRENCY");
  EXPECT_EQ(QO("SELECT count(*) FROM orders"), "0");
  EXPECT_EQ(coordinator_->Aborts(), 2);
  for (const auto& txn : coordinator_->All()) {
    EXPECT_EQ(txn.state, v1::TXN_STATE_CANCELLED);
    EXPECT_TRUE(inventory_.Cancelled(txn.gid));
  }
  std::lock_guard lock(inventory_.mu);
  EXPECT_EQ(inventory_.stock["sku-a"], 1000) << "reservations released";
}

TEST_F(OrderFakeMeshTest, InsufficientFundsFailsThePayNowOrder) {
  Deposit("u1", 100);
  v1::PlaceOrderResponse resp;
  auto s = order_->PlaceOrder(testing::BuyerCtx("u1").get(),
                              Request("u1", "r1", true), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "INSUFFICIENT_FUNDS");
  const std::string gid = QO("SELECT order_id FROM orders");
  ASSERT_FALSE(gid.empty());
  EXPECT_EQ(QO("SELECT state FROM orders"), "FAILED");
  EXPECT_EQ(Log(gid),
            "NULL>PENDING/placed (pay_now),PENDING>FAILED/cancelled: "
            "TRY_FAILED");
  EXPECT_EQ(Wallet("u1"), "100/0");
  EXPECT_EQ(QP("SELECT count(*) FROM payment"), "0");
  EXPECT_TRUE(inventory_.Cancelled(gid));
  EXPECT_TRUE(seat_.Cancelled(gid));
}

TEST_F(OrderFakeMeshTest, TransientTryFailuresAreRetriedNotAborted) {
  Deposit("u1", 10000);
  inventory_.fail_first = 3;
  v1::PlaceOrderResponse resp;
  auto s = order_->PlaceOrder(testing::BuyerCtx("u1").get(),
                              Request("u1", "r1", true), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.order().state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(inventory_.Tries(resp.order().order_id()), 4);
  EXPECT_EQ(coordinator_->Aborts(), 0);
  EXPECT_EQ(Wallet("u1"), "4800/0");
}

TEST_F(OrderFakeMeshTest, ReserveThenPay) {
  auto req = Request("u1", "r1", false);
  req.set_payment_window_seconds(60);
  v1::PlaceOrderResponse resp;
  const auto before = Clock::now();
  auto s = order_->PlaceOrder(testing::BuyerCtx("u1").get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const std::string gid = resp.order().order_id();
  EXPECT_EQ(resp.order().state(), v1::ORDER_STATE_PENDING_PAYMENT);
  const auto expires =
      std::chrono::seconds(resp.order().expires_at().seconds());
  EXPECT_NEAR(expires.count(),
              std::chrono::duration_cast<std::chrono::seconds>(
                  (before + std::chrono::seconds(60)).time_since_epoch())
                  .count(),
              3);
  EXPECT_EQ(coordinator_->Get(gid).branches.count("payment"), 0u);

  // No money yet: refused, the order stays payable.
  v1::PayOrderRequest pay;
  pay.set_order_id(gid);
  v1::OrderInfo info;
  s = order_->PayOrder(testing::BuyerCtx("u1").get(), pay, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "INSUFFICIENT_FUNDS");
  EXPECT_EQ(QO("SELECT state FROM orders"), "PENDING_PAYMENT");
  EXPECT_EQ(coordinator_->Get(gid).state, v1::TXN_STATE_TRYING);

  Deposit("u1", 6000);
  s = order_->PayOrder(testing::BuyerCtx("u1").get(), pay, &info);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(info.state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(coordinator_->Get(gid).branches.at("payment"), "payment");
  EXPECT_EQ(coordinator_->Get(gid).state, v1::TXN_STATE_CONFIRMED);
  EXPECT_EQ(Wallet("u1"), "800/0");
  EXPECT_EQ(Log(gid),
            "NULL>PENDING_PAYMENT/placed (payment window 60s),"
            "PENDING_PAYMENT>PAID/confirmed");

  // Paying twice is refused and charges nothing.
  s = order_->PayOrder(testing::BuyerCtx("u1").get(), pay, &info);
  EXPECT_EQ(ReasonOf(s), "ALREADY_PAID");
  EXPECT_EQ(Wallet("u1"), "800/0");
}

TEST_F(OrderFakeMeshTest, CancelOrderReleasesEverything) {
  v1::PlaceOrderResponse resp;
  ASSERT_TRUE(order_
                  ->PlaceOrder(testing::BuyerCtx("u1").get(),
                               Request("u1", "r1", false), &resp)
                  .ok());
  const std::string gid = resp.order().order_id();
  v1::CancelOrderRequest cancel;
  cancel.set_order_id(gid);
  v1::OrderInfo info;
  auto s = order_->CancelOrder(testing::BuyerCtx("u1").get(), cancel, &info);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(info.state(), v1::ORDER_STATE_CANCELLED);
  EXPECT_EQ(coordinator_->Get(gid).reason, v1::CANCEL_REASON_USER);
  EXPECT_TRUE(inventory_.Cancelled(gid));
  EXPECT_TRUE(seat_.Cancelled(gid));
  EXPECT_EQ(Log(gid),
            "NULL>PENDING_PAYMENT/placed (payment window 900s),"
            "PENDING_PAYMENT>CANCELLED/cancelled: USER");
  s = order_->CancelOrder(testing::BuyerCtx("u1").get(), cancel, &info);
  EXPECT_EQ(ReasonOf(s), "ORDER_CANCELLED");
}

TEST_F(OrderFakeMeshTest, UnpaidOrderExpiresAtItsDeadline) {
  Deposit("u1", 10000);
  auto req = Request("u1", "r1", false);
  req.set_payment_window_seconds(1);
  v1::PlaceOrderResponse resp;
  ASSERT_TRUE(
      order_->PlaceOrder(testing::BuyerCtx("u1").get(), req, &resp).ok());
  const std::string gid = resp.order().order_id();
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (QO("SELECT state FROM orders") != "EXPIRED" && Clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(QO("SELECT state FROM orders"), "EXPIRED");
  EXPECT_EQ(Log(gid),
            "NULL>PENDING_PAYMENT/placed (payment window 1s),"
            "PENDING_PAYMENT>EXPIRED/cancelled: DEADLINE");
  v1::PayOrderRequest pay;
  pay.set_order_id(gid);
  v1::OrderInfo info;
  auto s = order_->PayOrder(testing::BuyerCtx("u1").get(), pay, &info);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "ORDER_EXPIRED");
  EXPECT_EQ(Wallet("u1"), "10000/0");
  EXPECT_TRUE(inventory_.Cancelled(gid));
}

// sku-a x1 (100 EUR) and a slot line of machines pc-1, pc-2 (2 x 3000).
v1::PlaceOrderRequest SlotRequest(const std::string& request_id, bool pay_now) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  req.set_pay_now(pay_now);
  auto* stock = req.add_lines();
  stock->set_sku_id("sku-a");
  stock->set_quantity(1);
  auto* slot = req.add_lines()->mutable_slot();
  slot->set_venue_id("cafe");
  slot->set_zone_id("premium");
  slot->add_machine_ids("pc-1");
  slot->add_machine_ids("pc-2");
  slot->mutable_starts_at()->set_seconds(1'798'135'200);
  slot->set_package_id("4h");
  return req;
}

// A leg line: two passengers from stop 1 to stop 4 (2 x 1200 EUR).
v1::PlaceOrderRequest LegRequest(const std::string& request_id, bool pay_now) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  req.set_pay_now(pay_now);
  auto* leg = req.add_lines()->mutable_leg();
  leg->set_run_id("G7:2026-12-24");
  leg->set_from_stop(1);
  leg->set_to_stop(4);
  leg->set_class_id("second");
  leg->add_passengers()->set_doc_id("ID-1");
  leg->add_passengers()->set_doc_id("ID-2");
  return req;
}

int64_t SecondsFromNow(int s) {
  return std::chrono::duration_cast<std::chrono::seconds>(
             (Clock::now() + std::chrono::seconds(s)).time_since_epoch())
      .count();
}

TEST_F(OrderFakeMeshTest, PayNowSlotLineIsBookedPricedAndConfirmed) {
  Deposit("u1", 10000);
  v1::PlaceOrderResponse resp;
  auto s = order_->PlaceOrder(testing::BuyerCtx("u1").get(),
                              SlotRequest("r1", true), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const auto& o = resp.order();
  const std::string gid = o.order_id();
  EXPECT_EQ(o.state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(o.total().minor_units(), 6100);
  ASSERT_EQ(o.items_size(), 3);
  EXPECT_EQ(o.items(0).kind(), "sku");
  EXPECT_FALSE(o.items(0).has_booking());
  for (int i : {1, 2}) {
    EXPECT_EQ(o.items(i).kind(), "slot");
    EXPECT_EQ(o.items(i).quantity(), 1);
    EXPECT_EQ(o.items(i).unit_price().minor_units(), 3000);
    EXPECT_EQ(o.items(i).booking().kind(), "slot");
    EXPECT_EQ(o.items(i).booking().venue_id(), "cafe");
    EXPECT_EQ(o.items(i).booking().window().venue_day(), "2026-12-24");
    EXPECT_EQ(o.items(i).booking().window().to_slot(), 8);
    EXPECT_EQ(o.items(i).booking().window().starts_at().seconds(),
              1'798'135'200);
    EXPECT_EQ(o.items(i).booking().price().minor_units(), 3000);
  }
  EXPECT_EQ(o.items(1).booking().machine_id(), "pc-1");
  EXPECT_EQ(o.items(2).booking().machine_id(), "pc-2");

  const auto tries = booking_.Tries();
  ASSERT_EQ(tries.size(), 1u);
  EXPECT_EQ(tries[0].txn().gid(), gid);
  EXPECT_EQ(tries[0].txn().branch_id(), "booking");
  EXPECT_EQ(tries[0].user_id(), "u1");  // the caller, never the body
  EXPECT_TRUE(tries[0].has_deadline());
  EXPECT_EQ(coordinator_->Get(gid).branches,
            (std::map<std::string, std::string>{{"booking", "booking"},
                                                {"inventory", "inventory"},
                                                {"order", "order"},
                                                {"payment", "payment"}}));
  EXPECT_TRUE(booking_.Confirmed(gid));
  EXPECT_EQ(Wallet("u1"), "3900/0");
  EXPECT_EQ(QO("SELECT string_agg(kind || ':' || coalesce(machine_id, '-'), "
               "',' ORDER BY line_no) FROM order_item"),
            "sku:-,slot:pc-1,slot:pc-2");

  // GetOrder and ListOrders return the booking too; a retry is the same
  // order with nothing held again.
  v1::GetOrderRequest get;
  get.set_order_id(gid);
  v1::OrderInfo info;
  ASSERT_TRUE(order_->GetOrder(testing::BuyerCtx("u1").get(), get, &info).ok());
  EXPECT_EQ(info.items(2).booking().SerializeAsString(),
            o.items(2).booking().SerializeAsString());
  v1::ListOrdersRequest list;
  v1::ListOrdersResponse listed;
  ASSERT_TRUE(
      order_->ListOrders(testing::BuyerCtx("u1").get(), list, &listed).ok());
  ASSERT_EQ(listed.orders_size(), 1);
  EXPECT_EQ(listed.orders(0).items(1).booking().machine_id(), "pc-1");
  v1::PlaceOrderResponse again;
  ASSERT_TRUE(order_
                  ->PlaceOrder(testing::BuyerCtx("u1").get(),
                               SlotRequest("r1", true), &again)
                  .ok());
  EXPECT_EQ(again.order().order_id(), gid);
  EXPECT_EQ(booking_.Tries().size(), 1u);
  EXPECT_EQ(Wallet("u1"), "3900/0");
}

TEST_F(OrderFakeMeshTest, ReserveThenPayLegAndSlotWindows) {
  // A leg line: the train's 15 minutes.
  v1::PlaceOrderResponse leg;
  ASSERT_TRUE(order_
                  ->PlaceOrder(testing::BuyerCtx("u1").get(),
                               LegRequest("r-leg", false), &leg)
                  .ok());
  EXPECT_EQ(leg.order().state(), v1::ORDER_STATE_PENDING_PAYMENT);
  EXPECT_NEAR(leg.order().expires_at().seconds(), SecondsFromNow(900), 3);
  EXPECT_EQ(leg.order().total().minor_units(), 2400);
  ASSERT_EQ(leg.order().items_size(), 2);
  EXPECT_EQ(leg.order().items(1).kind(), "leg");
  EXPECT_EQ(leg.order().items(1).booking().doc_id(), "ID-2");
  EXPECT_EQ(leg.order().items(1).booking().from_stop(), 1);
  EXPECT_EQ(leg.order().items(1).booking().to_stop(), 4);
  EXPECT_EQ(Log(leg.order().order_id()),
            "NULL>PENDING_PAYMENT/placed (payment window 900s)");

  // A slot line beside stock: the net cafe's 5 minutes win.
  v1::PlaceOrderResponse slot;
  ASSERT_TRUE(order_
                  ->PlaceOrder(testing::BuyerCtx("u1").get(),
                               SlotRequest("r-slot", false), &slot)
                  .ok());
  EXPECT_NEAR(slot.order().expires_at().seconds(), SecondsFromNow(300), 3);
  EXPECT_NEAR(
      coordinator_->Get(slot.order().order_id()).deadline.time_since_epoch() /
          std::chrono::seconds(1),
      SecondsFromNow(300), 3);

  Deposit("u1", 10000);
  v1::PayOrderRequest pay;
  pay.set_order_id(leg.order().order_id());
  v1::OrderInfo info;
  auto s = order_->PayOrder(testing::BuyerCtx("u1").get(), pay, &info);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(info.state(), v1::ORDER_STATE_PAID);
  EXPECT_EQ(info.items(0).booking().seat_id(), "1-1");
  EXPECT_TRUE(booking_.Confirmed(leg.order().order_id()));
  EXPECT_FALSE(booking_.Confirmed(slot.order().order_id()));
  EXPECT_EQ(Wallet("u1"), "7600/0");
}

TEST_F(OrderFakeMeshTest, SlotTakenAndMixedCurrencyHoldNothing) {
  Deposit("u1", 10000);
  auto taken = SlotRequest("r1", true);
  taken.mutable_lines(1)->mutable_slot()->set_machine_ids(1, "taken-9");
  v1::PlaceOrderResponse resp;
  auto s = order_->PlaceOrder(testing::BuyerCtx("u1").get(), taken, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "SLOT_TAKEN");
  ASSERT_EQ(coordinator_->All().size(), 1u);
  const std::string gid = coordinator_->All()[0].gid;
  EXPECT_EQ(coordinator_->Get(gid).state, v1::TXN_STATE_CANCELLED);
  EXPECT_TRUE(booking_.Cancelled(gid));
  EXPECT_TRUE(inventory_.Cancelled(gid));
  EXPECT_EQ(QO("SELECT count(*) FROM orders"), "0");
  EXPECT_EQ(Wallet("u1"), "10000/0");

  // The stock in EUR, the slot in CNY: one order takes one currency.
  auto cny = SlotRequest("r2", true);
  cny.mutable_lines(1)->mutable_slot()->set_venue_id("cny-cafe");
  s = order_->PlaceOrder(testing::BuyerCtx("u1").get(), cny, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "MIXED_CURRENCY");
  EXPECT_EQ(QO("SELECT count(*) FROM orders"), "0");

  // Two booking lines: refused at the edge, nothing begun.
  auto two = SlotRequest("r3", true);
  *two.add_lines() = LegRequest("x", true).lines(0);
  s = order_->PlaceOrder(testing::BuyerCtx("u1").get(), two, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(coordinator_->All().size(), 2u);
}

TEST_F(OrderFakeMeshTest, UnpaidSlotExpiresAndReleasesTheBooking) {
  auto req = SlotRequest("r1", false);
  req.set_payment_window_seconds(2);
  v1::PlaceOrderResponse resp;
  ASSERT_TRUE(
      order_->PlaceOrder(testing::BuyerCtx("u1").get(), req, &resp).ok());
  const std::string gid = resp.order().order_id();
  const auto until = Clock::now() + std::chrono::seconds(10);
  // The participant's Cancel comes first; the order is marked EXPIRED when
  // the coordinator reports the cancellation, a moment later.
  while ((!booking_.Cancelled(gid) ||
          QO("SELECT state FROM orders") != "EXPIRED") &&
         Clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(booking_.Cancelled(gid));
  EXPECT_EQ(QO("SELECT state FROM orders"), "EXPIRED");
  EXPECT_EQ(coordinator_->Get(gid).reason, v1::CANCEL_REASON_DEADLINE);
}

TEST_F(OrderFakeMeshTest, ConcurrentBuyersOfScarceStock) {
  inventory_.stock["scarce"] = 10;
  constexpr int kBuyers = 40;
  for (int i = 0; i < kBuyers; ++i) Deposit("b" + std::to_string(i), 1000);
  std::atomic<int> paid{0}, sold_out{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kBuyers; ++i) {
    threads.emplace_back([&, i] {
      v1::PlaceOrderRequest req;
      req.set_request_id("r");
      req.set_pay_now(true);
      auto* line = req.add_lines();
      line->set_sku_id("scarce");
      line->set_quantity(1);
      v1::PlaceOrderResponse resp;
      auto s = order_->PlaceOrder(
          testing::BuyerCtx("b" + std::to_string(i), 30000).get(), req, &resp);
      if (s.ok() && resp.order().state() == v1::ORDER_STATE_PAID) {
        ++paid;
      } else if (ReasonOf(s) == "SOLD_OUT") {
        ++sold_out;
      } else {
        ++other;
        ADD_FAILURE() << s.error_code() << " " << s.error_message();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(paid, 10);
  EXPECT_EQ(sold_out, kBuyers - 10);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(QO("SELECT count(*) FROM orders WHERE state = 'PAID'"), "10");
  EXPECT_EQ(QO("SELECT count(*) FROM orders"), "10");
  EXPECT_EQ(QP("SELECT sum(amount) FROM payment WHERE state = 'CAPTURED'"),
            "1000");
  EXPECT_EQ(QP("SELECT sum(balance) || '/' || sum(frozen) FROM wallet"),
            std::to_string(kBuyers * 1000 - 1000) + "/0");
}

}  // namespace
}  // namespace turnstile
