// One order, one trace through the logs (issue 9, item 5): a mesh and the
// gateway, every process at --log_level=debug --log_format=json, one pay_now
// order of a SKU and a seat placed through the gateway with gRPC-web. Every
// line of every log must be a JSON object; each of the six processes the
// order goes through logs the order's trace id (booking, with no branch in
// it, logs nothing with its gid); every line naming the order's gid carries
// that trace id; turnstilectl txn get prints it. Without a client traceparent
// the gateway starts the trace and returns it in x-turnstile-trace-id; and a
// coordinator killed between its decision and the first Confirm delivers
// after its restart in the same trace (recovery reads it from the log).
#include <gtest/gtest.h>
#include <stdio.h>

#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "tests/support/gateway_process.h"
#include "tests/support/http_client.h"
#include "tests/support/mesh_test.h"
#include "tests/support/test_pki.h"
#include "turnstile/v1/order.pb.h"

namespace turnstile::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kTraceId[] = "0af7651916cd43dd8448eb211c80319c";
constexpr char kTraceparent[] =
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const std::vector<std::string> kJsonDebug = {"--log_level=debug",
                                             "--log_format=json"};

// Every line of a log as JSON; a line that does not parse fails the test
// (and is kept as a "_unparsed" object so that the caller can go on).
std::vector<nlohmann::json> ReadJsonLog(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(parsed.is_discarded()) << path << ": " << line;
    EXPECT_TRUE(parsed.is_discarded() || parsed.is_object())
        << path << ": " << line;
    if (parsed.is_discarded() || !parsed.is_object()) {
      parsed = nlohmann::json{{"_unparsed", line}};
    }
    lines.push_back(std::move(parsed));
  }
  EXPECT_FALSE(lines.empty()) << path;
  return lines;
}

std::string Field(const nlohmann::json& line, const char* key) {
  auto it = line.find(key);
  return it != line.end() && it->is_string() ? it->get<std::string>() : "";
}

// Runs `command`, returns its standard output.
std::string Output(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  pclose(pipe);
  return out;
}

class TraceLogsTest : public MeshTest {
 protected:
  void Configure(Mesh& mesh) override {
    for (const auto& service : Mesh::Services()) {
      std::vector<std::string> args = kJsonDebug;
      if (service == "coordinator") {
        // Recovery within the test's time bound.
        args.push_back("--backoff_initial_ms=50");
        args.push_back("--backoff_max_ms=500");
      }
      mesh.SetArgs(service, args);
    }
  }

  void SetUp() override {
    MeshTest::SetUp();
    gateway_ = std::make_unique<GatewayProcess>(mesh());
    // No rate limits (an empty spec): orders are placed back to back.
    std::vector<std::string> args = kJsonDebug;
    args.push_back("--rate_limits=");
    ASSERT_TRUE(gateway_->Start(args));
    shop().CreateSku("tee", 10, 0, 1000);
    shop().CreateEvent("gig", 1, 4, 2000);
    shop().Deposit("tia", 100000);
  }

  void TearDown() override {
    if (HasFailure() && gateway_) gateway_->DumpLog(20);
    gateway_.reset();
    MeshTest::TearDown();
  }

  std::string Token(const std::string& user) {
    std::string token = gateway_->Token(user);
    EXPECT_FALSE(token.empty());
    return token;
  }

  // PlaceOrder{pay_now} of one tee and seat `seat` through the gateway,
  // with `traceparent` ("" = none).
  HttpResult PlaceThroughGateway(const std::string& request_id,
                                 const std::string& seat,
                                 const std::string& traceparent,
                                 int timeout_ms = 20000) {
    v1::PlaceOrderRequest req;
    req.set_request_id(request_id);
    req.set_pay_now(true);
    auto* line = req.add_lines();
    line->set_sku_id("tee");
    line->set_quantity(1);
    line = req.add_lines();
    line->set_event_id("gig");
    line->add_seat_ids(seat);
    std::vector<std::pair<std::string, std::string>> headers = {
        {"grpc-timeout", absl::StrCat(timeout_ms, "m")}};
    if (!traceparent.empty()) headers.emplace_back("traceparent", traceparent);
    return GrpcWebCall(gateway_->port(), "/turnstile.v1.Order/PlaceOrder",
                       req.SerializeAsString(), Token("tia"), timeout_ms + 5000,
                       headers);
  }

