// The alerts and the dashboard of helm/turnstile against a real Prometheus
// (Debian's) scraping the real mesh (issue 9, items 3 and 4):
//  - TurnstileBranchesStuck fires when the payment service is killed while
//    pay_now orders are being confirmed, and resolves after payment is
//    back; then every transaction is final, every committed one CONFIRMED,
//    and the invariants of DESIGN.md §4 hold. The times from the kill to
//    "firing" and from the restart to "resolved" are printed and recorded
//    as test properties.
//  - Every PromQL expression of grafana-dashboard.json evaluates without
//    error, and the key panels have data after some orders.
// One mesh and one Prometheus serve both tests (SetUpTestSuite); each test
// places its own orders.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/cleanup/cleanup.h"
#include "absl/time/clock.h"
#include "tests/support/gateway_process.h"
#include "tests/support/http_client.h"
#include "tests/support/mesh.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/shop.h"
#include "turnstile/v1/payment.pb.h"

namespace turnstile::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr char kRulesFile[] =
    TURNSTILE_SOURCE_DIR "/helm/turnstile/files/prometheus-rules.yaml";
constexpr char kDashboardFile[] =
    TURNSTILE_SOURCE_DIR "/helm/turnstile/files/grafana-dashboard.json";
constexpr char kStuckAlert[] = "TurnstileBranchesStuck";
// The coordinator calls a branch stuck this long after its transaction was
// decided (with a failed delivery); production uses minutes.
constexpr int kStuckAfterMs = 3000;
// Every decided transaction waits this long before its first Confirm or
// Cancel: the window in which payment is killed, so that committed
// transactions are certainly still waiting for payment's Confirm.
constexpr int kPauseAfterDecisionMs = 2000;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

