// Certificates over real processes (DESIGN.md §8): missing, expired, foreign
// and misnamed certificates are refused; a server's and a client's
// certificate files are re-read when they change, without a restart (as a
// Kubernetes secret rotation swaps them); the plaintext health port answers
// without a certificate and serves nothing but health.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "services/common/uuid.h"
#include "tests/support/child_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/raw_call.h"
#include "tests/support/service_process.h"
#include "tests/support/shop.h"
#include "tests/support/test_pki.h"
#include "turnstile/v1/payment.grpc.pb.h"

namespace turnstile::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// A directory with the test CA (copied) in which a test issues its own
// certificates for one process.
std::string PrivatePki(const std::string& name) {
  const std::string dir = TestPkiDir() + "/" + name;
  std::filesystem::create_directories(dir);
  for (const char* f : {"ca.pem", "ca-key.pem"}) {
    std::filesystem::copy_file(
        TestPkiDir() + "/" + f, dir + "/" + f,
        std::filesystem::copy_options::overwrite_existing);
  }
  return dir;
}

void Pki(const std::string& dir, const std::string& args) {
  const std::string cmd = std::string("bash ") + TURNSTILE_SOURCE_DIR +
                          "/scripts/pki.sh " + dir + " " + args + " >&2";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

grpc::Status Deposit(const std::shared_ptr<grpc::Channel>& channel,
                     const std::string& request_id) {
  v1::DepositRequest req;
  req.set_user_id("alice");
  req.mutable_amount()->set_currency("EUR");
  req.mutable_amount()->set_minor_units(100);
  req.set_request_id(request_id);
  v1::Wallet wallet;
  return v1::Payment::NewStub(channel)->Deposit(Ctx(3000).get(), req, &wallet);
}

bool WaitForPort(int port, ChildProcess& proc) {
  const auto until = Clock::now() + seconds(30);
  while (Clock::now() < until && !proc.Exited()) {
    const std::string cmd = "bash -c 'exec 3<>/dev/tcp/127.0.0.1/" +
                            std::to_string(port) + "' 2>/dev/null";
    if (std::system(cmd.c_str()) == 0) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

class TlsCertificatesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = TestDatabaseName("tls");
    SharedPg().CreateDatabase(db_, "payment");
  }
  std::string Log() const { return SharedPg().dir() + "/" + db_ + ".log"; }
  std::string Q(const std::string& sql) { return SharedPg().Query(db_, sql); }
  std::string db_;
};

TEST_F(TlsCertificatesTest, ClientsWithoutAValidCertificateAreRefused) {
  TestPki({"--expired", "old"});
  TestPki({"--other-ca", "evil"});
  TestPki({"mallory"});
  ServiceProcess payment("payment", Log());
  ASSERT_TRUE(payment.Start({"--pg=" + SharedPg().Conninfo(db_)}));
  const std::string addr = payment.address();
  const std::string before = Q("SELECT count(*) FROM ledger_entry");
  auto expect = [&](const std::string& what, grpc::StatusCode code,
                    const std::shared_ptr<grpc::Channel>& channel) {
    const auto s = Deposit(channel, "r-" + what);
    EXPECT_EQ(s.error_code(), code) << what << ": " << s.error_message();
  };
  // No certificate: the call is refused before any handler.
  expect("none", grpc::StatusCode::UNAUTHENTICATED,
         TestChannel(addr, "payment", ""));
  // Expired, or from another CA: the handshake fails, no call is made.
  expect("expired", grpc::StatusCode::UNAVAILABLE,
         TestChannel(addr, "payment", "old"));
  expect("other CA", grpc::StatusCode::UNAVAILABLE,
         TestChannel(addr, "payment", "evil"));
  // Our CA, but a name the table does not know.
  expect("unknown name", grpc::StatusCode::PERMISSION_DENIED,
         TestChannel(addr, "payment", "mallory"));
  // The server must be who the client expects: payment is not inventory.
  expect("wrong server name", grpc::StatusCode::UNAVAILABLE,
         TestChannel(addr, "inventory", "turnstilectl"));
  // Plaintext to the TLS port.
  expect("plaintext", grpc::StatusCode::UNAVAILABLE,
         grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
  EXPECT_EQ(Q("SELECT count(*) FROM ledger_entry"), before);
  // And the right certificate works.
  expect("operator", grpc::StatusCode::OK,
         TestChannel(addr, "payment", "turnstilectl"));
}

TEST_F(TlsCertificatesTest, AServerWithoutItsFilesDoesNotStart) {
  for (const std::vector<std::string>& tls :
       {std::vector<std::string>{"--tls_dir=/nonexistent"},
        std::vector<std::string>{"--tls_dir="}}) {
    ChildProcess proc;
    std::vector<std::string> args = {
        "--listen=127.0.0.1:" + std::to_string(FreePort()),
        "--metrics_listen=", "--pg=" + SharedPg().Conninfo(db_)};
    args.insert(args.end(), tls.begin(), tls.end());
    proc.Start(Binary("turnstile-payment"), args, Log());
    const auto until = Clock::now() + seconds(10);
    while (!proc.Exited() && Clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(50));
    }
    EXPECT_TRUE(proc.Exited()) << tls[0] << " started without certificates";
    if (!proc.Exited()) proc.Kill();
  }
  EXPECT_NE(ReadFile(Log()).find("tls_config_error"), std::string::npos);
}

TEST_F(TlsCertificatesTest, HealthPortServesHealthAloneWithoutACertificate) {
  const int health = FreePort();
  ServiceProcess payment("payment", Log());
  ASSERT_TRUE(
      payment.Start({"--pg=" + SharedPg().Conninfo(db_),
                     "--health_listen=127.0.0.1:" + std::to_string(health)}));
  auto plain = grpc::CreateChannel("127.0.0.1:" + std::to_string(health),
                                   grpc::InsecureChannelCredentials());
  auto call = [&](const std::string& method, std::string* response) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + seconds(5));
    // An empty request: every field at its default.
    return RawUnaryCall(plain, method, std::string(), &ctx, response);
  };
  std::string resp;
  auto s = call("/grpc.health.v1.Health/Check", &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp, std::string("\x08\x01", 2));  // status: SERVING
  for (const char* method :
       {"/turnstile.v1.Payment/Deposit", "/turnstile.v1.Payment/GetWallet",
        "/turnstile.v1.Participant/Confirm",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"}) {
    EXPECT_EQ(call(method, nullptr).error_code(),
              grpc::StatusCode::UNIMPLEMENTED)
        << method;
  }
}

