// turnstile-gateway in front of the real mesh, driven by a plain HTTP
// client: the acting user is the token's subject and nothing else; the
// connection and in-flight bounds refuse early and recover; a call in
// flight survives SIGTERM (graceful drain); and with Redis gone the rate
// limiter fails open for catalogue reads and closed for PlaceOrder, and
// says so in its metrics. (The protocol, JWT, CORS and browser cases run
// with third-party clients in web/test/gateway/.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/gateway_process.h"
#include "tests/support/http_client.h"
#include "tests/support/mesh_test.h"
#include "tests/support/test_pki.h"
#include "turnstile/v1/inventory.pb.h"
#include "turnstile/v1/order.pb.h"
#include "turnstile/v1/payment.pb.h"

namespace turnstile::testing {
namespace {

using std::chrono::milliseconds;

class GatewayEdgeTest : public MeshTest {
 protected:
  void StartGateway(const std::vector<std::string>& args = {}) {
    gateway_ = std::make_unique<GatewayProcess>(mesh());
    ASSERT_TRUE(gateway_->Start(args));
  }

  std::string Token(const std::string& user, bool admin = false) {
    std::string token = gateway_->Token(user, admin);
    EXPECT_FALSE(token.empty());
    return token;
  }

  HttpResult Wallet(const std::string& token, int timeout_ms = 5000) {
    v1::GetWalletRequest req;
    req.set_currency("EUR");
    return GrpcWebCall(gateway_->port(), "/turnstile.v1.Payment/GetWallet",
                       req.SerializeAsString(), token, timeout_ms);
  }

  void TearDown() override {
    if (HasFailure() && gateway_) gateway_->DumpLog(40);
    gateway_.reset();
    MeshTest::TearDown();
  }

  std::string GatewayMetrics() {
    return HttpCall(gateway_->metrics_port(), "GET", "/metrics", {}).body;
  }

