// The payment service as a real process on a real PostgreSQL: deposits,
// the Try/Confirm/Cancel of payment branches checked on the wallet, payment
// and ledger rows, the barrier cases, concurrency on one wallet, the
// append-only ledger and bad input for every RPC.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "services/common/uuid.h"
#include "tests/support/child_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_harness.h"
#include "tests/support/service_process.h"
#include "tests/support/shop.h"
#include "tests/support/test_pki.h"
#include "tests/support/try_deadline.h"
#include "turnstile/v1/common.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"
#include "turnstile/v1/payment.grpc.pb.h"

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

class PaymentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabaseName("pay");
    SharedPg().CreateDatabase(db_, "payment");
    Start();
  }

  void TearDown() override { Stop(); }

  // SIGTERM and expect a clean exit. The client side closes first: the
  // server's shutdown otherwise waits out its grace period for the idle
  // connection.
  void Stop() {
    payment_.reset();
    participant_.reset();
    payment_try_.reset();
    buyer_.reset();
    channel_.reset();
    if (proc_) {
      EXPECT_EQ(proc_->Terminate(10000), 0) << "graceful shutdown";
    }
    proc_.reset();
  }

  void Start() {
    port_ = testing::FreePort();
    const std::string addr = "127.0.0.1:" + std::to_string(port_);
    proc_ = std::make_unique<ChildProcess>();
    std::vector<std::string> args = SharedPg().ServiceFlags(db_, "payment");
    args.insert(args.end(),
                {"--listen=" + addr, "--metrics_listen=", "--pg_pool_size=8",
                 "--tls_dir=" + testing::TestPkiDir()});
    proc_->Start(testing::Binary("turnstile-payment"), args,
                 SharedPg().dir() + "/" + db_ + ".log");
    channel_ = testing::TestChannel(addr, "payment", "turnstilectl");
    const auto until =
        std::chrono::system_clock::now() + std::chrono::seconds(30);
    while (!channel_->WaitForConnected(std::chrono::system_clock::now() +
                                       std::chrono::milliseconds(100))) {
      ASSERT_FALSE(proc_->Exited()) << "payment exited; see its log";
      ASSERT_LT(std::chrono::system_clock::now(), until) << "not serving";
    }
    // Operator calls as turnstilectl, Tries as order, second phases as the
    // coordinator, wallet reads as a buyer through loadgen.
    payment_ = v1::Payment::NewStub(channel_);
    payment_try_ =
        v1::Payment::NewStub(testing::TestChannel(addr, "payment", "order"));
    buyer_ =
        v1::Payment::NewStub(testing::TestChannel(addr, "payment", "loadgen"));
    participant_ = v1::Participant::NewStub(
        testing::TestChannel(addr, "payment", "coordinator"));
  }

  std::string Q(const std::string& sql) { return SharedPg().Query(db_, sql); }
  int64_t N(const std::string& sql) { return std::stoll(Q(sql)); }

  grpc::Status Deposit(const std::string& user, int64_t amount,
                       const std::string& request_id, v1::Wallet* out,
                       const std::string& currency = "EUR") {
    v1::DepositRequest req;
    req.set_user_id(user);
    req.mutable_amount()->set_currency(currency);
    req.mutable_amount()->set_minor_units(amount);
    req.set_request_id(request_id);
    return payment_->Deposit(Ctx().get(), req, out);
  }

  grpc::Status Authorize(
      const std::string& gid, const std::string& user, int64_t amount,
      v1::AuthorizePaymentResponse* out, const std::string& currency = "EUR",
      const std::string& branch = "payment",
      std::chrono::milliseconds deadline_in = std::chrono::minutes(15)) {
    v1::AuthorizePaymentRequest req;
    req.mutable_txn()->set_gid(gid);
    req.mutable_txn()->set_branch_id(branch);
    req.set_user_id(user);
    req.mutable_amount()->set_currency(currency);
    req.mutable_amount()->set_minor_units(amount);
    testing::SetTryDeadline(req.mutable_deadline(), deadline_in);
    return payment_try_->AuthorizePayment(Ctx().get(), req, out);
  }

  grpc::Status Confirm(const std::string& gid, v1::ConfirmResponse* out,
                       const std::string& branch = "payment") {
    v1::ConfirmRequest req;
    req.mutable_txn()->set_gid(gid);
    req.mutable_txn()->set_branch_id(branch);
    return participant_->Confirm(Ctx().get(), req, out);
  }

  grpc::Status Cancel(const std::string& gid, v1::CancelResponse* out,
                      const std::string& branch = "payment") {
    v1::CancelRequest req;
    req.mutable_txn()->set_gid(gid);
    req.mutable_txn()->set_branch_id(branch);
    req.set_reason(v1::CANCEL_REASON_TRY_FAILED);
    return participant_->Cancel(Ctx().get(), req, out);
  }

  // balance + frozen + captured = deposits, for one wallet.
  void ExpectMoneyConserved(const std::string& user,
                            const std::string& currency = "EUR") {
    const std::string where =
        " WHERE user_id = '" + user + "' AND currency = '" + currency + "'";
    const int64_t held =
        N("SELECT COALESCE(SUM(balance + frozen), 0) FROM "
          "wallet" +
          where);
    const int64_t captured = N("SELECT COALESCE(SUM(amount), 0) FROM payment" +
                               where + " AND state = 'CAPTURED'");
    const int64_t deposits =
        N("SELECT COALESCE(SUM(amount), 0) FROM ledger_entry" + where +
          " AND kind = 'DEPOSIT'");
    EXPECT_EQ(held + captured, deposits) << "money not conserved for " << user;
    // The ledger tells the same story: frozen = FREEZE - CAPTURE - RELEASE.
    const int64_t frozen =
        N("SELECT COALESCE(SUM(frozen), 0) FROM wallet" + where);
    const int64_t ledger_frozen =
        N("SELECT COALESCE(SUM(CASE kind WHEN 'FREEZE' THEN amount "
          "WHEN 'DEPOSIT' THEN 0 ELSE -amount END), 0) FROM ledger_entry" +
          where);
    EXPECT_EQ(frozen, ledger_frozen);
  }

  std::string db_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> proc_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Payment::Stub> payment_;      // as turnstilectl
  std::unique_ptr<v1::Payment::Stub> payment_try_;  // as order
  std::unique_ptr<v1::Payment::Stub> buyer_;        // as loadgen
  std::unique_ptr<v1::Participant::Stub> participant_;
};