  // The seven logs by process.
  std::map<std::string, std::vector<nlohmann::json>> Logs() {
    std::map<std::string, std::vector<nlohmann::json>> logs;
    for (const auto& service : Mesh::Services()) {
      logs[service] = ReadJsonLog(mesh().LogPath(service));
    }
    logs["gateway"] = ReadJsonLog(gateway_->log_path());
    return logs;
  }

  // Each process the order goes through has a line in `trace_id`, and every
  // line of any process naming `gid` carries `trace_id`. The orders here have
  // a stock and a seat line: booking takes no part in them.
  void ExpectOneTrace(const std::string& gid, const std::string& trace_id) {
    // The last lines (txn_finished) follow the answer by a moment.
    ASSERT_TRUE(shop().WaitTxn(gid, v1::TXN_STATE_CONFIRMED, seconds(10)));
    std::this_thread::sleep_for(milliseconds(300));
    for (const auto& [process, lines] : Logs()) {
      int in_trace = 0, with_gid = 0;
      std::set<std::string> events;
      for (const auto& line : lines) {
        const bool mine = Field(line, "trace_id") == trace_id;
        if (mine) {
          ++in_trace;
          events.insert(Field(line, "event"));
        }
        if (Field(line, "gid") == gid) {
          ++with_gid;
          EXPECT_TRUE(mine) << process << " line with the gid in another "
                            << "trace: " << line.dump();
        }
        EXPECT_FALSE(Field(line, "ts").empty()) << line.dump();
        EXPECT_FALSE(Field(line, "level").empty()) << line.dump();
        EXPECT_FALSE(Field(line, "svc").empty()) << line.dump();
      }
      if (process == "booking") {
        EXPECT_EQ(with_gid, 0) << "booking has no branch of " << gid;
        continue;
      }
      EXPECT_GT(in_trace, 0) << process << " logged nothing in the trace";
      if (process != "gateway") {
        EXPECT_GT(with_gid, 0) << process << " logged nothing with the gid";
      }
      std::printf("%s: %d lines in the trace (%s)\n", process.c_str(), in_trace,
                  absl::StrJoin(events, ",").c_str());
    }
  }