// GET /metrics of a local process, the body's line for `series` ("" if
// none).
std::string MetricLine(int port, const std::string& series,
                       const std::string& scratch) {
  const std::string cmd =
      "python3 -c \"import urllib.request;print(urllib.request.urlopen("
      "'http://127.0.0.1:" +
      std::to_string(port) + "/metrics').read().decode())\" > " + scratch +
      " 2>/dev/null";
  if (std::system(cmd.c_str()) != 0) return "";
  const std::string text = ReadFile(scratch);
  const size_t at = text.find("\n" + series);
  if (at == std::string::npos) return "";
  return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

// The value of a "name{labels} value" line.
double LineValue(const std::string& line) {
  return line.empty() ? -1 : std::stod(line.substr(line.rfind(' ') + 1));
}

TEST_F(TlsCertificatesTest, ServerCertificateRotationNeedsNoRestart) {
  const std::string dir = PrivatePki("server-rotation");
  Pki(dir, "--expired payment");
  const int port = FreePort();
  const int metrics = FreePort();
  ChildProcess proc;
  proc.Start(Binary("turnstile-payment"),
             {"--listen=127.0.0.1:" + std::to_string(port),
              "--metrics_listen=127.0.0.1:" + std::to_string(metrics),
              "--pg=" + SharedPg().Conninfo(db_), "--tls_dir=" + dir,
              "--tls_refresh_s=1"},
             Log());
  ASSERT_TRUE(WaitForPort(port, proc));
  const std::string addr = "127.0.0.1:" + std::to_string(port);
  // The expiry gauge shows the expired certificate's notAfter.
  const std::string series =
      "turnstile_tls_certificate_expiry_timestamp_seconds{identity="
      "\"payment\"}";
  const std::string scratch = Log() + ".metrics";
  const double now_s = std::chrono::duration<double>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  const double expired = LineValue(MetricLine(metrics, series, scratch));
  EXPECT_GT(expired, 0) << "no " << series;
  EXPECT_LT(expired, now_s);
  // Clients refuse the expired server certificate.
  EXPECT_EQ(
      Deposit(TestChannel(addr, "payment", "turnstilectl"), "a").error_code(),
      grpc::StatusCode::UNAVAILABLE);
  Pki(dir, "--renew payment");
  const auto until = Clock::now() + seconds(15);
  grpc::Status s;
  int attempt = 0;
  do {
    std::this_thread::sleep_for(milliseconds(200));
    s = Deposit(TestChannel(addr, "payment", "turnstilectl"),
                "b" + std::to_string(++attempt));
  } while (!s.ok() && Clock::now() < until);
  EXPECT_TRUE(s.ok()) << s.error_message();
  // And the gauge follows the rotation (825 days ahead now).
  double renewed = expired;
  while (renewed < now_s && Clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(200));
    renewed = LineValue(MetricLine(metrics, series, scratch));
  }
  EXPECT_GT(renewed, now_s + 800.0 * 86400);
  EXPECT_FALSE(proc.Exited()) << "the same process, no restart";
  proc.Terminate(5000);
}