TEST_F(PaymentServiceTest, DepositIsIdempotentOnRequestId) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 500, "dep-1", &w).ok());
  EXPECT_EQ(w.user_id(), "alice");
  EXPECT_EQ(w.balance().minor_units(), 500);
  EXPECT_EQ(w.balance().currency(), "EUR");
  EXPECT_EQ(w.frozen().minor_units(), 0);

  // A repeat returns the wallet without adding again.
  ASSERT_TRUE(Deposit("alice", 500, "dep-1", &w).ok());
  EXPECT_EQ(w.balance().minor_units(), 500);
  EXPECT_EQ(N("SELECT count(*) FROM ledger_entry WHERE kind = 'DEPOSIT'"), 1);

  ASSERT_TRUE(Deposit("alice", 300, "dep-2", &w).ok());
  EXPECT_EQ(w.balance().minor_units(), 800);

  // The same key for another amount or currency is refused, nothing added.
  auto s = Deposit("alice", 999, "dep-1", &w);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(ReasonOf(s), "REQUEST_ID_REUSED");
  s = Deposit("alice", 500, "dep-1", &w, "USD");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Q("SELECT balance FROM wallet WHERE user_id = 'alice' AND "
              "currency = 'EUR'"),
            "800");
  EXPECT_EQ(Q("SELECT count(*) FROM wallet WHERE currency = 'USD'"), "0");

  // Keys are per user; currencies are separate wallets.
  ASSERT_TRUE(Deposit("bob", 70, "dep-1", &w).ok());
  EXPECT_EQ(w.balance().minor_units(), 70);
  ASSERT_TRUE(Deposit("alice", 40, "dep-usd", &w, "USD").ok());
  EXPECT_EQ(w.balance().minor_units(), 40);

  v1::GetWalletRequest get;
  get.set_currency("EUR");
  ASSERT_TRUE(
      buyer_->GetWallet(testing::BuyerCtx("alice").get(), get, &w).ok());
  EXPECT_EQ(w.balance().minor_units(), 800);
  get.set_currency("GBP");
  EXPECT_EQ(
      buyer_->GetWallet(testing::BuyerCtx("alice").get(), get, &w).error_code(),
      grpc::StatusCode::NOT_FOUND);
  get.set_currency("EUR");
  EXPECT_EQ(buyer_->GetWallet(testing::BuyerCtx("nobody").get(), get, &w)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);

  EXPECT_EQ(N("SELECT count(*) FROM ledger_entry"), 4);
  EXPECT_EQ(N("SELECT sum(amount) FROM ledger_entry WHERE user_id = 'alice' "
              "AND currency = 'EUR'"),
            800);
  ExpectMoneyConserved("alice");
  ExpectMoneyConserved("bob");
}