  // turnstilectl txn get <gid>, as an operator runs it.
  std::string CtlTxnGet(const std::string& gid) {
    std::string cmd = Binary("turnstilectl");
    for (const auto& flag : TlsFlags()) absl::StrAppend(&cmd, " '", flag, "'");
    absl::StrAppend(&cmd, " --coordinator=", mesh().Address("coordinator"),
                    " txn get ", gid, " 2>&1");
    return Output(cmd);
  }

  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(TraceLogsTest, OneOrderIsOneTraceInEveryProcess) {
  const HttpResult r = PlaceThroughGateway("trace-1", "A-1-1", kTraceparent);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(GrpcStatusOf(r), 0) << r.body;
  // The gateway joined the caller's trace and says so.
  ASSERT_TRUE(r.headers.count("x-turnstile-trace-id"));
  EXPECT_EQ(r.headers.at("x-turnstile-trace-id"), kTraceId);
  v1::PlaceOrderResponse placed;
  ASSERT_TRUE(placed.ParseFromString(GrpcWebMessage(r)));
  ASSERT_EQ(placed.order().state(), v1::ORDER_STATE_PAID);
  const std::string gid = placed.order().order_id();

  ExpectOneTrace(gid, kTraceId);
  EXPECT_EQ(shop().GetTxn(gid).trace_id(), kTraceId);
  EXPECT_EQ(
      mesh().Query("coordinator",
                   "SELECT trace_id FROM global_txn WHERE gid = '" + gid + "'"),
      kTraceId);
  const std::string ctl = CtlTxnGet(gid);
  EXPECT_NE(ctl.find(gid), std::string::npos) << ctl;
  EXPECT_NE(ctl.find(std::string("trace_id=") + kTraceId), std::string::npos)
      << ctl;
}

TEST_F(TraceLogsTest, WithoutTraceparentTheGatewayStartsTheTrace) {
  // A malformed header counts as none: a new trace, never an error.
  for (const std::string& sent :
       {std::string(""), std::string("00-not-a-trace-01"),
        std::string(kTraceparent).replace(3, 32, std::string(32, '0'))}) {
    SCOPED_TRACE(sent);
    const HttpResult r =
        PlaceThroughGateway("trace-new-" + std::to_string(sent.size()),
                            sent.empty()       ? "A-1-2"
                            : sent.size() < 30 ? "A-1-3"
                                               : "A-1-4",
                            sent);
    ASSERT_EQ(GrpcStatusOf(r), 0) << r.body;
    ASSERT_TRUE(r.headers.count("x-turnstile-trace-id"));
    const std::string trace_id = r.headers.at("x-turnstile-trace-id");
    EXPECT_EQ(trace_id.size(), 32u);
    EXPECT_NE(trace_id, kTraceId);
    EXPECT_NE(trace_id, std::string(32, '0'));
    v1::PlaceOrderResponse placed;
    ASSERT_TRUE(placed.ParseFromString(GrpcWebMessage(r)));
    const std::string gid = placed.order().order_id();
    ExpectOneTrace(gid, trace_id);
    EXPECT_EQ(shop().GetTxn(gid).trace_id(), trace_id);
  }
  // Refusals at the edge name their trace too.
  const HttpResult unrouted =
      HttpCall(gateway_->port(), "POST", "/turnstile.v1.Coordinator/Begin",
               {{"content-type", "application/grpc-web+proto"},
                {"traceparent", kTraceparent}},
               std::string(5, '\0'));
  EXPECT_EQ(GrpcStatusOf(unrouted), 12);
  ASSERT_TRUE(unrouted.headers.count("x-turnstile-trace-id"));
  EXPECT_EQ(unrouted.headers.at("x-turnstile-trace-id"), kTraceId);
}

TEST_F(TraceLogsTest, ConfirmAfterACoordinatorRestartKeepsTheTrace) {
  // The coordinator waits after its decision: killed in that window, its
  // successor's recovery delivers the Confirms.
  mesh().Stop("coordinator");
  mesh().Start("coordinator", {"--test_pause_after_decision_ms=30000"});
  auto placed = std::async(std::launch::async, [&] {
    return PlaceThroughGateway("trace-restart", "A-1-1", kTraceparent, 8000);
  });
  std::string gid;
  for (int i = 0; i < 750 && gid.empty(); ++i) {
    gid = mesh().Query("coordinator",
                       "SELECT gid::text FROM global_txn "
                       "WHERE state = 'CONFIRMING' LIMIT 1");
    if (gid.empty()) std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_FALSE(gid.empty()) << "no commit decision was logged";
  EXPECT_EQ(shop().GetSku("tee").sold(), 0);  // nothing delivered yet
  mesh().Kill("coordinator");
  placed.wait();  // the client sees an error: the outcome is not known yet
  mesh().Start("coordinator");
  ASSERT_TRUE(shop().WaitTxn(gid, v1::TXN_STATE_CONFIRMED, seconds(20)));
  ASSERT_TRUE(shop().WaitOrder(gid, v1::ORDER_STATE_PAID, seconds(10)));
  std::this_thread::sleep_for(milliseconds(300));

  // Every Confirm, in all four participants, ran in the order's trace, as
  // did the restarted coordinator's recovery and delivery.
  const std::map<std::string, std::string> confirmed = {
      {"inventory", "stock_confirmed"},
      {"seat", "seats_confirmed"},
      {"payment", "payment_captured"},
      {"order", "order_paid"}};
  auto logs = Logs();
  for (const auto& [process, event] : confirmed) {
    int found = 0;
    for (const auto& line : logs[process]) {
      if (Field(line, "event") != event || Field(line, "gid") != gid) continue;
      ++found;
      EXPECT_EQ(Field(line, "trace_id"), kTraceId) << line.dump();
    }
    EXPECT_EQ(found, 1) << process << " " << event;
  }
  int claimed = 0;
  for (const auto& line : logs["coordinator"]) {
    if (Field(line, "gid") != gid) continue;
    EXPECT_EQ(Field(line, "trace_id"), kTraceId) << line.dump();
    if (Field(line, "event") == "txn_claimed") ++claimed;
  }
  EXPECT_GE(claimed, 1);
  EXPECT_NE(CtlTxnGet(gid).find(std::string("trace_id=") + kTraceId),
            std::string::npos);
  EXPECT_EQ(shop().Violations(), "");
}

}  // namespace
}  // namespace turnstile::testing
