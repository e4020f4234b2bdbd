// Overload is refused, not queued (DESIGN.md §7): the real coordinator
// binary with tiny bounds set by flags (group-commit queue, executor queue)
// gets a burst of concurrent calls far above them. The excess must be
// refused promptly with RESOURCE_EXHAUSTED carrying a google.rpc.RetryInfo,
// nothing else but OK may come back, the refusals are counted in
// turnstile_overload_refusals_total, and afterwards the log is consistent:
// every begun transaction is in global_txn with all its branches, no refused
// one left a row, and the coordinator serves normally again.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/support/child_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_process.h"
#include "tests/support/test_pki.h"
#include "turnstile/v1/coordinator.grpc.pb.h"

namespace turnstile {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::system_clock;
using testing::ChildProcess;
using testing::SharedPg;

// A refusal is prompt if answered within this long of the call's start.
constexpr milliseconds kPrompt(50);

// One call of a burst, as the client saw it.
struct Outcome {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string reason;
  bool has_retry_info = false;
  milliseconds latency{0};
  std::string gid;
  std::string request_id;
};

// Decodes reason and RetryInfo the generic way.
void DecodeDetails(const grpc::Status& s, Outcome* out) {
  google::rpc::Status details;
  if (!details.ParseFromString(s.error_details())) return;
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::RetryInfo retry;
    if (any.UnpackTo(&info)) {
      out->reason = info.reason();
    } else if (any.UnpackTo(&retry)) {
      out->has_retry_info =
          retry.has_retry_delay() && (retry.retry_delay().seconds() > 0 ||
                                      retry.retry_delay().nanos() > 0);
    }
  }
}

// Waits for `n` async calls to complete.
class Countdown {
 public:
  explicit Countdown(int n) : left_(n) {}
  void Done() {
    std::lock_guard lock(mu_);
    if (--left_ == 0) cv_.notify_all();
  }
  bool Wait(milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return left_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int left_;
};

// GET /metrics from the coordinator's Prometheus endpoint.
std::string Scrape(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string body;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string req =
        "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[8192];
      for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;)
        body.append(buf, n);
    }
  }
  close(fd);
  return body;
}

// The value of `turnstile_overload_refusals_total{queue="<queue>"}`, or -1.
double Refusals(const std::string& metrics, const std::string& queue) {
  const std::regex re("turnstile_overload_refusals_total\\{queue=\"" + queue +
                      "\"\\} ([0-9.e+]+)");
  std::smatch m;
  return std::regex_search(metrics, m, re) ? std::stod(m[1].str()) : -1;
}

class CoordinatorOverloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabaseName("coordov");
    SharedPg().CreateDatabase(db_, "coordinator");
    port_ = testing::FreePort();
    metrics_port_ = testing::FreePort();
  }
  void TearDown() override {
    stub_.reset();
    admin_.reset();
    channel_.reset();
    if (coordinator_.running()) coordinator_.Terminate(5000);
    if (HasFailure()) {
      std::fprintf(stderr, "coordinator log %s:\n", log_path().c_str());
      std::system(("tail -n 40 " + log_path() + " >&2").c_str());
    }
  }

  std::string log_path() const { return SharedPg().dir() + "/" + db_ + ".log"; }

  void Start(const std::vector<std::string>& bounds) {
    // Participants are never called: nothing is committed, and deadlines
    // are far beyond the test.
    const std::string nowhere =
        "127.0.0.1:" + std::to_string(testing::FreePort());
    std::vector<std::string> args = {
        "--listen=127.0.0.1:" + std::to_string(port_),
        "--pg=" + SharedPg().Conninfo(db_),
        "--metrics_listen=127.0.0.1:" + std::to_string(metrics_port_),
        "--participants=inventory=" + nowhere + ",payment=" + nowhere,
        "--shutdown_grace_ms=2000",
        "--tls_dir=" + testing::TestPkiDir(),
    };
    args.insert(args.end(), bounds.begin(), bounds.end());
    coordinator_.Start(testing::Binary("turnstile-coordinator"), args,
                       log_path());
    channel_ = testing::TestChannel("127.0.0.1:" + std::to_string(port_),
                                    "coordinator", "order");
    const auto until = system_clock::now() + std::chrono::seconds(30);
    while (
        !channel_->WaitForConnected(system_clock::now() + milliseconds(100))) {
      ASSERT_FALSE(coordinator_.Exited()) << "coordinator exited";
      ASSERT_LT(system_clock::now(), until) << "coordinator not serving";
    }
    stub_ = v1::Coordinator::NewStub(channel_);
    admin_ = v1::Coordinator::NewStub(testing::TestChannel(
        "127.0.0.1:" + std::to_string(port_), "coordinator", "turnstilectl"));
  }

  static v1::BeginRequest BeginReq(const std::string& request_id) {
    v1::BeginRequest req;
    req.set_request_id(request_id);
    req.set_timeout_ms(600000);
    for (const char* p : {"inventory", "payment"}) {
      auto* b = req.add_branches();
      b->set_branch_id(p);
      b->set_participant(p);
    }
    return req;
  }

  // `n` Begin calls issued at once (callback API: none waits for another).
  std::vector<Outcome> BurstOfBegins(int n, const std::string& prefix) {
    struct Call {
      grpc::ClientContext ctx;
      v1::BeginRequest req;
      v1::BeginResponse resp;
      Clock::time_point start;
    };
    std::vector<std::unique_ptr<Call>> calls(n);
    std::vector<Outcome> out(n);
    Countdown done(n);
    for (int i = 0; i < n; ++i) {
      calls[i] = std::make_unique<Call>();
      calls[i]->req = BeginReq(absl::StrCat(prefix, "-", i));
      calls[i]->ctx.set_deadline(system_clock::now() +
                                 std::chrono::seconds(20));
    }
    for (int i = 0; i < n; ++i) {
      Call* c = calls[i].get();
      c->start = Clock::now();
      stub_->async()->Begin(
          &c->ctx, &c->req, &c->resp, [c, &out, &done, i](grpc::Status s) {
            Outcome& o = out[i];
            o.latency = std::chrono::duration_cast<milliseconds>(Clock::now() -
                                                                 c->start);
            o.code = s.error_code();
            o.request_id = c->req.request_id();
            o.gid = c->resp.gid();
            DecodeDetails(s, &o);
            done.Done();
          });
    }
    EXPECT_TRUE(done.Wait(milliseconds(30000))) << "burst did not finish";
    return out;
  }

  std::string Sql(const std::string& sql) const {
    return SharedPg().Query(db_, sql);
  }

  std::string db_;
  int port_ = 0;
  int metrics_port_ = 0;
  ChildProcess coordinator_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;   // as order
  std::unique_ptr<v1::Coordinator::Stub> admin_;  // as turnstilectl
};

// Checks the refusals of a burst: RESOURCE_EXHAUSTED/OVERLOADED with a
// RetryInfo, prompt, and nothing but OK otherwise.
void ExpectOnlyOkOrPromptRefusals(const std::vector<Outcome>& outcomes, int* ok,
                                  int* refused) {
  *ok = 0;
  *refused = 0;
  std::vector<milliseconds> refusal_latency;
  for (const Outcome& o : outcomes) {
    if (o.code == grpc::StatusCode::OK) {
      ++*ok;
      continue;
    }
    ASSERT_EQ(o.code, grpc::StatusCode::RESOURCE_EXHAUSTED)
        << "only OK or RESOURCE_EXHAUSTED may come back; got " << o.code << " "
        << o.reason;
    ++*refused;
    EXPECT_EQ(o.reason, "OVERLOADED");
    EXPECT_TRUE(o.has_retry_info) << "a refusal must say when to retry";
    refusal_latency.push_back(o.latency);
  }
  std::sort(refusal_latency.begin(), refusal_latency.end());
  if (!refusal_latency.empty()) {
    const milliseconds worst = refusal_latency.back();
    const milliseconds median = refusal_latency[refusal_latency.size() / 2];
    std::printf("refusals: %d, median %lld ms, worst %lld ms\n", *refused,
                static_cast<long long>(median.count()),
                static_cast<long long>(worst.count()));
    EXPECT_LE(worst, kPrompt)
        << "every refusal within " << kPrompt.count() << " ms of its call";
  }
}