TEST_F(PaymentServiceTest, ConcurrentRepeatsOfOneDepositAddOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      v1::Wallet w;
      for (int attempt = 0; attempt < 50; ++attempt) {
        auto s = Deposit("carol", 250, "same-key", &w);
        if (s.ok()) {
          ++ok;
          return;
        }
        if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 20);
  EXPECT_EQ(Q("SELECT balance FROM wallet WHERE user_id = 'carol'"), "250");
  EXPECT_EQ(N("SELECT count(*) FROM ledger_entry"), 1);
}

TEST_F(PaymentServiceTest, TryThenConfirmCaptures) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 1000, "d", &w).ok());
  const std::string gid = NewUuidV7();
  v1::AuthorizePaymentResponse auth;
  ASSERT_TRUE(Authorize(gid, "alice", 300, &auth).ok());
  EXPECT_EQ(auth.amount().minor_units(), 300);
  EXPECT_EQ(auth.amount().currency(), "EUR");
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "700/300");
  EXPECT_EQ(Q("SELECT state || '/' || amount || '/' || user_id FROM payment "
              "WHERE gid = '" +
              gid + "' AND branch_id = 'payment'"),
            "AUTHORIZED/300/alice");
  EXPECT_EQ(Q("SELECT kind || '/' || amount FROM ledger_entry WHERE gid = '" +
              gid + "'"),
            "FREEZE/300");
  ExpectMoneyConserved("alice");

  v1::ConfirmResponse confirmed;
  ASSERT_TRUE(Confirm(gid, &confirmed).ok());
  EXPECT_TRUE(confirmed.applied());
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "700/0");
  EXPECT_EQ(Q("SELECT state FROM payment WHERE gid = '" + gid + "'"),
            "CAPTURED");
  EXPECT_EQ(Q("SELECT string_agg(kind || '/' || amount, ',' ORDER BY id) "
              "FROM ledger_entry WHERE gid = '" +
              gid + "'"),
            "FREEZE/300,CAPTURE/300");
  ExpectMoneyConserved("alice");

  // Duplicate Confirm: OK, nothing moves again.
  ASSERT_TRUE(Confirm(gid, &confirmed).ok());
  EXPECT_FALSE(confirmed.applied());
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "700/0");
  EXPECT_EQ(N("SELECT count(*) FROM ledger_entry WHERE gid = '" + gid + "'"),
            2);
  // Duplicate Try after Confirm: the stored amount, nothing frozen.
  ASSERT_TRUE(Authorize(gid, "alice", 300, &auth).ok());
  EXPECT_EQ(auth.amount().minor_units(), 300);
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "700/0");

  // Cancel after Confirm would be a coordinator bug: refused, nothing moves.
  v1::CancelResponse cancelled;
  auto s = Cancel(gid, &cancelled);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Q("SELECT state FROM payment WHERE gid = '" + gid + "'"),
            "CAPTURED");
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "700/0");
  EXPECT_EQ(N("SELECT count(*) FROM tcc_barrier WHERE gid = '" + gid +
              "' AND phase = 'cancel'"),
            0);
  ExpectMoneyConserved("alice");
}

