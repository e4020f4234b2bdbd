// The real turnstile-coordinator binary against a private PostgreSQL and
// fake participants: a small gRPC turnstile.v1.Participant server in this
// process that records every Confirm/Cancel and can fail, be slow, or be
// stopped and restarted on the same port. Covers idempotent Begin, Commit and
// Abort delivery, deadlines (by Commit and by the loop), retries with
// backoff, participants down, SIGKILL of the coordinator in the decision
// window and while TRYING, Commit racing the deadline, RegisterBranch rules,
// listing, and bad input for every RPC (nothing written).
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "services/common/status.h"
#include "tests/support/child_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_process.h"
#include "tests/support/test_pki.h"
#include "turnstile/v1/coordinator.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using std::chrono::system_clock;
using testing::ChildProcess;
using testing::SharedPg;

// ---- fake participant
// --------------------------------------------------------

struct Call {
  std::string phase;  // "confirm" | "cancel"
  std::string gid;
  std::string branch_id;
  int reason = 0;
  bool ok = false;
};

// What a fake participant remembers and how it misbehaves; survives restarts.
class ParticipantState {
 public:
  grpc::Status Handle(const std::string& phase, const v1::TxnRef& txn,
                      int reason) {
    std::this_thread::sleep_for(milliseconds(delay_ms_.load()));
    std::lock_guard lock(mu_);
    Call call{phase, txn.gid(), txn.branch_id(), reason, true};
    if (fail_next_ > 0) {
      --fail_next_;
      call.ok = false;
      calls_.push_back(call);
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "injected failure");
    }
    calls_.push_back(call);
    return grpc::Status::OK;
  }
  void FailNext(int n) {
    std::lock_guard lock(mu_);
    fail_next_ = n;
  }
  void SetDelay(milliseconds d) { delay_ms_ = static_cast<int>(d.count()); }
  std::vector<Call> Calls(const std::string& gid = "") {
    std::lock_guard lock(mu_);
    std::vector<Call> out;
    for (const auto& c : calls_) {
      if (gid.empty() || c.gid == gid) out.push_back(c);
    }
    return out;
  }
  // Successful calls of `phase` for gid (and branch if given).
  int Count(const std::string& phase, const std::string& gid,
            const std::string& branch = "", bool ok_only = true) {
    int n = 0;
    for (const auto& c : Calls(gid)) {
      if (c.phase == phase && (branch.empty() || c.branch_id == branch) &&
          (!ok_only || c.ok)) {
        ++n;
      }
    }
    return n;
  }

 private:
  std::mutex mu_;
  std::vector<Call> calls_;
  int fail_next_ = 0;
  std::atomic<int> delay_ms_{0};
};

class FakeParticipant final : public v1::Participant::Service {
 public:
  explicit FakeParticipant(ParticipantState* state) : state_(state) {}
  grpc::Status Confirm(grpc::ServerContext*, const v1::ConfirmRequest* req,
                       v1::ConfirmResponse* resp) override {
    resp->set_applied(true);
    return state_->Handle("confirm", req->txn(), 0);
  }
  grpc::Status Cancel(grpc::ServerContext*, const v1::CancelRequest* req,
                      v1::CancelResponse* resp) override {
    resp->set_applied(true);
    return state_->Handle("cancel", req->txn(), req->reason());
  }

 private:
  ParticipantState* state_;
};

// A fake participant server on a fixed loopback port, presenting the
// certificate of participant `name`.
class ParticipantServer {
 public:
  explicit ParticipantServer(std::string name)
      : name_(std::move(name)), port_(testing::FreePort()) {
    Start();
  }
  ~ParticipantServer() { Stop(); }
  void Start() {
    service_ = std::make_unique<FakeParticipant>(&state_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address(), testing::TestServerCredentials(name_));
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ != nullptr) << "cannot listen on " << address();
  }
  void Stop() {
    if (!server_) return;
    server_->Shutdown(system_clock::now() + milliseconds(200));
    server_->Wait();
    server_.reset();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  ParticipantState& state() { return state_; }

 private:
  std::string name_;
  int port_;
  ParticipantState state_;
  std::unique_ptr<FakeParticipant> service_;
  std::unique_ptr<grpc::Server> server_;
};

// ---- fixture
// -----------------------------------------------------------------

std::string Reason(const grpc::Status& s) { return ReasonOf(FromGrpc(s)); }

system_clock::time_point ToTimePoint(const google::protobuf::Timestamp& ts) {
  return system_clock::time_point(std::chrono::seconds(ts.seconds()) +
                                  std::chrono::nanoseconds(ts.nanos()));
}

class CoordinatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabaseName("coord");
    SharedPg().CreateDatabase(db_, "coordinator");
    port_ = testing::FreePort();
  }
  void TearDown() override {
    if (coordinator_.running()) coordinator_.Terminate(5000);
    if (HasFailure()) {
      std::fprintf(stderr, "coordinator log %s:\n", log_path().c_str());
      std::system(("tail -n 40 " + log_path() + " >&2").c_str());
    }
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log_path() const { return SharedPg().dir() + "/" + db_ + ".log"; }

  // Starts the real binary; fast loop/backoff unless `extra` overrides.
  void StartCoordinator(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = SharedPg().ServiceFlags(db_, "coordinator");
    args.insert(args.end(),
                {"--listen=" + address(), "--metrics_listen=",
                 "--participants=inventory=" + inventory_.address() +
                     ",payment=" + payment_.address(),
                 "--poll_interval_ms=50", "--lease_ms=1000",
                 "--rpc_timeout_ms=1000", "--backoff_initial_ms=20",
                 "--backoff_max_ms=200", "--shutdown_grace_ms=2000",
                 "--tls_dir=" + testing::TestPkiDir(), "--tls_refresh_s=1"});
    args.insert(args.end(), extra.begin(), extra.end());
    coordinator_.Start(testing::Binary("turnstile-coordinator"), args,
                       log_path());
    // The initiator's calls as order, the operator's as turnstilectl.
    channel_ = testing::TestChannel(address(), "coordinator", "order");
    const auto until = system_clock::now() + seconds(30);
    while (
        !channel_->WaitForConnected(system_clock::now() + milliseconds(100))) {
      if (coordinator_.Exited() || system_clock::now() > until) {
        std::system(("tail -n 30 " + log_path() + " >&2").c_str());
        FAIL() << "coordinator did not start";
      }
    }
    stub_ = v1::Coordinator::NewStub(channel_);
    admin_ = v1::Coordinator::NewStub(
        testing::TestChannel(address(), "coordinator", "turnstilectl"));
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(
      milliseconds timeout = milliseconds(5000)) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(system_clock::now() + timeout);
    return ctx;
  }

  std::string Sql(const std::string& sql) const {
    return SharedPg().Query(db_, sql);
  }
  // "<global rows>/<branch rows>"
  std::string Footprint() const {
    return Sql(
        "SELECT (SELECT count(*) FROM global_txn) || '/' || "
        "(SELECT count(*) FROM branch)");
  }

  static v1::BeginRequest BeginReq(
      const std::string& request_id, int64_t timeout_ms,
      const std::vector<std::pair<std::string, std::string>>& branches = {
          {"inventory", "inventory"}, {"payment", "payment"}}) {
    v1::BeginRequest req;
    req.set_request_id(request_id);
    req.set_timeout_ms(timeout_ms);
    for (const auto& [id, participant] : branches) {
      auto* b = req.add_branches();
      b->set_branch_id(id);
      b->set_participant(participant);
    }
    return req;
  }

  v1::BeginResponse MustBegin(const v1::BeginRequest& req) {
    v1::BeginResponse resp;
    const grpc::Status s = stub_->Begin(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status Commit(const std::string& gid, bool wait,
                      v1::CommitResponse* resp,
                      milliseconds timeout = milliseconds(5000)) {
    v1::CommitRequest req;
    req.set_gid(gid);
    req.set_wait(wait);
    return stub_->Commit(Ctx(timeout).get(), req, resp);
  }

  grpc::Status Abort(const std::string& gid, v1::CancelReason reason,
                     const std::string& detail, bool wait,
                     v1::AbortResponse* resp) {
    v1::AbortRequest req;
    req.set_gid(gid);
    req.set_reason(reason);
    req.set_detail(detail);
    req.set_wait(wait);
    return stub_->Abort(Ctx().get(), req, resp);
  }

  grpc::Status Register(const std::string& gid, const std::string& branch_id,
                        const std::string& participant) {
    v1::RegisterBranchRequest req;
    req.set_gid(gid);
    req.mutable_branch()->set_branch_id(branch_id);
    req.mutable_branch()->set_participant(participant);
    v1::RegisterBranchResponse resp;
    return stub_->RegisterBranch(Ctx().get(), req, &resp);
  }

  v1::Transaction Get(const std::string& gid) {
    v1::GetTransactionRequest req;
    req.set_gid(gid);
    v1::Transaction txn;
    const grpc::Status s = admin_->GetTransaction(Ctx().get(), req, &txn);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return txn;
  }

  // Polls until `pred(txn)` holds or `timeout` passes.
  template <typename Pred>
  bool WaitFor(const std::string& gid, Pred pred, milliseconds timeout,
               v1::Transaction* last = nullptr) {
    const auto until = steady_clock::now() + timeout;
    v1::Transaction txn;
    while (steady_clock::now() < until) {
      v1::GetTransactionRequest req;
      req.set_gid(gid);
      txn.Clear();
      if (admin_->GetTransaction(Ctx(milliseconds(1000)).get(), req, &txn)
              .ok() &&
          pred(txn)) {
        if (last) *last = txn;
        return true;
      }
      std::this_thread::sleep_for(milliseconds(30));
    }
    if (last) *last = txn;
    return false;
  }
  bool WaitState(const std::string& gid, v1::TxnState state,
                 milliseconds timeout = milliseconds(10000)) {
    v1::Transaction last;
    const bool ok = WaitFor(
        gid, [&](const v1::Transaction& t) { return t.state() == state; },
        timeout, &last);
    if (!ok) {
      ADD_FAILURE() << "state " << v1::TxnState_Name(last.state())
                    << ", wanted " << v1::TxnState_Name(state) << "\n"
                    << last.DebugString();
    }
    return ok;
  }

  // Asserts the log rows of a finished transaction.
  void ExpectFinishedRows(const std::string& gid, const std::string& state,
                          int branches) {
    const std::string where = " WHERE gid = '" + gid + "'";
    EXPECT_EQ(Sql("SELECT state FROM global_txn" + where), state);
    EXPECT_EQ(Sql("SELECT (next_attempt_at IS NULL AND lease_owner IS NULL)"
                  "::text FROM global_txn" +
                  where),
              "true");
    EXPECT_EQ(Sql("SELECT count(*) FROM branch" + where),
              std::to_string(branches));
    EXPECT_EQ(Sql("SELECT count(*) FROM branch" + where + " AND state = '" +
                  state + "' AND next_attempt_at IS NULL"),
              std::to_string(branches));
  }

  std::string db_;
  int port_ = 0;
  ParticipantServer inventory_{"inventory"};
  ParticipantServer payment_{"payment"};
  ChildProcess coordinator_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;   // as order
  std::unique_ptr<v1::Coordinator::Stub> admin_;  // as turnstilectl
};

// ---- tests
// -------------------------------------------------------------------

TEST_F(CoordinatorTest, BeginIsIdempotentOnRequestId) {
  StartCoordinator();
  const auto first = MustBegin(BeginReq("order-1", 60000));
  EXPECT_EQ(first.state(), v1::TXN_STATE_TRYING);
  EXPECT_EQ(first.gid().size(), 36u);
  EXPECT_EQ(first.gid()[14], '7') << "gid is a UUIDv7: " << first.gid();
  // A repeat (even with other parameters) returns the same transaction.
  const auto again = MustBegin(BeginReq("order-1", 5000, {}));
  EXPECT_EQ(again.gid(), first.gid());
  EXPECT_EQ(again.deadline().seconds(), first.deadline().seconds());
  EXPECT_EQ(again.deadline().nanos(), first.deadline().nanos());
  EXPECT_EQ(Footprint(), "1/2");
  const auto deadline_ms = std::chrono::duration_cast<milliseconds>(
      ToTimePoint(first.deadline()) - system_clock::now());
  EXPECT_GT(deadline_ms.count(), 55000);
  EXPECT_LE(deadline_ms.count(), 60000);

  // Concurrent repeats of a new request id: one transaction.
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> gids;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      v1::BeginResponse resp;
      auto s = stub_->Begin(Ctx().get(), BeginReq("order-2", 60000), &resp);
      std::lock_guard lock(mu);
      EXPECT_TRUE(s.ok()) << s.error_message();
      gids.insert(resp.gid());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(gids.size(), 1u);
  EXPECT_EQ(Footprint(), "2/4");
  EXPECT_EQ(Sql("SELECT gid::text FROM global_txn WHERE request_id = "
                "'order-2'"),
            *gids.begin());
  const auto txn = Get(first.gid());
  EXPECT_EQ(txn.request_id(), "order-1");
  EXPECT_EQ(txn.state(), v1::TXN_STATE_TRYING);
  ASSERT_EQ(txn.branches_size(), 2);
  EXPECT_EQ(txn.branches(0).branch_id(), "inventory");
  EXPECT_EQ(txn.branches(0).state(), v1::BRANCH_STATE_REGISTERED);
  EXPECT_EQ(txn.branches(1).participant(), "payment");
}

TEST_F(CoordinatorTest, CommitConfirmsEveryBranchInParallel) {
  StartCoordinator();
  inventory_.state().SetDelay(milliseconds(500));
  payment_.state().SetDelay(milliseconds(500));
  const auto begun = MustBegin(BeginReq("c-1", 60000,
                                        {{"inventory", "inventory"},
                                         {"seat-like", "inventory"},
                                         {"payment", "payment"}}));
  const std::string gid = begun.gid();
  ASSERT_TRUE(Register(gid, "order", "inventory").ok());
  EXPECT_EQ(Sql("SELECT count(*) FROM branch WHERE gid = '" + gid + "'"), "4");

  v1::CommitResponse resp;
  const auto start = steady_clock::now();
  const grpc::Status s = Commit(gid, /*wait=*/true, &resp, milliseconds(8000));
  const auto elapsed = steady_clock::now() - start;
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.state(), v1::TXN_STATE_CONFIRMED);
  // Four 500 ms calls one after another would take 2 s.
  EXPECT_LT(elapsed, milliseconds(1600));
  ExpectFinishedRows(gid, "CONFIRMED", 4);
  EXPECT_EQ(Sql("SELECT sum(attempts) FROM branch WHERE gid = '" + gid + "'"),
            "4");
  for (const auto& b : {"inventory", "seat-like", "order"}) {
    EXPECT_EQ(inventory_.state().Count("confirm", gid, b), 1) << b;
  }
  EXPECT_EQ(payment_.state().Count("confirm", gid, "payment"), 1);
  EXPECT_EQ(inventory_.state().Count("cancel", gid), 0);
  EXPECT_EQ(payment_.state().Count("cancel", gid), 0);

  const auto txn = Get(gid);
  EXPECT_EQ(txn.state(), v1::TXN_STATE_CONFIRMED);
  EXPECT_FALSE(txn.has_next_attempt_at());
  ASSERT_EQ(txn.branches_size(), 4);
  for (const auto& b : txn.branches()) {
    EXPECT_EQ(b.state(), v1::BRANCH_STATE_CONFIRMED) << b.branch_id();
    EXPECT_EQ(b.attempts(), 1);
    EXPECT_EQ(b.last_error(), "");
  }
  // Repeats: Commit is idempotent, Abort is refused.
  ASSERT_TRUE(Commit(gid, false, &resp).ok());
  EXPECT_EQ(resp.state(), v1::TXN_STATE_CONFIRMED);
  v1::AbortResponse aresp;
  const grpc::Status a = Abort(gid, v1::CANCEL_REASON_USER, "", false, &aresp);
  EXPECT_EQ(a.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(a), "TXN_COMMITTED");
  // Retry only applies while delivering.
  v1::RetryTransactionRequest rreq;
  rreq.set_gid(gid);
  v1::Transaction rtxn;
  EXPECT_EQ(admin_->RetryTransaction(Ctx().get(), rreq, &rtxn).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Graceful stop.
  EXPECT_EQ(coordinator_.Terminate(10000), 0);
}

TEST_F(CoordinatorTest, CommitReturnsOnceDecidedThenDeliversInBackground) {
  StartCoordinator();
  payment_.state().SetDelay(milliseconds(400));
  const std::string gid = MustBegin(BeginReq("c-2", 60000)).gid();
  v1::CommitResponse resp;
  ASSERT_TRUE(Commit(gid, /*wait=*/false, &resp).ok());
  EXPECT_EQ(resp.state(), v1::TXN_STATE_CONFIRMING);
  // The decision is durable before the answer.
  EXPECT_NE(Sql("SELECT state FROM global_txn WHERE gid = '" + gid + "'"),
            "TRYING");
  ASSERT_TRUE(WaitState(gid, v1::TXN_STATE_CONFIRMED));
  ExpectFinishedRows(gid, "CONFIRMED", 2);
  EXPECT_EQ(payment_.state().Count("confirm", gid), 1);
}

TEST_F(CoordinatorTest, AbortDrivesCancelWithTheReason) {
  StartCoordinator();
  const std::string gid = MustBegin(BeginReq("a-1", 60000)).gid();
  v1::AbortResponse resp;
  ASSERT_TRUE(
      Abort(gid, v1::CANCEL_REASON_TRY_FAILED, "seat taken", true, &resp).ok());
  EXPECT_EQ(resp.state(), v1::TXN_STATE_CANCELLED);
  ExpectFinishedRows(gid, "CANCELLED", 2);
  EXPECT_EQ(Sql("SELECT cancel_reason || '/' || detail FROM global_txn WHERE "
                "gid = '" +
                gid + "'"),
            "1/seat taken");
  for (auto* p : {&inventory_, &payment_}) {
    const auto calls = p->state().Calls(gid);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].phase, "cancel");
    EXPECT_EQ(calls[0].reason, v1::CANCEL_REASON_TRY_FAILED);
  }
  // Repeat is fine; Commit after Abort is refused; RegisterBranch too.
  ASSERT_TRUE(Abort(gid, v1::CANCEL_REASON_USER, "", false, &resp).ok());
  EXPECT_EQ(resp.state(), v1::TXN_STATE_CANCELLED);
  EXPECT_EQ(
      Sql("SELECT cancel_reason FROM global_txn WHERE gid = '" + gid + "'"),
      "1")
      << "a repeat does not overwrite the reason";
  v1::CommitResponse cresp;
  const grpc::Status c = Commit(gid, false, &cresp);
  EXPECT_EQ(c.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Reason(c), "TXN_CANCELLED");
  const auto txn = Get(gid);
  EXPECT_EQ(txn.cancel_reason(), v1::CANCEL_REASON_TRY_FAILED);
  EXPECT_EQ(txn.detail(), "seat taken");
}