double SecondsSince(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

std::string OneDecimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// Polls `done` every 250 ms until it is true or `timeout` passes.
template <typename F>
bool WaitFor(F done, milliseconds timeout) {
  const auto until = SteadyClock::now() + timeout;
  while (!done()) {
    if (SteadyClock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(250));
  }
  return true;
}

int Count(Mesh& mesh, const std::string& sql) {
  const std::string v = mesh.Query("coordinator", sql);
  return v.empty() ? 0 : std::stoi(v);
}

class AlertsLiveTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    mesh_ = new Mesh(SharedPg(), "alerts");
    mesh_->EnableMetrics();
    mesh_->SetArgs("coordinator",
                   {"--stuck_after_ms=" + std::to_string(kStuckAfterMs),
                    "--test_pause_after_decision_ms=" +
                        std::to_string(kPauseAfterDecisionMs),
                    "--backoff_initial_ms=50", "--backoff_max_ms=500"});
    mesh_->StartAll();
    shop_ = new Shop(*mesh_);
    gateway_ = new GatewayProcess(*mesh_);
    ASSERT_TRUE(gateway_->Start());

    // The chart's rules with every `for:` cut to 3 s: the same expressions
    // as in production, only the wait before firing is shorter, so that the
    // test sees an alert fire within seconds instead of minutes.
    const std::string rules = ReadFile(kRulesFile);
    ASSERT_FALSE(rules.empty()) << "cannot read " << kRulesFile;
    int shortened = 0;
    const std::string fast = ShortenAlertFor(rules, "3s", &shortened);
    ASSERT_GT(shortened, 0) << "no `for:` in " << kRulesFile;
    rules_copy_ = SharedPg().dir() + "/prometheus-rules-fast.yaml";
    std::ofstream(rules_copy_) << fast;

    std::vector<ScrapeTarget> targets;
    for (const auto& s : Mesh::Services()) {
      targets.push_back({"turnstile-" + s, mesh_->MetricsPort(s)});
    }
    targets.push_back({"turnstile-gateway", gateway_->metrics_port()});
    prometheus_ =
        PrometheusServer::Start(targets, {.rule_files = {rules_copy_}})
            .release();
    ASSERT_NE(prometheus_, nullptr);
    ASSERT_TRUE(prometheus_->WaitTargetsUp(seconds(20)))
        << "not every service is scraped: " << prometheus_->Query("up").dump();
    // The rules loaded (a file Prometheus cannot parse is only logged) and,
    // once evaluated against the mesh's metrics, none is in error.
    ASSERT_TRUE(WaitFor(
        [] {
          int rules = 0;
          for (const auto& group : prometheus_->RuleGroups()) {
            for (const auto& rule :
                 group.value("rules", nlohmann::json::array())) {
              if (rule.value("health", "") != "ok") return false;
              ++rules;
            }
          }
          return rules > 0;
        },
        seconds(15)))
        << "rules not loaded or not healthy: "
        << prometheus_->RuleGroups().dump();
    bool has_stuck = false;
    for (const auto& group : prometheus_->RuleGroups()) {
      for (const auto& rule : group.value("rules", nlohmann::json::array())) {
        if (rule.value("name", "") == kStuckAlert) has_stuck = true;
      }
    }
    ASSERT_TRUE(has_stuck) << "no rule " << kStuckAlert << " in " << kRulesFile;
    ready_ = true;
  }

  static void TearDownTestSuite() {
    delete prometheus_;
    delete gateway_;
    delete shop_;
    delete mesh_;
    prometheus_ = nullptr;
    gateway_ = nullptr;
    shop_ = nullptr;
    mesh_ = nullptr;
  }

  void SetUp() override {
    // SetUpTestSuite failed: nothing to test against.
    ASSERT_TRUE(ready_) << "the mesh or Prometheus did not start";
  }

  void TearDown() override {
    if (!HasFailure() || prometheus_ == nullptr) return;
    for (const auto& s : Mesh::Services()) {
      std::fprintf(stderr, "---- last lines of %s ----\n", s.c_str());
      std::system(("tail -n 15 " + mesh_->LogPath(s) + " >&2").c_str());
    }
    std::fprintf(stderr, "---- last lines of prometheus ----\n");
    std::system(("tail -n 15 " + prometheus_->log_path() + " >&2").c_str());
  }

  // Places `n` pay_now orders of one unit of `sku`, by users
  // <prefix>0..<prefix>n-1, all at once; the futures of their statuses.
  static std::vector<std::future<grpc::Status>> PlaceOrders(
      const std::string& prefix, const std::string& sku, int n) {
    std::vector<std::future<grpc::Status>> inflight;
    for (int i = 0; i < n; ++i) {
      inflight.push_back(std::async(std::launch::async, [prefix, sku, i] {
        return shop_->PlaceStock(prefix + std::to_string(i), "r", sku, 1, true);
      }));
    }
    return inflight;
  }

  // A buyer's wallet read through the gateway (gRPC-web, HS256 token).
  static int GatewayWallet(const std::string& user) {
    const std::string token = gateway_->Token(user);
    if (token.empty()) return -1;
    v1::GetWalletRequest req;
    req.set_currency("EUR");
    return GrpcStatusOf(GrpcWebCall(gateway_->port(),
                                    "/turnstile.v1.Payment/GetWallet",
                                    req.SerializeAsString(), token));
  }

  static Mesh* mesh_;
  static Shop* shop_;
  static GatewayProcess* gateway_;
  static PrometheusServer* prometheus_;
  static std::string rules_copy_;
  static bool ready_;
};

Mesh* AlertsLiveTest::mesh_ = nullptr;
Shop* AlertsLiveTest::shop_ = nullptr;
GatewayProcess* AlertsLiveTest::gateway_ = nullptr;
PrometheusServer* AlertsLiveTest::prometheus_ = nullptr;
std::string AlertsLiveTest::rules_copy_;
bool AlertsLiveTest::ready_ = false;

// The gids of committed transactions whose payment Confirm is not delivered.
std::set<std::string> CommittedWaitingForPayment(Mesh& mesh) {
  const std::string gids = mesh.Query(
      "coordinator",
      "SELECT string_agg(g.gid::text, ',') FROM global_txn g JOIN branch b "
      "USING (gid) WHERE g.state = 'CONFIRMING' AND b.branch_id = 'payment' "
      "AND b.state = 'REGISTERED'");
  std::set<std::string> out;
  std::stringstream in(gids);
  for (std::string gid; std::getline(in, gid, ',');) out.insert(gid);
  return out;
}