TEST_F(PaymentServiceTest, TryThenCancelReleases) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 1000, "d", &w).ok());
  const std::string gid = NewUuidV7();
  v1::AuthorizePaymentResponse auth;
  ASSERT_TRUE(Authorize(gid, "alice", 400, &auth).ok());
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "600/400");

  v1::CancelResponse cancelled;
  ASSERT_TRUE(Cancel(gid, &cancelled).ok());
  EXPECT_TRUE(cancelled.applied());
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "1000/0");
  EXPECT_EQ(Q("SELECT state FROM payment WHERE gid = '" + gid + "'"), "VOIDED");
  EXPECT_EQ(Q("SELECT string_agg(kind || '/' || amount, ',' ORDER BY id) "
              "FROM ledger_entry WHERE gid = '" +
              gid + "'"),
            "FREEZE/400,RELEASE/400");

  // Duplicate Cancel: OK, not applied, nothing moves.
  ASSERT_TRUE(Cancel(gid, &cancelled).ok());
  EXPECT_FALSE(cancelled.applied());
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "1000/0");
  EXPECT_EQ(N("SELECT count(*) FROM ledger_entry WHERE gid = '" + gid + "'"),
            2);

  // A Try after Cancel (repeat of a succeeded Try) is refused as ABORTED.
  auto s = Authorize(gid, "alice", 400, &auth);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ReasonOf(s), "BRANCH_CANCELLED");
  // Confirm after Cancel would be a coordinator bug: refused, nothing moves.
  v1::ConfirmResponse confirmed;
  EXPECT_EQ(Confirm(gid, &confirmed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Q("SELECT state FROM payment WHERE gid = '" + gid + "'"), "VOIDED");
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "1000/0");
  ExpectMoneyConserved("alice");
}

TEST_F(PaymentServiceTest, InsufficientFundsChangesNothing) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 100, "d", &w).ok());
  const auto before_ledger = N("SELECT count(*) FROM ledger_entry");
  const std::string gid = NewUuidV7();
  v1::AuthorizePaymentResponse auth;
  auto s = Authorize(gid, "alice", 150, &auth);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "INSUFFICIENT_FUNDS");
  // No wallet at all, or not in that currency: the same refusal.
  s = Authorize(NewUuidV7(), "nobody", 1, &auth);
  EXPECT_EQ(ReasonOf(s), "INSUFFICIENT_FUNDS");
  s = Authorize(NewUuidV7(), "alice", 1, &auth, "USD");
  EXPECT_EQ(ReasonOf(s), "INSUFFICIENT_FUNDS");

  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "100/0");
  EXPECT_EQ(N("SELECT count(*) FROM wallet"), 1);
  EXPECT_EQ(N("SELECT count(*) FROM payment"), 0);
  EXPECT_EQ(N("SELECT count(*) FROM tcc_barrier"), 0);
  EXPECT_EQ(N("SELECT count(*) FROM ledger_entry"), before_ledger);

  // The refused Try left no barrier row, so the same branch may try again
  // once the money is there (a later PayOrder of the same order).
  ASSERT_TRUE(Deposit("alice", 100, "d2", &w).ok());
  ASSERT_TRUE(Authorize(gid, "alice", 150, &auth).ok());
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "50/150");
  ExpectMoneyConserved("alice");
}

TEST_F(PaymentServiceTest, DuplicateTryFreezesOnceAndReturnsStoredAmount) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 1000, "d", &w).ok());
  const std::string gid = NewUuidV7();
  v1::AuthorizePaymentResponse auth;
  ASSERT_TRUE(Authorize(gid, "alice", 250, &auth).ok());
  ASSERT_TRUE(Authorize(gid, "alice", 250, &auth).ok());
  EXPECT_EQ(auth.amount().minor_units(), 250);
  // A repeat with another amount is refused (TRY_MISMATCH, see below).
  EXPECT_EQ(Authorize(gid, "alice", 999, &auth).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "750/250");
  EXPECT_EQ(N("SELECT count(*) FROM ledger_entry WHERE kind = 'FREEZE'"), 1);
  EXPECT_EQ(N("SELECT count(*) FROM payment"), 1);

  // Another branch of the same gid is a separate payment.
  ASSERT_TRUE(Authorize(gid, "alice", 50, &auth, "EUR", "payment-2").ok());
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "700/300");
  ExpectMoneyConserved("alice");
}