TEST_F(CoordinatorTest, CommitAfterDeadlineIsAbortedAndCancels) {
  // A lazy loop, so that the Commit itself meets the expired deadline.
  StartCoordinator({"--poll_interval_ms=600000"});
  const std::string gid = MustBegin(BeginReq("d-1", 300)).gid();
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(Sql("SELECT state FROM global_txn WHERE gid = '" + gid + "'"),
            "TRYING");
  v1::CommitResponse resp;
  const grpc::Status s = Commit(gid, false, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Reason(s), "DEADLINE_PASSED");
  ASSERT_TRUE(WaitState(gid, v1::TXN_STATE_CANCELLED));
  ExpectFinishedRows(gid, "CANCELLED", 2);
  EXPECT_EQ(
      Sql("SELECT cancel_reason FROM global_txn WHERE gid = '" + gid + "'"),
      "2");
  for (auto* p : {&inventory_, &payment_}) {
    EXPECT_EQ(p->state().Count("confirm", gid), 0);
    const auto calls = p->state().Calls(gid);
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0].reason, v1::CANCEL_REASON_DEADLINE);
  }
  // Asking again gives the same answer.
  const grpc::Status again = Commit(gid, false, &resp);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Reason(again), "DEADLINE_PASSED");
}

TEST_F(CoordinatorTest, TryingPastDeadlineIsCancelledByTheLoop) {
  StartCoordinator();
  const std::string gid = MustBegin(BeginReq("d-2", 300)).gid();
  const std::string live = MustBegin(BeginReq("d-3", 60000)).gid();
  ASSERT_TRUE(WaitState(gid, v1::TXN_STATE_CANCELLED));
  ExpectFinishedRows(gid, "CANCELLED", 2);
  EXPECT_EQ(
      Sql("SELECT cancel_reason FROM global_txn WHERE gid = '" + gid + "'"),
      "2");
  EXPECT_EQ(inventory_.state().Count("cancel", gid), 1);
  EXPECT_EQ(payment_.state().Count("cancel", gid), 1);
  EXPECT_EQ(payment_.state().Calls(gid)[0].reason, v1::CANCEL_REASON_DEADLINE);
  const grpc::Status r = Register(gid, "late", "payment");
  EXPECT_EQ(r.error_code(), grpc::StatusCode::ABORTED);
  // The transaction still inside its deadline is untouched.
  EXPECT_EQ(Sql("SELECT state FROM global_txn WHERE gid = '" + live + "'"),
            "TRYING");
  EXPECT_TRUE(inventory_.state().Calls(live).empty());
}