  std::unique_ptr<GatewayProcess> gateway_;
};

// Writes `bytes` to `fd`, then reads what comes back until the peer closes
// or `wait_ms` pass without more data.
std::string Exchange(int fd, const std::string& bytes, int wait_ms = 1500) {
  if (!bytes.empty() && write(fd, bytes.data(), bytes.size()) !=
                            static_cast<ssize_t>(bytes.size())) {
    return "";
  }
  timeval tv{wait_ms / 1000, (wait_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string got;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    got.append(buf, n);
  }
  return got;
}

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

// Resumes a SIGSTOPped process even if the test fails half-way.
struct ContinueOnExit {
  pid_t pid;
  ~ContinueOnExit() { kill(pid, SIGCONT); }
};

TEST_F(GatewayEdgeTest, CallsActAsTheTokensSubject) {
  StartGateway();
  shop().Deposit("alice", 7000);
  shop().Deposit("bob", 100);
  const HttpResult r = Wallet(Token("alice"));
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(GrpcStatusOf(r), 0) << r.body;
  v1::Wallet wallet;
  ASSERT_TRUE(wallet.ParseFromString(GrpcWebMessage(r)));
  EXPECT_EQ(wallet.user_id(), "alice");
  EXPECT_EQ(wallet.balance().minor_units(), 7000);
  // No token, or a token of another key: refused before the mesh.
  EXPECT_EQ(GrpcStatusOf(Wallet("")), 16);
  EXPECT_EQ(GrpcStatusOf(Wallet(Token("alice") + "x")), 16);
  // A buyer may not deposit; an admin token may.
  v1::DepositRequest deposit;
  deposit.set_user_id("alice");
  deposit.mutable_amount()->set_minor_units(5);
  deposit.mutable_amount()->set_currency("EUR");
  deposit.set_request_id("gw-deposit-1");
  EXPECT_EQ(GrpcStatusOf(
                GrpcWebCall(gateway_->port(), "/turnstile.v1.Payment/Deposit",
                            deposit.SerializeAsString(), Token("alice"))),
            7);
  EXPECT_EQ(GrpcStatusOf(GrpcWebCall(
                gateway_->port(), "/turnstile.v1.Payment/Deposit",
                deposit.SerializeAsString(), Token("ops", /*admin=*/true))),
            0);
  EXPECT_EQ(shop().GetWallet("alice").balance().minor_units(), 7005);
}

TEST_F(GatewayEdgeTest, ConnectionBoundsRefuseEarlyAndRecover) {
  StartGateway({"--max_connections_per_ip=4"});
  // GatewayProcess::Start's readiness probe connection must be gone first,
  // or it still counts when the fourth arrives (which is then refused and
  // the fifth accepted).
  for (int i = 0; i < 100 && GatewayMetrics().find(
                                 "\nturnstile_gateway_open_connections 0") ==
                                 std::string::npos;
       ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(ConnectTcp(gateway_->port()));
    ASSERT_GE(held.back(), 0);
  }
  std::this_thread::sleep_for(milliseconds(200));
  // The fifth connection is answered 503 at once and closed.
  const int fifth = ConnectTcp(gateway_->port());
  ASSERT_GE(fifth, 0);
  timeval tv{2, 0};
  setsockopt(fifth, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[256] = {};
  const ssize_t n = read(fifth, buf, sizeof(buf) - 1);
  close(fifth);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buf, n).find("503"), std::string::npos);
  EXPECT_NE(GatewayMetrics().find("reason=\"max_connections_per_ip\""),
            std::string::npos);
  for (int fd : held) close(fd);
  std::this_thread::sleep_for(milliseconds(200));
  shop().Deposit("carol", 10);
  EXPECT_EQ(GrpcStatusOf(Wallet(Token("carol"))), 0);
}

TEST_F(GatewayEdgeTest, InflightBoundAndGracefulDrain) {
  StartGateway({"--max_inflight=1"});
  shop().Deposit("dave", 10);
  const std::string token = Token("dave");
  ASSERT_EQ(GrpcStatusOf(Wallet(token)), 0);  // the channel is up
  // The payment service frozen: a call to it waits in flight.
  ASSERT_EQ(kill(mesh().Pid("payment"), SIGSTOP), 0);
  ContinueOnExit resume{mesh().Pid("payment")};
  auto slow =
      std::async(std::launch::async, [&] { return Wallet(token, 15000); });
  std::this_thread::sleep_for(milliseconds(500));
  // The second call finds the bound reached: RESOURCE_EXHAUSTED at once.
  const auto start = std::chrono::steady_clock::now();
  const HttpResult refused = Wallet(token);
  EXPECT_EQ(GrpcStatusOf(refused), 8);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
  EXPECT_TRUE(refused.headers.count("grpc-status-details-bin"));
  // SIGTERM while the first call is in flight: the gateway waits for it.
  ASSERT_EQ(kill(gateway_->pid(), SIGTERM), 0);
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_EQ(kill(mesh().Pid("payment"), SIGCONT), 0);
  const HttpResult drained = slow.get();
  EXPECT_EQ(drained.status, 200);
  EXPECT_EQ(GrpcStatusOf(drained), 0);
  EXPECT_EQ(gateway_->Stop(), 0);
}

TEST_F(GatewayEdgeTest, KeepAliveHeadAndPipelining) {
  StartGateway();
  const int fd = ConnectTcp(gateway_->port());
  ASSERT_GE(fd, 0);
  // Two requests in one write: a HEAD answer has no body, so the GET's
  // answer that follows is read intact on the same connection.
  const std::string got =
      Exchange(fd,
               "HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /turnstile.v1.Order/PlaceOrder HTTP/1.1\r\nHost: x\r\n\r\n",
               800);
  close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 404", 0), 0u) << got;
  EXPECT_EQ(Count(got, "HTTP/1.1 "), 2) << got;
  EXPECT_NE(got.find("HTTP/1.1 405"), std::string::npos) << got;
  EXPECT_EQ(Count(got, "not found\n"), 0) << got;  // HEAD: no body
  EXPECT_EQ(Count(got, "gRPC-web calls are POST\n"), 1) << got;
}

TEST_F(GatewayEdgeTest, HugeBodiesAreRefusedWithAnAnswerNotAReset) {
  StartGateway();
  const int fd = ConnectTcp(gateway_->port());
  ASSERT_GE(fd, 0);
  // 100 MB announced, a little sent: refused at the header, answered as a
  // gRPC status, the rest drained (no reset), nothing allocated for it.
  const std::string got =
      Exchange(fd,
               "POST /turnstile.v1.Order/PlaceOrder HTTP/1.1\r\nHost: x\r\n"
               "content-type: application/grpc-web+proto\r\n"
               "content-length: 100000000\r\n\r\n" +
                   std::string(4096, 'x'));
  close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  EXPECT_NE(got.find("grpc-status: 8"), std::string::npos) << got;
  EXPECT_NE(
      GatewayMetrics().find("turnstile_gateway_requests_total{code=\"8\""),
      std::string::npos);
}

TEST_F(GatewayEdgeTest, SigtermWithIdleKeepAliveConnectionsExitsAtOnce) {
  StartGateway();
  shop().Deposit("fay", 10);
  const std::string token = Token("fay");
  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) {
    const int fd = ConnectTcp(gateway_->port());
    ASSERT_GE(fd, 0);
    const std::string got = Exchange(
        fd, "GET /turnstile.v1.Order/PlaceOrder HTTP/1.1\r\nHost: x\r\n\r\n",
        300);
    EXPECT_NE(got.find("405"), std::string::npos);
    idle.push_back(fd);  // kept open, idle, keep-alive
  }
  EXPECT_EQ(GrpcStatusOf(Wallet(token)), 0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(gateway_->Stop(), 0);
  // Nothing is being answered: no grace period to wait out (3 s here).
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
  for (int fd : idle) close(fd);
}

TEST_F(GatewayEdgeTest, RedisDownFailsOpenForReadsClosedForPlaceOrder) {
  shop().CreateSku("gw-tee", 10);
  StartGateway();
  mesh().redis().Stop();
  v1::GetSkuRequest get;
  get.set_sku_id("gw-tee");
  const HttpResult read =
      GrpcWebCall(gateway_->port(), "/turnstile.v1.Inventory/GetSku",
                  get.SerializeAsString(), "");
  EXPECT_EQ(GrpcStatusOf(read), 0) << read.body;
  v1::PlaceOrderRequest place;
  place.set_request_id("gw-redis-down-1");
  auto* line = place.add_lines();
  line->set_sku_id("gw-tee");
  line->set_quantity(1);
  place.set_pay_now(true);
  const HttpResult order =
      GrpcWebCall(gateway_->port(), "/turnstile.v1.Order/PlaceOrder",
                  place.SerializeAsString(), Token("erin"));
  EXPECT_EQ(GrpcStatusOf(order), 14);  // UNAVAILABLE
  EXPECT_TRUE(order.headers.count("grpc-status-details-bin"));
  const std::string metrics = GatewayMetrics();
  EXPECT_NE(metrics.find(
                "turnstile_gateway_ratelimit_fallback_total{mode=\"closed\"}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(
      metrics.find("turnstile_gateway_ratelimit_fallback_total{mode=\"open\"}"),
      std::string::npos);
  // Nothing was ordered.
  EXPECT_EQ(mesh().Query("order", "SELECT count(*) FROM orders"), "0");
  mesh().redis().StartAgain();
}

}  // namespace
}  // namespace turnstile::testing
