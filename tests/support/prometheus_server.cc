#include "tests/support/prometheus_server.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/pg_cluster.h"

namespace turnstile::testing {
namespace {

constexpr char kBinary[] = "/usr/bin/prometheus";

int Rank(const std::string& state) {
  if (state == "firing") return 2;
  if (state == "pending") return 1;
  return 0;
}

}  // namespace

std::unique_ptr<PrometheusServer> PrometheusServer::Start(
    const std::vector<ScrapeTarget>& targets,
    const PrometheusConfigOptions& options) {
  if (access(kBinary, X_OK) != 0) {
    std::fprintf(stderr, "%s is not installed (Debian package prometheus)\n",
                 kBinary);
    return nullptr;
  }
  std::unique_ptr<PrometheusServer> server(new PrometheusServer());
  char tmpl[] = "/tmp/turnstile-prometheus-XXXXXX";
  server->dir_ = mkdtemp(tmpl);
  server->port_ = FreePort();
  server->jobs_ = targets.size();
  const std::string config = server->dir_ + "/prometheus.yml";
  std::ofstream(config) << PrometheusConfigYaml(targets, options);
  server->process_.Start(
      kBinary,
      {"--config.file=" + config,
       "--storage.tsdb.path=" + server->dir_ + "/data",
       "--web.listen-address=127.0.0.1:" + std::to_string(server->port_),
       "--storage.tsdb.retention.time=1h", "--log.level=info"},
      server->log_path());
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    if (server->process_.Exited()) break;
    if (HttpCall(server->port_, "GET", "/-/ready", {}, "", 1000).status ==
        200) {
      return server;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::fprintf(stderr, "prometheus did not become ready; its log:\n");
  std::system(("tail -n 30 " + server->log_path() + " >&2").c_str());
  return nullptr;
}

PrometheusServer::~PrometheusServer() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void PrometheusServer::Stop() {
  if (process_.running()) process_.Terminate(10000);
}

nlohmann::json PrometheusServer::Get(const std::string& target) {
  const HttpResult r = HttpCall(port_, "GET", target, {}, "", 10000);
  if (r.status == 0) {
    return {{"status", "error"}, {"error", "no answer from prometheus"}};
  }
  auto parsed = nlohmann::json::parse(r.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return {{"status", "error"},
            {"error", "HTTP " + std::to_string(r.status) + ": " + r.body}};
  }
  return parsed;
}

nlohmann::json PrometheusServer::Query(const std::string& promql) {
  return Get("/api/v1/query?query=" + UrlEncode(promql));
}

nlohmann::json PrometheusServer::QueryVector(const std::string& promql) {
  const auto answer = Query(promql);
  if (answer.value("status", "") != "success") return nlohmann::json::array();
  const auto data = answer.value("data", nlohmann::json::object());
  if (data.value("resultType", "") != "vector") return nlohmann::json::array();
  return data.value("result", nlohmann::json::array());
}

nlohmann::json PrometheusServer::Alerts() {
  const auto answer = Get("/api/v1/alerts");
  if (answer.value("status", "") != "success") return nlohmann::json::array();
  return answer.value("data", nlohmann::json::object())
      .value("alerts", nlohmann::json::array());
}

nlohmann::json PrometheusServer::RuleGroups() {
  const auto answer = Get("/api/v1/rules");
  if (answer.value("status", "") != "success") return nlohmann::json::array();
  return answer.value("data", nlohmann::json::object())
      .value("groups", nlohmann::json::array());
}

std::string PrometheusServer::AlertState(const std::string& name) {
  std::string best;
  for (const auto& alert : Alerts()) {
    const auto labels = alert.value("labels", nlohmann::json::object());
    if (labels.value("alertname", "") != name) continue;
    const std::string state = alert.value("state", "");
    if (Rank(state) > Rank(best)) best = state;
  }
  return best;
}

bool PrometheusServer::WaitTargetsUp(std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    const auto up = QueryVector("up == 1");
    if (up.size() >= jobs_) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

}  // namespace turnstile::testing