TEST_F(CoordinatorTest, FailingParticipantIsRetriedThenConfirmed) {
  StartCoordinator();
  payment_.state().FailNext(3);
  const std::string gid = MustBegin(BeginReq("f-1", 60000)).gid();
  v1::CommitResponse resp;
  ASSERT_TRUE(Commit(gid, false, &resp).ok());
  ASSERT_TRUE(WaitState(gid, v1::TXN_STATE_CONFIRMED));
  ExpectFinishedRows(gid, "CONFIRMED", 2);
  const auto txn = Get(gid);
  for (const auto& b : txn.branches()) {
    if (b.branch_id() == "payment") {
      EXPECT_EQ(b.attempts(), 4);
      EXPECT_NE(b.last_error().find("injected failure"), std::string::npos)
          << b.last_error();
    } else {
      EXPECT_EQ(b.attempts(), 1);
      EXPECT_EQ(b.last_error(), "");
    }
  }
  EXPECT_EQ(payment_.state().Count("confirm", gid, "payment", false), 4);
  EXPECT_EQ(payment_.state().Count("confirm", gid, "payment"), 1);
  EXPECT_EQ(inventory_.state().Count("confirm", gid, "", false), 1)
      << "a delivered branch is not called again";
}

TEST_F(CoordinatorTest, ParticipantDownDuringConfirmIsRetriedUntilBack) {
  StartCoordinator();
  const std::string gid = MustBegin(BeginReq("p-1", 60000)).gid();
  payment_.Stop();
  v1::CommitResponse resp;
  ASSERT_TRUE(Commit(gid, false, &resp).ok());
  // Failures are visible while the participant is down.
  v1::Transaction seen;
  ASSERT_TRUE(WaitFor(
      gid,
      [](const v1::Transaction& t) {
        for (const auto& b : t.branches()) {
          if (b.branch_id() == "payment" && b.attempts() >= 3) return true;
        }
        return false;
      },
      milliseconds(10000), &seen))
      << seen.DebugString();
  EXPECT_EQ(seen.state(), v1::TXN_STATE_CONFIRMING);
  EXPECT_TRUE(seen.has_next_attempt_at());
  for (const auto& b : seen.branches()) {
    if (b.branch_id() == "payment") {
      EXPECT_EQ(b.state(), v1::BRANCH_STATE_REGISTERED);
      EXPECT_NE(b.last_error(), "");
      EXPECT_TRUE(b.has_next_attempt_at());
    } else {
      EXPECT_EQ(b.state(), v1::BRANCH_STATE_CONFIRMED);
    }
  }
  EXPECT_EQ(Sql("SELECT state FROM branch WHERE gid = '" + gid +
                "' AND branch_id = 'payment'"),
            "REGISTERED");
  // wait=true answers CONFIRMING (still OK) shortly before the client's
  // deadline while delivery cannot finish.
  const auto wait_start = steady_clock::now();
  ASSERT_TRUE(Commit(gid, true, &resp, milliseconds(1500)).ok());
  const auto waited = steady_clock::now() - wait_start;
  EXPECT_EQ(resp.state(), v1::TXN_STATE_CONFIRMING);
  EXPECT_GT(waited, milliseconds(800));
  EXPECT_LT(waited, milliseconds(1500));
  // An operator retry is accepted while delivering.
  v1::RetryTransactionRequest rreq;
  rreq.set_gid(gid);
  v1::Transaction rtxn;
  ASSERT_TRUE(admin_->RetryTransaction(Ctx().get(), rreq, &rtxn).ok());
  EXPECT_EQ(rtxn.gid(), gid);
  EXPECT_EQ(rtxn.state(), v1::TXN_STATE_CONFIRMING);

  payment_.Start();
  ASSERT_TRUE(WaitState(gid, v1::TXN_STATE_CONFIRMED, milliseconds(15000)));
  ExpectFinishedRows(gid, "CONFIRMED", 2);
  EXPECT_EQ(payment_.state().Count("confirm", gid, "payment"), 1);
  EXPECT_EQ(inventory_.state().Count("confirm", gid, "inventory"), 1);
}

TEST_F(CoordinatorTest, KilledAfterCommitDecisionFinishesAfterRestart) {
  StartCoordinator({"--test_pause_after_decision_ms=60000"});
  const std::string gid = MustBegin(BeginReq("k-1", 60000)).gid();
  v1::CommitResponse resp;
  ASSERT_TRUE(Commit(gid, false, &resp).ok());
  EXPECT_EQ(resp.state(), v1::TXN_STATE_CONFIRMING);
  std::this_thread::sleep_for(milliseconds(300));
  // Durable decision, leased by this process, nothing delivered yet.
  EXPECT_EQ(Sql("SELECT state || '/' || (lease_owner IS NOT NULL)::text || "
                "'/' || (next_attempt_at > now())::text FROM global_txn "
                "WHERE gid = '" +
                gid + "'"),
            "CONFIRMING/true/true");
  EXPECT_TRUE(inventory_.state().Calls(gid).empty());
  EXPECT_TRUE(payment_.state().Calls(gid).empty());
  coordinator_.Kill();

  StartCoordinator();
  ASSERT_TRUE(WaitState(gid, v1::TXN_STATE_CONFIRMED));
  ExpectFinishedRows(gid, "CONFIRMED", 2);
  EXPECT_EQ(inventory_.state().Count("confirm", gid), 1);
  EXPECT_EQ(payment_.state().Count("confirm", gid), 1);
  EXPECT_EQ(inventory_.state().Count("cancel", gid), 0);
}