TEST_F(PaymentServiceTest, RepeatWithOtherContentIsRefusedTryMismatch) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 1000, "d1", &w).ok());
  ASSERT_TRUE(Deposit("bob", 1000, "d2", &w).ok());
  ASSERT_TRUE(Deposit("alice", 1000, "d3", &w, "USD").ok());
  const std::string gid = NewUuidV7();
  v1::AuthorizePaymentResponse r;
  ASSERT_TRUE(Authorize(gid, "alice", 300, &r).ok());
  const std::string before =
      Q("SELECT string_agg(user_id || currency || balance || '/' || frozen, ','"
        " ORDER BY user_id, currency) FROM wallet");
  const int64_t ledger = N("SELECT count(*) FROM ledger_entry");
  struct Other {
    std::string user, currency;
    int64_t amount;
  };
  for (const Other& o : std::vector<Other>{
           {"bob", "EUR", 300}, {"alice", "EUR", 301}, {"alice", "USD", 300}}) {
    const grpc::Status s = Authorize(gid, o.user, o.amount, &r, o.currency);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << o.user << o.currency << o.amount;
    EXPECT_EQ(OutcomeOf(s).reason, "TRY_MISMATCH");
  }
  EXPECT_EQ(Q("SELECT string_agg(user_id || currency || balance || '/' || "
              "frozen, ',' ORDER BY user_id, currency) FROM wallet"),
            before);
  EXPECT_EQ(N("SELECT count(*) FROM ledger_entry"), ledger);
  // The identical repeat is still an idempotent success.
  ASSERT_TRUE(Authorize(gid, "alice", 300, &r).ok());
  EXPECT_EQ(r.amount().minor_units(), 300);
  EXPECT_EQ(N("SELECT frozen FROM wallet WHERE user_id = 'alice' AND "
              "currency = 'EUR'"),
            300);
}

TEST_F(PaymentServiceTest, TryAfterItsDeadlineIsRefusedAndChangesNothing) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 1000, "d1", &w).ok());
  const std::string gid = NewUuidV7();
  v1::AuthorizePaymentResponse r;
  const grpc::Status late = Authorize(gid, "alice", 300, &r, "EUR", "payment",
                                      std::chrono::seconds(-5));
  EXPECT_EQ(late.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(OutcomeOf(late).reason, "TXN_DEADLINE");
  EXPECT_EQ(N("SELECT count(*) FROM tcc_barrier"), 0);
  EXPECT_EQ(N("SELECT count(*) FROM payment"), 0);
  EXPECT_EQ(N("SELECT frozen FROM wallet WHERE user_id = 'alice'"), 0);
  // No deadline at all: INVALID_ARGUMENT.
  v1::AuthorizePaymentRequest bare;
  bare.mutable_txn()->set_gid(gid);
  bare.mutable_txn()->set_branch_id("payment");
  bare.set_user_id("alice");
  bare.mutable_amount()->set_currency("EUR");
  bare.mutable_amount()->set_minor_units(300);
  EXPECT_EQ(payment_try_->AuthorizePayment(Ctx().get(), bare, &r).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // In time: frozen, and the deadline is stored with the payment.
  ASSERT_TRUE(Authorize(gid, "alice", 300, &r).ok());
  EXPECT_EQ(N("SELECT count(*) FROM payment WHERE deadline > now() + "
              "interval '14 minutes'"),
            1);
}

TEST_F(PaymentServiceTest, CancelBeforeTryIsEmptyRollbackAndBlocksTry) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 1000, "d", &w).ok());
  const std::string gid = NewUuidV7();
  v1::CancelResponse cancelled;
  ASSERT_TRUE(Cancel(gid, &cancelled).ok());
  EXPECT_FALSE(cancelled.applied());
  EXPECT_EQ(Q("SELECT string_agg(phase, ',' ORDER BY phase) FROM tcc_barrier "
              "WHERE gid = '" +
              gid + "'"),
            "cancel,try");
  // The hanging Try that arrives afterwards is refused and freezes nothing.
  v1::AuthorizePaymentResponse auth;
  auto s = Authorize(gid, "alice", 100, &auth);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ReasonOf(s), "BRANCH_CANCELLED");
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "1000/0");
  EXPECT_EQ(N("SELECT count(*) FROM payment"), 0);
  EXPECT_EQ(N("SELECT count(*) FROM ledger_entry WHERE gid IS NOT NULL"), 0);
  // A second Cancel is still OK.
  ASSERT_TRUE(Cancel(gid, &cancelled).ok());
  EXPECT_FALSE(cancelled.applied());
}