TEST_F(TlsCertificatesTest, ClientCertificateRotationNeedsNoRestart) {
  // A real payment service, and a coordinator whose own certificate has
  // expired: its Cancel deliveries fail in the handshake until the files are
  // renewed, then go through without a restart.
  const std::string payment_db = db_ + "_p";
  SharedPg().CreateDatabase(payment_db, "payment");
  ServiceProcess payment("payment", Log() + ".payment");
  ASSERT_TRUE(payment.Start({"--pg=" + SharedPg().Conninfo(payment_db)}));
  const std::string dir = PrivatePki("client-rotation");
  Pki(dir, "--expired coordinator");
  ChildProcess coordinator;
  const int port = FreePort();
  coordinator.Start(Binary("turnstile-coordinator"),
                    {"--listen=127.0.0.1:" + std::to_string(port),
                     "--metrics_listen=", "--pg=" + SharedPg().Conninfo(db_),
                     "--tls_dir=" + dir, "--tls_refresh_s=1",
                     "--participants=payment=" + payment.address(),
                     "--poll_interval_ms=100", "--backoff_initial_ms=50",
                     "--backoff_max_ms=300", "--rpc_timeout_ms=1000"},
                    Log());
  ASSERT_TRUE(WaitForPort(port, coordinator));
  // Work the recovery loop will pick up: a cancelled transaction whose
  // payment branch still needs its Cancel (an empty rollback at payment).
  const std::string gid = NewUuidV7();
  Q("INSERT INTO global_txn (gid, request_id, state, deadline, cancel_reason, "
    "next_attempt_at) VALUES ('" +
    gid + "', 'rot', 'CANCELLING', now(), 2, now())");
  Q("INSERT INTO branch (gid, branch_id, participant) VALUES ('" + gid +
    "', 'payment', 'payment') RETURNING 1");
  auto branch = [&] {
    return Q(
        "SELECT state || '/' || (attempts > 0)::text FROM branch WHERE "
        "gid = '" +
        gid + "'");
  };
  const auto tried_until = Clock::now() + seconds(15);
  while (branch() != "REGISTERED/true" && Clock::now() < tried_until) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_EQ(branch(), "REGISTERED/true") << "deliveries should be failing";
  EXPECT_EQ(SharedPg().Query(payment_db, "SELECT count(*) FROM tcc_barrier"),
            "0");
  Pki(dir, "--renew coordinator");
  const auto done_until = Clock::now() + seconds(20);
  while (branch().rfind("CANCELLED", 0) != 0 && Clock::now() < done_until) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(branch().substr(0, 9), "CANCELLED");
  EXPECT_EQ(SharedPg().Query(payment_db,
                             "SELECT count(*) FROM tcc_barrier WHERE gid = '" +
                                 gid + "' AND phase = 'cancel'"),
            "1");
  EXPECT_FALSE(coordinator.Exited()) << "the same process, no restart";
  coordinator.Terminate(5000);
}