TEST_F(CoordinatorTest, KilledWhileTryingDeadlineCancelsAfterRestart) {
  StartCoordinator();
  const std::string gid = MustBegin(BeginReq("k-2", 1500)).gid();
  coordinator_.Kill();
  std::this_thread::sleep_for(milliseconds(2000));
  EXPECT_EQ(Sql("SELECT state FROM global_txn WHERE gid = '" + gid + "'"),
            "TRYING");
  StartCoordinator();
  ASSERT_TRUE(WaitState(gid, v1::TXN_STATE_CANCELLED));
  ExpectFinishedRows(gid, "CANCELLED", 2);
  EXPECT_EQ(inventory_.state().Count("cancel", gid), 1);
  EXPECT_EQ(payment_.state().Calls(gid).at(0).reason,
            v1::CANCEL_REASON_DEADLINE);
}

TEST_F(CoordinatorTest, AnotherReplicaTakesOverLeasedWork) {
  // Replica A decides but pauses before delivering; replica B shares the
  // database. When A dies, B's loop claims A's work once the lease is over.
  StartCoordinator({"--test_pause_after_decision_ms=60000"});
  ChildProcess replica_b;
  const int port_b = testing::FreePort();
  std::vector<std::string> b_args = SharedPg().ServiceFlags(db_, "coordinator");
  b_args.insert(
      b_args.end(),
      {"--listen=127.0.0.1:" + std::to_string(port_b), "--metrics_listen=",
       "--participants=inventory=" + inventory_.address() +
           ",payment=" + payment_.address(),
       "--poll_interval_ms=50", "--lease_ms=1000", "--backoff_initial_ms=20",
       "--backoff_max_ms=200", "--tls_dir=" + testing::TestPkiDir()});
  replica_b.Start(testing::Binary("turnstile-coordinator"), b_args,
                  log_path() + ".b");
  auto b_channel = testing::TestChannel("127.0.0.1:" + std::to_string(port_b),
                                        "coordinator", "order");
  ASSERT_TRUE(b_channel->WaitForConnected(system_clock::now() + seconds(30)));
  auto stub_b = v1::Coordinator::NewStub(b_channel);
  auto admin_b = v1::Coordinator::NewStub(testing::TestChannel(
      "127.0.0.1:" + std::to_string(port_b), "coordinator", "turnstilectl"));

  std::vector<std::string> gids;
  for (int i = 0; i < 5; ++i) {
    v1::BeginResponse begun;
    ASSERT_TRUE(stub_b
                    ->Begin(Ctx().get(),
                            BeginReq("rep-" + std::to_string(i), 60000), &begun)
                    .ok());
    gids.push_back(begun.gid());
    v1::CommitResponse resp;
    ASSERT_TRUE(Commit(begun.gid(), false, &resp).ok());  // on replica A
  }
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(Sql("SELECT count(*) FROM global_txn WHERE state = 'CONFIRMING'"),
            "5");
  for (const auto& gid : gids) EXPECT_TRUE(payment_.state().Calls(gid).empty());
  coordinator_.Kill();
  for (const auto& gid : gids) {
    v1::Transaction txn;
    v1::GetTransactionRequest req;
    req.set_gid(gid);
    const auto until = steady_clock::now() + seconds(10);
    while (steady_clock::now() < until) {
      txn.Clear();
      if (admin_b->GetTransaction(Ctx().get(), req, &txn).ok() &&
          txn.state() == v1::TXN_STATE_CONFIRMED) {
        break;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    EXPECT_EQ(txn.state(), v1::TXN_STATE_CONFIRMED) << gid;
    ExpectFinishedRows(gid, "CONFIRMED", 2);
    EXPECT_EQ(inventory_.state().Count("confirm", gid), 1);
    EXPECT_EQ(payment_.state().Count("confirm", gid), 1);
  }
  EXPECT_EQ(replica_b.Terminate(10000), 0);
}

TEST_F(CoordinatorTest, CommitRacingTheDeadlineHasExactlyOneOutcome) {
  StartCoordinator();
  std::map<std::string, int> outcomes;
  for (int round = 0; round < 6; ++round) {
    const auto begun =
        MustBegin(BeginReq("race-" + std::to_string(round), 400));
    const std::string gid = begun.gid();
    const auto deadline = ToTimePoint(begun.deadline());
    constexpr int kThreads = 16;
    std::vector<grpc::StatusCode> codes(kThreads);
    std::vector<system_clock::time_point> sent(kThreads), answered(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        // Spread the calls around the deadline; the rounds move the spread
        // from well before it to well after it, so both outcomes occur.
        std::this_thread::sleep_until(deadline + milliseconds(4 * round - 14) +
                                      milliseconds(i));
        v1::CommitResponse resp;
        sent[i] = system_clock::now();
        codes[i] = Commit(gid, false, &resp).error_code();
        answered[i] = system_clock::now();
      });
    }
    for (auto& t : threads) t.join();
    const std::set<grpc::StatusCode> distinct(codes.begin(), codes.end());
    ASSERT_EQ(distinct.size(), 1u) << "round " << round;
    const grpc::StatusCode code = *distinct.begin();
    ASSERT_TRUE(code == grpc::StatusCode::OK ||
                code == grpc::StatusCode::ABORTED)
        << code;
    const bool committed = code == grpc::StatusCode::OK;
    // Calls all sent after the deadline cannot commit; calls all answered
    // before it cannot have lost to it.
    if (*std::min_element(sent.begin(), sent.end()) > deadline) {
      EXPECT_FALSE(committed) << "round " << round;
    }
    if (*std::max_element(answered.begin(), answered.end()) < deadline) {
      EXPECT_TRUE(committed) << "round " << round;
    }
    ++outcomes[committed ? "committed" : "aborted"];
    ASSERT_TRUE(WaitState(
        gid, committed ? v1::TXN_STATE_CONFIRMED : v1::TXN_STATE_CANCELLED));
    ExpectFinishedRows(gid, committed ? "CONFIRMED" : "CANCELLED", 2);
    for (auto* p : {&inventory_, &payment_}) {
      EXPECT_EQ(p->state().Count(committed ? "confirm" : "cancel", gid), 1);
      EXPECT_EQ(
          p->state().Count(committed ? "cancel" : "confirm", gid, "", false),
          0);
    }
  }
  std::printf("race outcomes: committed=%d aborted=%d\n", outcomes["committed"],
              outcomes["aborted"]);
}

