#include "tests/support/service_harness.h"

#include <cstdlib>

#include "services/common/status.h"
#include "tests/support/mesh.h"
#include "tests/support/mesh_test.h"
#include "tests/support/shop.h"
#include "tests/support/test_pki.h"

namespace turnstile::testing {

Outcome OutcomeOf(const grpc::Status& status) {
  return {status.error_code(), ReasonOf(FromGrpc(status)),
          status.error_message()};
}

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "code=" << o.code << " reason=" << o.reason
            << " message=" << o.message;
}

ServiceHarness::ServiceHarness(std::string service, std::string db_prefix,
                               int log_tail_lines)
    : service_(service),
      default_branch_(std::move(service)),
      db_prefix_(std::move(db_prefix)),
      log_tail_lines_(log_tail_lines) {}

void ServiceHarness::SetUp() {
  static int counter = 0;
  db_ = db_prefix_ + "_" + std::to_string(++counter);
  SharedPg().CreateDatabase(db_, service_);
  SharedRedis().FlushAll();
}

void ServiceHarness::TearDown() {
  if (HasFailure()) DumpOnFailure();
  Stop();
}

void ServiceHarness::DumpOnFailure() {
  std::system(
      ("tail -n " + std::to_string(log_tail_lines_) + " " + LogPath() + " >&2")
          .c_str());
}

void ServiceHarness::Launch(const std::vector<std::string>& args,
                            int max_receive_bytes) {
  address_ = "127.0.0.1:" + std::to_string(FreePort());
  // Both services of this harness (inventory, seat) use Redis: the password
  // file goes with every start, --redis with the test's own flags.
  std::vector<std::string> all = SharedPg().ServiceFlags(db_, service_);
  all.push_back("--listen=" + address_);
  all.push_back("--redis_password_file=" + SharedRedis().password_file());
  for (auto& flag : TlsFlags()) all.push_back(flag);
  all.insert(all.end(), args.begin(), args.end());
  process_.Start(Binary("turnstile-" + service_), all, LogPath());
  // Short reconnect backoff: the first attempt may come before the port
  // is open.
  max_receive_bytes_ = max_receive_bytes;
  channels_.clear();
  channel_ = Channel("turnstilectl");
  const auto until =
      std::chrono::system_clock::now() + std::chrono::seconds(30);
  while (!channel_->WaitForConnected(std::chrono::system_clock::now() +
                                     std::chrono::milliseconds(100))) {
    ASSERT_FALSE(process_.Exited()) << "turnstile-" << service_ << " exited";
    ASSERT_LT(std::chrono::system_clock::now(), until) << "no start";
  }
  participant_ = v1::Participant::NewStub(Channel("coordinator"));
  Connected();
}

int ServiceHarness::Stop() {
  Disconnected();
  participant_.reset();
  channel_.reset();
  channels_.clear();
  return process_.running() ? process_.Terminate(5000) : 0;
}

Outcome ServiceHarness::Confirm(const std::string& gid, bool* applied,
                                std::optional<std::string> branch) {
  v1::ConfirmRequest request;
  request.mutable_txn()->set_gid(gid);
  request.mutable_txn()->set_branch_id(branch.value_or(default_branch_));
  v1::ConfirmResponse response;
  auto status = participant_->Confirm(Ctx().get(), request, &response);
  if (applied) *applied = response.applied();
  return OutcomeOf(status);
}

Outcome ServiceHarness::Cancel(const std::string& gid, bool* applied,
                               std::optional<std::string> branch) {
  v1::CancelRequest request;
  request.mutable_txn()->set_gid(gid);
  request.mutable_txn()->set_branch_id(branch.value_or(default_branch_));
  request.set_reason(cancel_reason_);
  v1::CancelResponse response;
  auto status = participant_->Cancel(Ctx().get(), request, &response);
  if (applied) *applied = response.applied();
  return OutcomeOf(status);
}

std::shared_ptr<grpc::Channel> ServiceHarness::Channel(
    const std::string& identity) {
  auto& channel = channels_[identity];
  if (!channel) {
    channel = TestChannel(address_, service_, identity, max_receive_bytes_);
  }
  return channel;
}

std::string ServiceHarness::LogPath() const {
  return SharedPg().dir() + "/" + db_ + ".log";
}

std::string ServiceHarness::RedisFlag() {
  return "--redis=127.0.0.1:" + std::to_string(SharedRedis().port());
}

std::unique_ptr<grpc::ClientContext> ServiceHarness::Ctx(int seconds) const {
  return testing::Ctx(1000 * (seconds > 0 ? seconds : rpc_deadline_s_));
}

std::string ServiceHarness::Query(const std::string& sql) const {
  return SharedPg().Query(db_, sql);
}

int64_t ServiceHarness::Count(const std::string& sql) const {
  return std::stoll(Query(sql));
}

std::string ServiceHarness::Barrier(const std::string& gid) const {
  return Query(
      "SELECT string_agg(phase, ',' ORDER BY phase) FROM tcc_barrier "
      "WHERE gid = '" +
      gid + "'");
}

}  // namespace turnstile::testing