TEST_F(TlsCertificatesTest, AMeshClientRefusesAServerWithAnotherName) {
  // The coordinator's channel to "payment" reaches a process that presents
  // the inventory certificate: the handshake fails and no Cancel is ever
  // delivered there (an empty rollback would write barrier rows).
  const std::string payment_db = db_ + "_p";
  SharedPg().CreateDatabase(payment_db, "payment");
  // Started plainly: ServiceProcess would probe for the name "payment".
  ChildProcess proc;
  const int impostor_port = FreePort();
  proc.Start(Binary("turnstile-payment"),
             {"--listen=127.0.0.1:" + std::to_string(impostor_port),
              "--metrics_listen=", "--pg=" + SharedPg().Conninfo(payment_db),
              "--tls_dir=" + TestPkiDir(), "--tls_identity=inventory"},
             Log() + ".impostor");
  ASSERT_TRUE(WaitForPort(impostor_port, proc));
  ChildProcess coordinator;
  const int port = FreePort();
  coordinator.Start(
      Binary("turnstile-coordinator"),
      {"--listen=127.0.0.1:" + std::to_string(port), "--metrics_listen=",
       "--pg=" + SharedPg().Conninfo(db_), "--tls_dir=" + TestPkiDir(),
       "--participants=payment=127.0.0.1:" + std::to_string(impostor_port),
       "--poll_interval_ms=100", "--backoff_initial_ms=50",
       "--backoff_max_ms=200", "--rpc_timeout_ms=1000"},
      Log());
  ASSERT_TRUE(WaitForPort(port, coordinator));
  const std::string gid = NewUuidV7();
  Q("INSERT INTO global_txn (gid, request_id, state, deadline, cancel_reason, "
    "next_attempt_at) VALUES ('" +
    gid + "', 'name', 'CANCELLING', now(), 2, now())");
  Q("INSERT INTO branch (gid, branch_id, participant) VALUES ('" + gid +
    "', 'payment', 'payment') RETURNING 1");
  const auto until = Clock::now() + seconds(15);
  while (Q("SELECT attempts >= 3 FROM branch WHERE gid = '" + gid + "'") !=
             "t" &&
         Clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(Q("SELECT state || '/' || (attempts >= 3)::text FROM branch WHERE "
              "gid = '" +
              gid + "'"),
            "REGISTERED/true");
  EXPECT_EQ(SharedPg().Query(payment_db, "SELECT count(*) FROM tcc_barrier"),
            "0");
  coordinator.Terminate(5000);
  proc.Terminate(5000);
}

TEST_F(TlsCertificatesTest, MadeUpMethodsAreDeniedWithoutGrowingTheMetrics) {
  const int metrics = FreePort();
  ServiceProcess payment("payment", Log());
  ASSERT_TRUE(
      payment.Start({"--pg=" + SharedPg().Conninfo(db_),
                     "--metrics_listen=127.0.0.1:" + std::to_string(metrics)}));
  auto channel = TestChannel(payment.address(), "payment", "turnstilectl");
  for (int i = 0; i < 30; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + seconds(5));
    const auto s = RawUnaryCall(channel, "/evil.Scan/M" + std::to_string(i),
                                std::string(), &ctx);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << i;
  }
  const std::string out = Log() + ".metrics";
  ASSERT_EQ(std::system(("python3 -c \"import urllib.request;print(urllib."
                         "request.urlopen('http://127.0.0.1:" +
                         std::to_string(metrics) +
                         "/metrics').read()."
                         "decode())\" > " +
                         out)
                            .c_str()),
            0);
  const std::string text = ReadFile(out);
  EXPECT_EQ(text.find("evil.Scan"), std::string::npos);
  EXPECT_NE(
      text.find(
          "turnstile_authz_denied_total{code=\"7\",method=\"unknown\"} 30"),
      std::string::npos)
      << text.substr(0, 2000);
}

}  // namespace
}  // namespace turnstile::testing