TEST_F(CoordinatorTest, RegisterBranchFollowsTheState) {
  StartCoordinator();
  const std::string gid = MustBegin(BeginReq("r-1", 60000, {})).gid();
  EXPECT_TRUE(Register(gid, "inventory", "inventory").ok());
  EXPECT_TRUE(Register(gid, "inventory", "inventory").ok()) << "repeat";
  const grpc::Status other = Register(gid, "inventory", "payment");
  EXPECT_EQ(other.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Sql("SELECT participant FROM branch WHERE gid = '" + gid + "'"),
            "inventory");
  v1::AbortResponse aresp;
  ASSERT_TRUE(Abort(gid, v1::CANCEL_REASON_USER, "", true, &aresp).ok());
  const grpc::Status after_cancel = Register(gid, "payment", "payment");
  EXPECT_EQ(after_cancel.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(Reason(after_cancel), "TXN_CANCELLED");
  EXPECT_EQ(Sql("SELECT count(*) FROM branch WHERE gid = '" + gid + "'"), "1");
  EXPECT_EQ(inventory_.state().Count("cancel", gid), 1);
  EXPECT_EQ(inventory_.state().Calls(gid)[0].reason, v1::CANCEL_REASON_USER);

  const std::string committed = MustBegin(BeginReq("r-2", 60000)).gid();
  v1::CommitResponse cresp;
  ASSERT_TRUE(Commit(committed, true, &cresp).ok());
  const grpc::Status after_commit = Register(committed, "extra", "payment");
  EXPECT_EQ(after_commit.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Sql("SELECT count(*) FROM branch WHERE gid = '" + committed + "'"),
            "2");

  // Sixteen branches at most, counting registered ones.
  const std::string full = MustBegin(BeginReq("r-3", 60000, {})).gid();
  for (int i = 0; i < 16; ++i) {
    ASSERT_TRUE(Register(full, "b" + std::to_string(i), "payment").ok());
  }
  EXPECT_EQ(Register(full, "b16", "payment").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Register(full, "b3", "payment").ok()) << "repeat still fine";
  EXPECT_EQ(Sql("SELECT count(*) FROM branch WHERE gid = '" + full + "'"),
            "16");
}

TEST_F(CoordinatorTest, ListTransactionsFiltersAndPages) {
  StartCoordinator();
  std::vector<std::string> gids;
  for (int i = 0; i < 5; ++i) {
    gids.push_back(MustBegin(BeginReq("l-" + std::to_string(i), 60000,
                                      {{"inventory", "inventory"}}))
                       .gid());
  }
  const std::string with_payment =
      MustBegin(BeginReq("l-pay", 60000, {{"payment", "payment"}})).gid();
  gids.push_back(with_payment);
  v1::AbortResponse aresp;
  ASSERT_TRUE(Abort(gids[1], v1::CANCEL_REASON_USER, "", true, &aresp).ok());

  // Pages of two, newest first, covering everything once.
  std::vector<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    v1::ListTransactionsRequest req;
    req.set_page_size(2);
    req.set_page_token(token);
    v1::ListTransactionsResponse resp;
    ASSERT_TRUE(admin_->ListTransactions(Ctx().get(), req, &resp).ok());
    ASSERT_LE(resp.transactions_size(), 2);
    for (const auto& t : resp.transactions()) listed.push_back(t.gid());
    token = resp.next_page_token();
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  std::vector<std::string> newest_first(gids.rbegin(), gids.rend());
  EXPECT_EQ(listed, newest_first);

  v1::ListTransactionsRequest by_state;
  by_state.set_state(v1::TXN_STATE_CANCELLED);
  v1::ListTransactionsResponse resp;
  ASSERT_TRUE(admin_->ListTransactions(Ctx().get(), by_state, &resp).ok());
  ASSERT_EQ(resp.transactions_size(), 1);
  EXPECT_EQ(resp.transactions(0).gid(), gids[1]);
  EXPECT_EQ(resp.transactions(0).branches_size(), 1);
  EXPECT_EQ(resp.next_page_token(), "");

  v1::ListTransactionsRequest by_participant;
  by_participant.set_participant("payment");
  resp.Clear();
  ASSERT_TRUE(
      admin_->ListTransactions(Ctx().get(), by_participant, &resp).ok());
  ASSERT_EQ(resp.transactions_size(), 1);
  EXPECT_EQ(resp.transactions(0).gid(), with_payment);

  v1::ListTransactionsRequest old;
  old.set_min_age_seconds(3600);
  resp.Clear();
  ASSERT_TRUE(admin_->ListTransactions(Ctx().get(), old, &resp).ok());
  EXPECT_EQ(resp.transactions_size(), 0);
}

// GET http://127.0.0.1:port/metrics, body only ("" on failure).
std::string ScrapeMetrics(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string req = "GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n";
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[8192];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, n);
    }
  }
  close(fd);
  return out;
}

// The value of the first metric line starting with `prefix` (-1 if none).
double MetricValue(const std::string& text, const std::string& prefix) {
  size_t pos = 0;
  while ((pos = text.find(prefix, pos)) != std::string::npos) {
    if (pos == 0 || text[pos - 1] == '\n') {
      const size_t space = text.find(' ', pos + prefix.size());
      const size_t eol = text.find('\n', pos);
      return std::stod(text.substr(space + 1, eol - space - 1));
    }
    pos += prefix.size();
  }
  return -1;
}