TEST_F(CoordinatorOverloadTest,
       BurstOfBeginsIsRefusedPromptlyAndLogStaysWhole) {
  // A queue of 4 log writes, batches of 2 with a 20 ms fill window: the
  // writer drains slowly, so almost all of a 400-call burst finds it full.
  Start({"--group_commit_max_queue=4", "--group_commit_max_batch=2",
         "--group_commit_max_wait_us=20000", "--overload_retry_after_ms=30"});
  constexpr int kCalls = 400;
  const std::vector<Outcome> outcomes = BurstOfBegins(kCalls, "burst");
  int ok = 0, refused = 0;
  ExpectOnlyOkOrPromptRefusals(outcomes, &ok, &refused);
  std::printf("begun %d, refused %d of %d\n", ok, refused, kCalls);
  EXPECT_GT(ok, 0) << "the bound admits some";
  EXPECT_GT(refused, kCalls / 2) << "the excess is refused, not queued";

  // The log: every OK Begin is in global_txn, TRYING, with both branches;
  // no refused one left a row; nothing else is there.
  std::vector<std::string> begun, rejected;
  for (const Outcome& o : outcomes) {
    (o.code == grpc::StatusCode::OK ? begun : rejected)
        .push_back("'" + o.request_id + "'");
  }
  EXPECT_EQ(Sql("SELECT count(*) FROM global_txn"), std::to_string(ok));
  EXPECT_EQ(Sql("SELECT count(*) FROM global_txn WHERE state = 'TRYING' AND "
                "request_id IN (" +
                absl::StrJoin(begun, ",") + ")"),
            std::to_string(ok));
  EXPECT_EQ(Sql("SELECT count(*) FROM global_txn WHERE request_id IN (" +
                absl::StrJoin(rejected, ",") + ")"),
            "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM branch"), std::to_string(2 * ok));
  EXPECT_EQ(Sql("SELECT count(*) FROM global_txn g WHERE (SELECT count(*) "
                "FROM branch b WHERE b.gid = g.gid) <> 2"),
            "0")
      << "a transaction without all of its branches";
  for (const Outcome& o : outcomes) {
    if (o.code != grpc::StatusCode::OK) continue;
    EXPECT_EQ(
        Sql("SELECT request_id FROM global_txn WHERE gid = '" + o.gid + "'"),
        o.request_id);
  }

  // Counted where an operator looks.
  EXPECT_EQ(Refusals(Scrape(metrics_port_), "group_commit"), refused);

  // Once the burst is over the coordinator serves again: a refused request
  // retried (same request_id) after the advised delay is begun.
  std::this_thread::sleep_for(milliseconds(30));
  const Outcome* first_refused = nullptr;
  for (const Outcome& o : outcomes) {
    if (o.code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
      first_refused = &o;
      break;
    }
  }
  ASSERT_NE(first_refused, nullptr);
  grpc::ClientContext ctx;
  ctx.set_deadline(system_clock::now() + std::chrono::seconds(5));
  v1::BeginResponse resp;
  const grpc::Status retried =
      stub_->Begin(&ctx, BeginReq(first_refused->request_id), &resp);
  ASSERT_TRUE(retried.ok()) << retried.error_message();
  EXPECT_EQ(Sql("SELECT count(*) FROM global_txn"), std::to_string(ok + 1));
}

TEST_F(CoordinatorOverloadTest, BurstOfReadsIsRefusedPromptly) {
  // One database thread and room for 2 waiting reads.
  Start({"--pg_pool_size=1", "--executor_max_queue=2"});
  grpc::ClientContext ctx;
  ctx.set_deadline(system_clock::now() + std::chrono::seconds(5));
  v1::BeginResponse begun;
  ASSERT_TRUE(stub_->Begin(&ctx, BeginReq("one"), &begun).ok());

  constexpr int kCalls = 300;
  struct Call {
    grpc::ClientContext ctx;
    v1::ListTransactionsRequest req;
    v1::ListTransactionsResponse resp;
    Clock::time_point start;
  };
  std::vector<std::unique_ptr<Call>> calls(kCalls);
  std::vector<Outcome> out(kCalls);
  Countdown done(kCalls);
  for (auto& c : calls) {
    c = std::make_unique<Call>();
    c->req.set_page_size(100);
    c->ctx.set_deadline(system_clock::now() + std::chrono::seconds(20));
  }
  for (int i = 0; i < kCalls; ++i) {
    Call* c = calls[i].get();
    c->start = Clock::now();
    admin_->async()->ListTransactions(
        &c->ctx, &c->req, &c->resp, [c, &out, &done, i](grpc::Status s) {
          out[i].latency =
              std::chrono::duration_cast<milliseconds>(Clock::now() - c->start);
          out[i].code = s.error_code();
          DecodeDetails(s, &out[i]);
          if (s.ok()) {
            EXPECT_EQ(c->resp.transactions_size(), 1);
          }
          done.Done();
        });
  }
  ASSERT_TRUE(done.Wait(milliseconds(30000)));
  int ok = 0, refused = 0;
  ExpectOnlyOkOrPromptRefusals(out, &ok, &refused);
  std::printf("reads answered %d, refused %d of %d\n", ok, refused, kCalls);
  EXPECT_GT(ok, 0);
  EXPECT_GT(refused, 0);
  EXPECT_EQ(Refusals(Scrape(metrics_port_), "executor"), refused);
}

}  // namespace
}  // namespace turnstile