TEST_F(AlertsLiveTest, BranchesStuckFiresWhilePaymentIsDownAndResolves) {
  // Buyers placing pay_now orders one after another (bounded: at most
  // kWorkers * kOrdersEach orders), before, during and after the outage.
  constexpr int kWorkers = 6;
  constexpr int kOrdersEach = 8;
  shop_->CreateSku("tee", 1000, 0, 1000);
  for (int w = 0; w < kWorkers; ++w) {
    shop_->Deposit("p" + std::to_string(w), 1000 * kOrdersEach);
  }
  ASSERT_EQ(prometheus_->AlertState(kStuckAlert), "")
      << "stuck before anything happened";

  std::atomic<bool> stop{false};
  std::atomic<int> placed{0}, ok{0};
  std::vector<std::thread> buyers;
  for (int w = 0; w < kWorkers; ++w) {
    buyers.emplace_back([&, w] {
      const std::string user = "p" + std::to_string(w);
      for (int n = 0; n < kOrdersEach && !stop; ++n) {
        const auto s = shop_->PlaceStock(user, "r" + std::to_string(n), "tee",
                                         1, /*pay_now=*/true);
        ++placed;
        if (s.ok()) ++ok;
      }
    });
  }
  // Also when an assertion below ends the test early.
  absl::Cleanup join_buyers = [&] {
    stop = true;
    for (auto& b : buyers) {
      if (b.joinable()) b.join();
    }
  };
  // Wait for committed transactions whose payment Confirm is not delivered
  // yet (they sit out the pause after the decision), then kill payment:
  // they cannot be confirmed, and the orders placed meanwhile fail their
  // payment Try and must be cancelled, also at payment.
  ASSERT_TRUE(
      WaitFor([&] { return CommittedWaitingForPayment(*mesh_).size() >= 3; },
              seconds(20)))
      << "no committed transaction waiting for payment";
  mesh_->Kill("payment");
  const auto stopped = SteadyClock::now();
  const std::set<std::string> committed_waiting =
      CommittedWaitingForPayment(*mesh_);
  ASSERT_FALSE(committed_waiting.empty());

  ASSERT_TRUE(
      WaitFor([&] { return prometheus_->AlertState(kStuckAlert) == "firing"; },
              seconds(60)))
      << kStuckAlert << " did not fire within 60 s; stuck gauge: "
      << prometheus_->Query("turnstile_coordinator_stuck_branches").dump()
      << " alerts: " << prometheus_->Alerts().dump();
  const double time_to_fire = SecondsSince(stopped);
  stop = true;                   // no new orders after this
  std::set<std::string> firing;  // for the record: what else the outage set off
  for (const auto& alert : prometheus_->Alerts()) {
    if (alert.value("state", "") == "firing") {
      firing.insert(alert.value("labels", nlohmann::json::object())
                        .value("alertname", ""));
    }
  }
  // Still down: the committed transactions are still waiting for payment.
  for (const auto& gid : committed_waiting) {
    EXPECT_EQ(shop_->GetTxn(gid).state(), v1::TXN_STATE_CONFIRMING) << gid;
  }

  mesh_->Start("payment");
  const auto restarted = SteadyClock::now();
  ASSERT_TRUE(
      WaitFor([&] { return prometheus_->AlertState(kStuckAlert).empty(); },
              seconds(60)))
      << kStuckAlert << " still active 60 s after payment came back: "
      << prometheus_->Alerts().dump();
  const double time_to_resolve = SecondsSince(restarted);

  std::move(join_buyers).Invoke();  // each call bounded by its own deadline
  // Every transaction final; the committed ones confirmed everywhere.
  EXPECT_TRUE(WaitFor(
      [&] {
        return Count(*mesh_,
                     "SELECT count(*) FROM global_txn WHERE state NOT IN "
                     "('CONFIRMED', 'CANCELLED')") == 0;
      },
      seconds(30)))
      << "transactions still open: "
      << mesh_->Query("coordinator",
                      "SELECT string_agg(gid::text || ' ' || state, ', ') "
                      "FROM global_txn WHERE state NOT IN ('CONFIRMED', "
                      "'CANCELLED')");
  for (const auto& gid : committed_waiting) {
    EXPECT_EQ(shop_->GetTxn(gid).state(), v1::TXN_STATE_CONFIRMED) << gid;
    EXPECT_TRUE(shop_->WaitOrder(gid, v1::ORDER_STATE_PAID, seconds(10)))
        << gid;
  }
  EXPECT_EQ(Count(*mesh_,
                  "SELECT count(*) FROM branch b JOIN global_txn g USING "
                  "(gid) WHERE g.state = 'CONFIRMED' AND b.state <> "
                  "'CONFIRMED'"),
            0);
  EXPECT_EQ(shop_->Violations(seconds(20)), "");

  std::cout << "time_to_fire_s=" << OneDecimal(time_to_fire)
            << " time_to_resolve_s=" << OneDecimal(time_to_resolve)
            << " committed_waiting_for_payment=" << committed_waiting.size()
            << " orders_placed=" << placed << " orders_ok=" << ok
            << " firing_at_fire_time=";
  for (const auto& name : firing) std::cout << name << ";";
  std::cout << std::endl;
  RecordProperty("time_to_fire_s", OneDecimal(time_to_fire));
  RecordProperty("time_to_resolve_s", OneDecimal(time_to_resolve));
  RecordProperty("committed_waiting_for_payment",
                 static_cast<int>(committed_waiting.size()));
  RecordProperty("orders_placed", placed.load());
}