TEST_F(CoordinatorTest, MetricsCountDecisionsDeliveriesBatchesAndStuck) {
  const int metrics_port = testing::FreePort();
  StartCoordinator(
      {"--metrics_listen=127.0.0.1:" + std::to_string(metrics_port),
       "--backoff_initial_ms=5", "--backoff_max_ms=20"});
  // Payment fails more than the stuck limit (10 attempts), then recovers.
  payment_.state().FailNext(11);
  const std::string stuck = MustBegin(BeginReq("m-1", 60000)).gid();
  v1::CommitResponse cresp;
  ASSERT_TRUE(Commit(stuck, false, &cresp).ok());
  const std::string aborted =
      MustBegin(BeginReq("m-2", 60000, {{"inventory", "inventory"}})).gid();
  v1::AbortResponse aresp;
  ASSERT_TRUE(Abort(aborted, v1::CANCEL_REASON_USER, "", true, &aresp).ok());
  ASSERT_TRUE(WaitState(stuck, v1::TXN_STATE_CONFIRMED, milliseconds(20000)));
  EXPECT_EQ(Sql("SELECT attempts FROM branch WHERE gid = '" + stuck +
                "' AND branch_id = 'payment'"),
            "12");

  const std::string text = ScrapeMetrics(metrics_port);
  ASSERT_NE(text.find("200 OK"), std::string::npos) << text;
  if (text.find("turnstile_") == std::string::npos) {
    // Not even turnstile_rpc_total: the process registry is not exposed
    // (services/common ServeGrpc registers a weak_ptr to a temporary).
    GTEST_SKIP() << "metrics registry not exposed by ServeGrpc";
  }
  EXPECT_EQ(MetricValue(text, "turnstile_coordinator_transactions_begun_total"),
            2);
  EXPECT_EQ(MetricValue(text,
                        "turnstile_coordinator_transactions_decided_total{"
                        "cause=\"commit\""),
            1);
  EXPECT_EQ(MetricValue(text,
                        "turnstile_coordinator_transactions_decided_total{"
                        "cause=\"abort\""),
            1);
  EXPECT_EQ(MetricValue(text,
                        "turnstile_coordinator_deliveries_total{phase="
                        "\"confirm\",result=\"failed\"}"),
            11);
  EXPECT_EQ(MetricValue(text,
                        "turnstile_coordinator_deliveries_total{phase="
                        "\"confirm\",result=\"ok\"}"),
            2);
  EXPECT_EQ(MetricValue(text,
                        "turnstile_coordinator_deliveries_total{phase="
                        "\"cancel\",result=\"ok\"}"),
            1);
  EXPECT_EQ(
      MetricValue(text, "turnstile_coordinator_branches_became_stuck_total"),
      1);
  EXPECT_GT(
      MetricValue(text, "turnstile_coordinator_group_commit_batch_size_count"),
      0);
  EXPECT_GT(
      MetricValue(text, "turnstile_coordinator_group_commit_batches_total"), 0);
}

// Scrapes until `pred(text)` holds or `timeout` passes; the last text.
template <typename Pred>
std::string ScrapeUntil(int port, Pred pred, milliseconds timeout) {
  const auto until = steady_clock::now() + timeout;
  std::string text = ScrapeMetrics(port);
  while (!pred(text) && steady_clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(100));
    text = ScrapeMetrics(port);
  }
  return text;
}

TEST_F(CoordinatorTest, GaugesShowStuckOverdueOpenTransactionsAndThePulse) {
  const int metrics_port = testing::FreePort();
  StartCoordinator(
      {"--metrics_listen=127.0.0.1:" + std::to_string(metrics_port),
       "--stuck_after_ms=1500", "--overdue_horizon_ms=500",
       "--backoff_initial_ms=2000", "--backoff_max_ms=2000"});
  const char* kStuck = "turnstile_coordinator_stuck_branches";
  const char* kOverdue = "turnstile_coordinator_overdue_transactions";
  const char* kOldest =
      "turnstile_coordinator_oldest_undelivered_branch_age_seconds";
  const char* kPulse =
      "turnstile_coordinator_recovery_last_pass_timestamp_seconds";
  const std::string trying_gauge =
      "turnstile_coordinator_open_transactions{state=\"TRYING\"}";
  const std::string confirming_gauge =
      "turnstile_coordinator_open_transactions{state=\"CONFIRMING\"}";
  const auto now_s = [] {
    return std::chrono::duration<double>(system_clock::now().time_since_epoch())
        .count();
  };

  // The loop's pulse is recent and moves on with no work at all.
  std::string text = ScrapeUntil(
      metrics_port,
      [&](const std::string& t) { return MetricValue(t, kPulse) > 0; },
      milliseconds(5000));
  const double first_pass = MetricValue(text, kPulse);
  EXPECT_NEAR(first_pass, now_s(), 10);
  EXPECT_EQ(MetricValue(text, kStuck), 0);
  EXPECT_EQ(MetricValue(text, trying_gauge), 0);
  text = ScrapeUntil(
      metrics_port,
      [&](const std::string& t) {
        return MetricValue(t, kPulse) > first_pass + 0.2;
      },
      milliseconds(5000));
  EXPECT_GT(MetricValue(text, kPulse), first_pass + 0.2);

  // One open TRYING transaction; one committed whose payment keeps failing
  // past stuck_after and past its deadline + horizon.
  const std::string open = MustBegin(BeginReq("g-open", 60000)).gid();
  payment_.state().FailNext(1000000);
  const std::string failing = MustBegin(BeginReq("g-fail", 1000)).gid();
  v1::CommitResponse cresp;
  ASSERT_TRUE(Commit(failing, false, &cresp).ok());
  text = ScrapeUntil(
      metrics_port,
      [&](const std::string& t) {
        return MetricValue(t, kStuck) == 1 && MetricValue(t, kOverdue) == 1;
      },
      milliseconds(15000));
  EXPECT_EQ(MetricValue(text, kStuck), 1) << "payment's branch";
  EXPECT_EQ(MetricValue(text, kOverdue), 1);
  EXPECT_EQ(MetricValue(text, trying_gauge), 1);
  EXPECT_EQ(MetricValue(text, confirming_gauge), 1);
  EXPECT_GE(MetricValue(text, kOldest), 1.5);
  EXPECT_LE(std::stoi(Sql("SELECT attempts FROM branch WHERE gid = '" +
                          failing + "' AND branch_id = 'payment'")),
            10)
      << "stuck by age, below the attempt limit";
  // The console's view agrees with the gauges: GetSummary reads the same
  // statement, and the stuck filter lists exactly the stuck transaction.
  v1::TransactionSummary summary;
  ASSERT_TRUE(
      admin_->GetSummary(Ctx().get(), v1::GetSummaryRequest(), &summary).ok());
  EXPECT_EQ(summary.stuck_branches(), 1);
  EXPECT_EQ(summary.overdue_transactions(), 1);
  EXPECT_EQ(summary.trying(), 1);
  EXPECT_EQ(summary.confirming(), 1);
  EXPECT_EQ(summary.cancelling(), 0);
  EXPECT_GE(summary.oldest_undelivered_age_seconds(), 1.5);
  EXPECT_EQ(summary.stuck_after_ms(), 1500);
  EXPECT_EQ(summary.overdue_horizon_ms(), 500);
  EXPECT_EQ(summary.stuck_attempts(), 10);
  EXPECT_NEAR(static_cast<double>(summary.recovery_last_pass().seconds()),
              now_s(), 10);
  EXPECT_NEAR(static_cast<double>(summary.read_at().seconds()), now_s(), 10);
  v1::ListTransactionsRequest stuck_req;
  stuck_req.set_stuck_only(true);
  v1::ListTransactionsResponse stuck_list;
  ASSERT_TRUE(
      admin_->ListTransactions(Ctx().get(), stuck_req, &stuck_list).ok());
  ASSERT_EQ(stuck_list.transactions_size(), 1);
  EXPECT_EQ(stuck_list.transactions(0).gid(), failing);

  // Payment recovers: everything drains back to zero.
  payment_.state().FailNext(0);
  ASSERT_TRUE(WaitState(failing, v1::TXN_STATE_CONFIRMED, milliseconds(10000)));
  v1::AbortResponse aresp;
  ASSERT_TRUE(Abort(open, v1::CANCEL_REASON_USER, "", true, &aresp).ok());
  text = ScrapeUntil(
      metrics_port,
      [&](const std::string& t) {
        return MetricValue(t, kStuck) == 0 && MetricValue(t, kOverdue) == 0 &&
               MetricValue(t, trying_gauge) == 0 &&
               MetricValue(t, confirming_gauge) == 0;
      },
      milliseconds(10000));
  EXPECT_EQ(MetricValue(text, kStuck), 0);
  EXPECT_EQ(MetricValue(text, kOverdue), 0);
  EXPECT_EQ(MetricValue(text, trying_gauge), 0);
  EXPECT_EQ(MetricValue(text, confirming_gauge), 0);
  EXPECT_EQ(MetricValue(text, kOldest), 0);
  ASSERT_TRUE(
      admin_->GetSummary(Ctx().get(), v1::GetSummaryRequest(), &summary).ok());
  EXPECT_EQ(summary.stuck_branches() + summary.overdue_transactions() +
                summary.trying() + summary.confirming() + summary.cancelling(),
            0);
  EXPECT_EQ(summary.oldest_undelivered_age_seconds(), 0);
  EXPECT_EQ(summary.confirmed_last_hour(), 1);
  EXPECT_EQ(summary.cancelled_last_hour(), 1);
  ASSERT_TRUE(
      admin_->ListTransactions(Ctx().get(), stuck_req, &stuck_list).ok());
  EXPECT_EQ(stuck_list.transactions_size(), 0);
}