TEST_F(PaymentServiceTest, ConfirmWithoutTryIsNoopAndClosesTheBranch) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 1000, "d", &w).ok());
  const std::string gid = NewUuidV7();
  v1::ConfirmResponse confirmed;
  ASSERT_TRUE(Confirm(gid, &confirmed).ok());
  EXPECT_FALSE(confirmed.applied());
  v1::AuthorizePaymentResponse auth;
  auto s = Authorize(gid, "alice", 100, &auth);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ReasonOf(s), "BRANCH_CONFIRMED");
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "1000/0");
  EXPECT_EQ(N("SELECT count(*) FROM payment"), 0);
}

TEST_F(PaymentServiceTest, ConcurrentTriesNeverOverdraw) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("hot", 500, "d", &w).ok());
  std::atomic<bool> done{false};
  std::atomic<int64_t> min_seen{500};
  std::thread sampler([&] {
    pqxx::connection conn(SharedPg().Conninfo(db_));
    while (!done) {
      pqxx::nontransaction tx(conn);
      const auto r = tx.exec("SELECT balance, frozen FROM wallet");
      const int64_t balance = r[0][0].as<int64_t>();
      int64_t prev = min_seen;
      while (balance < prev && !min_seen.compare_exchange_weak(prev, balance)) {
      }
      EXPECT_EQ(balance + r[0][1].as<int64_t>(), 500);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  std::atomic<int> ok{0}, insufficient{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 200; ++i) {
    threads.emplace_back([&] {
      const std::string gid = NewUuidV7();
      v1::AuthorizePaymentResponse auth;
      // Overload (thread quota) is retried like the order service does; the
      // barrier makes the repeat safe.
      for (int attempt = 0; attempt < 200; ++attempt) {
        auto s = Authorize(gid, "hot", 10, &auth);
        if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ||
            s.error_code() == grpc::StatusCode::UNAVAILABLE) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5 + attempt));
          continue;
        }
        if (s.ok()) {
          ++ok;
        } else if (ReasonOf(s) == "INSUFFICIENT_FUNDS") {
          ++insufficient;
        } else {
          ++other;
          ADD_FAILURE() << s.error_code() << " " << s.error_message();
        }
        return;
      }
      ++other;
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  sampler.join();
  EXPECT_EQ(ok, 50);
  EXPECT_EQ(insufficient, 150);
  EXPECT_EQ(other, 0);
  EXPECT_GE(min_seen, 0);
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "0/500");
  EXPECT_EQ(N("SELECT count(*) FROM payment WHERE state = 'AUTHORIZED'"), 50);
  EXPECT_EQ(N("SELECT count(*) FROM ledger_entry WHERE kind = 'FREEZE'"), 50);
  EXPECT_EQ(N("SELECT count(*) FROM tcc_barrier"), 50);
  ExpectMoneyConserved("hot");
}

TEST_F(PaymentServiceTest, MixedConcurrentPhasesConserveMoney) {
  v1::Wallet w;
  // Enough for every hold at once (per user 10 x 70 + 10 x 90 + 10 x 110 =
  // 2700): a refusal here would be a test artefact, not a finding.
  ASSERT_TRUE(Deposit("u1", 3000, "d", &w).ok());
  ASSERT_TRUE(Deposit("u2", 3000, "d", &w).ok());
  std::vector<std::thread> threads;
  for (int i = 0; i < 60; ++i) {
    threads.emplace_back([&, i] {
      const std::string gid = NewUuidV7();
      const std::string user = i % 2 ? "u1" : "u2";
      v1::AuthorizePaymentResponse auth;
      v1::ConfirmResponse confirmed;
      v1::CancelResponse cancelled;
      auto retry = [](auto call) {
        for (int attempt = 0; attempt < 200; ++attempt) {
          grpc::Status s = call();
          if (s.error_code() != grpc::StatusCode::RESOURCE_EXHAUSTED) return s;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "gave up");
      };
      switch (i % 3) {
        case 0:  // try + confirm, confirm repeated concurrently
          if (auto s = retry([&] { return Authorize(gid, user, 70, &auth); });
              !s.ok()) {
            ADD_FAILURE() << "authorize " << s.error_code() << " "
                          << s.error_message();
          } else {
            std::thread again([&] {
              v1::ConfirmResponse c2;
              EXPECT_TRUE(retry([&] { return Confirm(gid, &c2); }).ok());
            });
            EXPECT_TRUE(retry([&] { return Confirm(gid, &confirmed); }).ok());
            again.join();
          }
          break;
        case 1:  // try + cancel
          if (retry([&] { return Authorize(gid, user, 90, &auth); }).ok()) {
            EXPECT_TRUE(retry([&] { return Cancel(gid, &cancelled); }).ok());
          }
          break;
        default:  // cancel racing the try
          std::thread t([&] {
            v1::AuthorizePaymentResponse a2;
            retry([&] { return Authorize(gid, user, 110, &a2); });
          });
          EXPECT_TRUE(retry([&] { return Cancel(gid, &cancelled); }).ok());
          t.join();
          // Whatever the interleaving, nothing stays frozen for this gid.
          EXPECT_NE(Q("SELECT state FROM payment WHERE gid = '" + gid + "'"),
                    "AUTHORIZED");
      }
    });
  }
  for (auto& t : threads) t.join();
  ExpectMoneyConserved("u1");
  ExpectMoneyConserved("u2");
  EXPECT_EQ(N("SELECT count(*) FROM payment WHERE state = 'AUTHORIZED'"), 0);
  EXPECT_EQ(N("SELECT COALESCE(sum(frozen), 0) FROM wallet"), 0);
  EXPECT_EQ(N("SELECT count(*) FROM payment WHERE state = 'CAPTURED'"), 20);
  EXPECT_EQ(N("SELECT sum(balance) FROM wallet"), 6000 - 20 * 70);
}

