// A real database failure behind a running service (the payment service as
// a real process): its wallet table is renamed away while it serves, and the
// client must get INTERNAL with a generic message and a correlation id --
// no table name, no "ERROR:", no "relation", no SQL state -- in the standard
// google.rpc.Status details, while the service's log holds the database's
// text under the same id. Renamed back, the service serves again.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/caller.h"
#include "tests/support/child_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_process.h"
#include "tests/support/shop.h"
#include "tests/support/test_pki.h"
#include "turnstile/v1/payment.grpc.pb.h"

namespace turnstile {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;
using testing::ChildProcess;
using testing::Ctx;
using testing::SharedPg;

class InternalErrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabaseName("interr");
    SharedPg().CreateDatabase(db_, "payment");
    const std::string addr = "127.0.0.1:" + std::to_string(testing::FreePort());
    proc_.Start(testing::Binary("turnstile-payment"),
                {"--listen=" + addr, "--pg=" + SharedPg().Conninfo(db_),
                 "--metrics_listen=", "--pg_pool_size=2",
                 "--tls_dir=" + testing::TestPkiDir()},
                log_path());
    channel_ = testing::TestChannel(addr, "payment", "turnstilectl");
    const auto until = system_clock::now() + std::chrono::seconds(30);
    while (
        !channel_->WaitForConnected(system_clock::now() + milliseconds(100))) {
      ASSERT_FALSE(proc_.Exited()) << "payment exited; see " << log_path();
      ASSERT_LT(system_clock::now(), until) << "payment not serving";
    }
    payment_ = v1::Payment::NewStub(channel_);
    buyer_ =
        v1::Payment::NewStub(testing::TestChannel(addr, "payment", "loadgen"));
  }

  void TearDown() override {
    payment_.reset();
    buyer_.reset();
    channel_.reset();
    if (proc_.running()) EXPECT_EQ(proc_.Terminate(10000), 0);
  }

  std::string log_path() const { return SharedPg().dir() + "/" + db_ + ".log"; }
  std::string Log() const {
    std::ifstream in(log_path());
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
  }

  grpc::Status GetWallet(const std::string& user, v1::Wallet* out) {
    v1::GetWalletRequest req;
    req.set_currency("EUR");
    auto ctx = Ctx();
    ActAs(*ctx, user);
    return buyer_->GetWallet(ctx.get(), req, out);
  }

  std::string db_;
  ChildProcess proc_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Payment::Stub> payment_;  // as turnstilectl
  std::unique_ptr<v1::Payment::Stub> buyer_;    // as loadgen
};

TEST_F(InternalErrorTest, DatabaseFailureReachesTheClientAsAnIdOnly) {
  v1::DepositRequest deposit;
  deposit.set_user_id("alice");
  deposit.mutable_amount()->set_currency("EUR");
  deposit.mutable_amount()->set_minor_units(500);
  deposit.set_request_id("dep-1");
  v1::Wallet wallet;
  ASSERT_TRUE(payment_->Deposit(Ctx().get(), deposit, &wallet).ok());
  ASSERT_TRUE(GetWallet("alice", &wallet).ok());

  // The fault: the service's table disappears under it (its prepared
  // statements are re-planned by name and fail).
  SharedPg().Query(db_, "ALTER TABLE wallet RENAME TO wallet_moved_away");
  const grpc::Status s = GetWallet("alice", &wallet);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
  const std::string message = s.error_message();
  for (const char* leak : {"wallet", "ERROR", "relation", "42P01", "exist",
                           "SELECT", "LINE", "postgres", "127.0.0.1"}) {
    EXPECT_EQ(message.find(leak), std::string::npos)
        << "'" << leak << "' in " << message;
  }
  std::smatch m;
  const std::regex ref_re("\\(ref ([0-9a-f]{16})\\)$");
  ASSERT_TRUE(std::regex_search(message, m, ref_re)) << message;
  const std::string ref = m[1].str();

  // The standard details, decoded the generic way.
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  EXPECT_EQ(details.message(), message);
  std::string reason, domain, request_id;
  for (const auto& any : details.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::RequestInfo request;
    if (any.UnpackTo(&info)) {
      reason = info.reason();
      domain = info.domain();
    } else if (any.UnpackTo(&request)) {
      request_id = request.request_id();
    }
  }
  EXPECT_EQ(reason, "DB_ERROR");
  EXPECT_EQ(domain, "payment.turnstile");
  EXPECT_EQ(request_id, ref);

  // The log has the details under the same id (stderr is unbuffered, but
  // allow the write a moment).
  std::string line;
  for (int i = 0; i < 50 && line.empty(); ++i) {
    std::istringstream log(Log());
    for (std::string l; std::getline(log, l);) {
      if (l.find("ref=" + ref) != std::string::npos) line = l;
    }
    if (line.empty()) std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_FALSE(line.empty()) << "no log line with ref=" << ref;
  EXPECT_NE(line.find("event=concealed_error"), std::string::npos) << line;
  EXPECT_NE(line.find("42P01"), std::string::npos) << line;
  EXPECT_NE(line.find("wallet"), std::string::npos) << line;
  EXPECT_NE(line.find("does not exist"), std::string::npos) << line;

  // Each failure gets its own id.
  const grpc::Status again = GetWallet("alice", &wallet);
  ASSERT_EQ(again.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(again.error_message().find(ref), std::string::npos);

  // Repaired, the same service answers again.
  SharedPg().Query(db_, "ALTER TABLE wallet_moved_away RENAME TO wallet");
  const grpc::Status healed = GetWallet("alice", &wallet);
  ASSERT_TRUE(healed.ok()) << healed.error_message();
  EXPECT_EQ(wallet.balance().minor_units(), 500);
}

}  // namespace
}  // namespace turnstile