TEST_F(CoordinatorTest, BadInputIsRefusedAndNothingIsWritten) {
  StartCoordinator();
  ASSERT_EQ(Footprint(), "0/0");
  const auto expect_code = [&](const grpc::Status& s, grpc::StatusCode code,
                               const std::string& what) {
    EXPECT_EQ(s.error_code(), code) << what << ": " << s.error_message();
  };
  const auto invalid = grpc::StatusCode::INVALID_ARGUMENT;
  const auto begin = [&](const v1::BeginRequest& req) {
    v1::BeginResponse resp;
    return stub_->Begin(Ctx().get(), req, &resp);
  };
  expect_code(begin(BeginReq("", 1000)), invalid, "empty request_id");
  expect_code(begin(BeginReq(std::string(201, 'r'), 1000)), invalid,
              "oversized request_id");
  expect_code(begin(BeginReq("x", 0)), invalid, "zero timeout");
  expect_code(begin(BeginReq("x", -1000)), invalid, "negative timeout");
  expect_code(begin(BeginReq("x", 7LL * 24 * 3600 * 1000 + 1)), invalid,
              "timeout over 7 days");
  expect_code(begin(BeginReq("x", 9223372036854775807LL)), invalid,
              "huge timeout");
  std::vector<std::pair<std::string, std::string>> many;
  for (int i = 0; i < 17; ++i)
    many.push_back({"b" + std::to_string(i), "payment"});
  expect_code(begin(BeginReq("x", 1000, many)), invalid, "17 branches");
  expect_code(
      begin(BeginReq("x", 1000, {{"a", "payment"}, {"a", "inventory"}})),
      invalid, "duplicate branch ids");
  expect_code(begin(BeginReq("x", 1000, {{"a", "bank"}})), invalid,
              "unknown participant");
  expect_code(begin(BeginReq("x", 1000, {{"Bad Id", "payment"}})), invalid,
              "bad branch id");

  const std::string malformed = "not-a-gid";
  const std::string unknown = "01890a5d-ac96-774b-bcce-b302099a8057";
  for (const auto& [gid, code] :
       std::vector<std::pair<std::string, grpc::StatusCode>>{
           {malformed, invalid},
           {"", invalid},
           {unknown, grpc::StatusCode::NOT_FOUND}}) {
    const std::string what = "gid '" + gid + "'";
    expect_code(Register(gid, "a", "payment"), code, "RegisterBranch " + what);
    v1::CommitResponse cresp;
    expect_code(Commit(gid, false, &cresp), code, "Commit " + what);
    expect_code(Commit(gid, true, &cresp), code, "Commit wait " + what);
    v1::AbortResponse aresp;
    expect_code(Abort(gid, v1::CANCEL_REASON_USER, "", false, &aresp), code,
                "Abort " + what);
    v1::GetTransactionRequest greq;
    greq.set_gid(gid);
    v1::Transaction txn;
    expect_code(admin_->GetTransaction(Ctx().get(), greq, &txn), code,
                "GetTransaction " + what);
    v1::RetryTransactionRequest rreq;
    rreq.set_gid(gid);
    expect_code(admin_->RetryTransaction(Ctx().get(), rreq, &txn), code,
                "RetryTransaction " + what);
  }
  expect_code(Register(unknown, "Bad Id", "payment"), invalid,
              "RegisterBranch bad branch id");
  expect_code(Register(unknown, "a", "bank"), invalid,
              "RegisterBranch unknown participant");
  v1::AbortResponse aresp;
  expect_code(
      Abort(unknown, static_cast<v1::CancelReason>(42), "", false, &aresp),
      invalid, "Abort unknown reason");
  expect_code(Abort(unknown, v1::CANCEL_REASON_USER, std::string(501, 'd'),
                    false, &aresp),
              invalid, "Abort oversized detail");
  for (const auto& [size, token, age] :
       std::vector<std::tuple<int, std::string, int64_t>>{
           {1001, "", 0}, {-1, "", 0}, {10, "garbage", 0}, {10, "", -5}}) {
    v1::ListTransactionsRequest req;
    req.set_page_size(size);
    req.set_page_token(token);
    req.set_min_age_seconds(age);
    v1::ListTransactionsResponse resp;
    expect_code(admin_->ListTransactions(Ctx().get(), req, &resp), invalid,
                "ListTransactions " + std::to_string(size) + "/" + token + "/" +
                    std::to_string(age));
  }
  EXPECT_EQ(Footprint(), "0/0");
  // The reason travels in the error details.
  v1::BeginResponse resp;
  EXPECT_EQ(Reason(stub_->Begin(Ctx().get(), BeginReq("", 1), &resp)),
            "INVALID_ARGUMENT");
}

}  // namespace
}  // namespace turnstile