TEST_F(PaymentServiceTest, LedgerIsAppendOnly) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 100, "d", &w).ok());
  v1::AuthorizePaymentResponse auth;
  ASSERT_TRUE(Authorize(NewUuidV7(), "alice", 40, &auth).ok());
  const std::string before =
      Q("SELECT string_agg(id || kind || amount, ',' ORDER BY id) FROM "
        "ledger_entry");
  pqxx::connection conn(SharedPg().Conninfo(db_));
  for (const char* sql :
       {"UPDATE ledger_entry SET amount = amount + 1",
        "UPDATE ledger_entry SET kind = 'DEPOSIT' WHERE kind = 'FREEZE'",
        "DELETE FROM ledger_entry", "TRUNCATE ledger_entry"}) {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec(sql), pqxx::sql_error) << sql;
  }
  EXPECT_EQ(Q("SELECT string_agg(id || kind || amount, ',' ORDER BY id) FROM "
              "ledger_entry"),
            before);
  EXPECT_EQ(N("SELECT count(*) FROM ledger_entry"), 2);
  // Schema checks: amounts are positive and the wallet never negative.
  {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec("INSERT INTO ledger_entry (user_id, currency, kind, "
                         "amount, request_id) VALUES ('x', 'EUR', 'DEPOSIT', "
                         "0, 'r')"),
                 pqxx::sql_error);
  }
  {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec("UPDATE wallet SET balance = -1"), pqxx::sql_error);
  }
}