// Every target of every panel (rows' nested panels included), as
// {panel title, expression}.
std::vector<std::pair<std::string, std::string>> PanelExprs(
    const nlohmann::json& panels) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& panel : panels) {
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      if (target.contains("expr")) {
        out.emplace_back(panel.value("title", ""),
                         target["expr"].get<std::string>());
      }
    }
    const auto nested =
        PanelExprs(panel.value("panels", nlohmann::json::array()));
    out.insert(out.end(), nested.begin(), nested.end());
  }
  return out;
}

TEST_F(AlertsLiveTest, EveryDashboardExpressionEvaluates) {
  const auto dashboard =
      nlohmann::json::parse(ReadFile(kDashboardFile), nullptr, false);
  ASSERT_FALSE(dashboard.is_discarded()) << kDashboardFile << " is not JSON";
  // Template variables as Grafana's "All" would fill them in.
  std::map<std::string, std::string> variables;
  for (const auto& v : dashboard["templating"]["list"]) {
    if (v.value("type", "") == "datasource") continue;
    variables[v["name"].get<std::string>()] = v.value("allValue", ".+");
  }

  shop_->CreateSku("cap", 100, 0, 500);
  for (int i = 0; i < 6; ++i) shop_->Deposit("d" + std::to_string(i), 5000);
  auto inflight = PlaceOrders("d", "cap", 6);
  for (auto& f : inflight) EXPECT_TRUE(f.get().ok());
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(GatewayWallet("d" + std::to_string(i)), 0);  // OK
  }

  const auto exprs = PanelExprs(dashboard["panels"]);
  ASSERT_GE(exprs.size(), 15u);
  for (const auto& [title, expr] : exprs) {
    const std::string concrete = ConcreteGrafanaExpr(expr, variables);
    // A variable the dashboard does not define stays as "$name", which
    // inside a label matcher Prometheus would take for a literal.
    EXPECT_FALSE(std::regex_search(concrete, std::regex(R"(\$[A-Za-z_{])")))
        << "panel \"" << title << "\": unknown variable in " << concrete;
    const auto answer = prometheus_->Query(concrete);
    EXPECT_EQ(answer.value("status", ""), "success")
        << "panel \"" << title << "\": " << concrete << "\n"
        << answer.dump();
  }

  // The key panels show the orders just placed (rates need two scrapes of
  // the new counts, so wait a little).
  for (const std::string key :
       {"Orders/s by outcome", "RPC rate by service", "RPC latency by service",
        "TCC phase latency (p50, p99)", "Stuck branches", "Gateway requests",
        "Transactions by state", "PostgreSQL pool use", "Redis up",
        "Certificate expiry"}) {
    std::vector<std::string> of_panel;
    for (const auto& [title, expr] : exprs) {
      if (title == key)
        of_panel.push_back(ConcreteGrafanaExpr(expr, variables));
    }
    ASSERT_FALSE(of_panel.empty()) << "no panel \"" << key << "\"";
    EXPECT_TRUE(WaitFor(
        [&] {
          for (const auto& e : of_panel) {
            if (!prometheus_->QueryVector(e).empty()) return true;
          }
          return false;
        },
        seconds(20)))
        << "panel \"" << key << "\" has no data: " << of_panel[0];
  }
}

}  // namespace
}  // namespace turnstile::testing