TEST_F(PaymentServiceTest, BadInputIsRejectedAndChangesNothing) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 100, "d", &w).ok());
  const std::string gid = NewUuidV7();
  v1::AuthorizePaymentResponse auth;
  ASSERT_TRUE(Authorize(gid, "alice", 10, &auth).ok());
  auto snapshot = [&] {
    return Q(
        "SELECT (SELECT string_agg(user_id || currency || balance || '/' "
        "|| frozen, ',' ORDER BY user_id, currency) FROM wallet) || ';' "
        "|| (SELECT count(*) FROM ledger_entry) || ';' || (SELECT "
        "count(*) FROM payment) || ';' || (SELECT count(*) FROM "
        "tcc_barrier)");
  };
  const std::string before = snapshot();
  const std::string long65(65, 'a');
  auto expect_invalid = [&](const grpc::Status& s, const std::string& what) {
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << what;
    EXPECT_EQ(ReasonOf(s), "INVALID_ARGUMENT") << what;
  };

  // Deposit.
  expect_invalid(Deposit("", 10, "r", &w), "empty user");
  expect_invalid(Deposit(long65, 10, "r", &w), "long user");
  expect_invalid(Deposit("al ice", 10, "r", &w), "space in user");
  expect_invalid(Deposit("al'ice", 10, "r", &w), "quote in user");
  expect_invalid(Deposit("alice", 0, "r", &w), "zero amount");
  expect_invalid(Deposit("alice", -5, "r", &w), "negative amount");
  expect_invalid(Deposit("alice", 1'000'000'000'001, "r", &w), "huge amount");
  expect_invalid(Deposit("alice", 10, "", &w), "empty request_id");
  expect_invalid(Deposit("alice", 10, std::string(201, 'r'), &w),
                 "long request_id");
  expect_invalid(Deposit("alice", 10, "a\nb", &w), "control char");
  expect_invalid(Deposit("alice", 10, "r", &w, "eur"), "lower-case currency");
  expect_invalid(Deposit("alice", 10, "r", &w, "EURO"), "long currency");
  expect_invalid(Deposit("alice", 10, "r", &w, ""), "empty currency");

  // GetWallet.
  v1::GetWalletRequest get;
  get.set_currency("EUR");
  // A bad acting user is refused before the handler (no reason attached).
  EXPECT_EQ(
      buyer_->GetWallet(testing::BuyerCtx("").get(), get, &w).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  get.set_currency("E1R");
  expect_invalid(buyer_->GetWallet(testing::BuyerCtx("alice").get(), get, &w),
                 "get currency");

  // AuthorizePayment.
  const std::string fresh = NewUuidV7();
  expect_invalid(Authorize("", "alice", 10, &auth), "empty gid");
  expect_invalid(Authorize("not-a-uuid", "alice", 10, &auth), "bad gid");
  expect_invalid(Authorize(fresh + "0", "alice", 10, &auth), "long gid");
  expect_invalid(Authorize(fresh, "alice", 10, &auth, "EUR", ""),
                 "empty branch");
  expect_invalid(Authorize(fresh, "alice", 10, &auth, "EUR", "Payment"),
                 "upper-case branch");
  expect_invalid(
      Authorize(fresh, "alice", 10, &auth, "EUR", std::string(65, 'b')),
      "long branch");
  expect_invalid(Authorize(fresh, "", 10, &auth), "auth empty user");
  expect_invalid(Authorize(fresh, long65, 10, &auth), "auth long user");
  expect_invalid(Authorize(fresh, "alice", 0, &auth), "auth zero");
  expect_invalid(Authorize(fresh, "alice", -1, &auth), "auth negative");
  expect_invalid(Authorize(fresh, "alice", 1'000'000'000'001, &auth),
                 "auth huge");
  expect_invalid(Authorize(fresh, "alice", 10, &auth, "usd"), "auth currency");

  // Confirm and Cancel.
  v1::ConfirmResponse confirmed;
  v1::CancelResponse cancelled;
  expect_invalid(Confirm("", &confirmed), "confirm empty gid");
  expect_invalid(Confirm("xyz", &confirmed), "confirm bad gid");
  expect_invalid(Confirm(gid, &confirmed, ""), "confirm empty branch");
  expect_invalid(Confirm(gid, &confirmed, "pay ment"), "confirm bad branch");
  expect_invalid(Cancel("", &cancelled), "cancel empty gid");
  expect_invalid(Cancel("123e4567-e89b-12d3-a456-42661417400", &cancelled),
                 "cancel short gid");
  expect_invalid(Cancel(gid, &cancelled, "PAYMENT"), "cancel bad branch");

  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(Q("SELECT state FROM payment WHERE gid = '" + gid + "'"),
            "AUTHORIZED");
}

TEST_F(PaymentServiceTest, RestartKeepsDataAndMigratesOnce) {
  v1::Wallet w;
  ASSERT_TRUE(Deposit("alice", 100, "d", &w).ok());
  const std::string gid = NewUuidV7();
  v1::AuthorizePaymentResponse auth;
  ASSERT_TRUE(Authorize(gid, "alice", 60, &auth).ok());
  Stop();
  Start();
  v1::ConfirmResponse confirmed;
  ASSERT_TRUE(Confirm(gid, &confirmed).ok());
  EXPECT_TRUE(confirmed.applied());
  EXPECT_EQ(Q("SELECT balance || '/' || frozen FROM wallet"), "40/0");
  EXPECT_EQ(N("SELECT count(*) FROM schema_migrations"),
            testing::MigrationCount("payment"));
  ExpectMoneyConserved("alice");
}

}  // namespace
}  // namespace turnstile
