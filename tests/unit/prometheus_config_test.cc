// The pure text of the test Prometheus (tests/support/prometheus_config.h):
// its config, the `for:` rewrite of a rules file (only `for:` keys change)
// and Grafana expressions made concrete.
#include "tests/support/prometheus_config.h"

#include <gtest/gtest.h>

namespace turnstile::testing {
namespace {

TEST(PrometheusConfigTest, OneJobPerTargetAndTheRuleFiles) {
  const std::string yaml = PrometheusConfigYaml(
      {{"turnstile-order", 4001}, {"turnstile-payment", 4002}},
      {.scrape_interval = "1s",
       .evaluation_interval = "2s",
       .rule_files = {"/tmp/r.yaml"}});
  EXPECT_NE(yaml.find("  scrape_interval: 1s\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("  evaluation_interval: 2s\n"), std::string::npos);
  EXPECT_NE(yaml.find("rule_files:\n  - \"/tmp/r.yaml\"\n"), std::string::npos);
  EXPECT_NE(yaml.find("  - job_name: \"turnstile-order\"\n"),
            std::string::npos);
  EXPECT_NE(yaml.find("[\"127.0.0.1:4002\"]"), std::string::npos);
}

TEST(PrometheusConfigTest, EmptyListsAreValidYaml) {
  const std::string yaml = PrometheusConfigYaml({}, {});
  EXPECT_NE(yaml.find("rule_files: []\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("scrape_configs: []\n"), std::string::npos);
}

TEST(ShortenAlertForTest, RewritesEveryForKeyAndNothingElse) {
  const std::string rules =
      "groups:\n"
      "  - name: turnstile\n"
      "    rules:\n"
      "      - alert: A\n"
      "        expr: rate(x_total[5m]) > 0 # for: in a comment stays\n"
      "        for: 2m\n"
      "        labels: {severity: page}\n"
      "      - for: 10m  # first key of an item\n"
      "        alert: B\n"
      "        expr: y > 0\n"
      "        annotations:\n"
      "          summary: \"wait for: nothing\"\n";
  int n = 0;
  const std::string out = ShortenAlertFor(rules, "3s", &n);
  EXPECT_EQ(n, 2);
  EXPECT_EQ(out,
            "groups:\n"
            "  - name: turnstile\n"
            "    rules:\n"
            "      - alert: A\n"
            "        expr: rate(x_total[5m]) > 0 # for: in a comment stays\n"
            "        for: 3s\n"
            "        labels: {severity: page}\n"
            "      - for: 3s  # first key of an item\n"
            "        alert: B\n"
            "        expr: y > 0\n"
            "        annotations:\n"
            "          summary: \"wait for: nothing\"\n");
}

TEST(ShortenAlertForTest, NoTrailingNewlineIsKept) {
  EXPECT_EQ(ShortenAlertFor("  for: 1h", "1s"), "  for: 1s");
  EXPECT_EQ(ShortenAlertFor("", "1s"), "");
}

TEST(ConcreteGrafanaExprTest, MacrosAndVariablesAreReplaced) {
  const std::map<std::string, std::string> vars = {{"job", ".*"}};
  EXPECT_EQ(ConcreteGrafanaExpr(
                "sum by (job) (rate(turnstile_rpc_total{job=~\"$job\"}"
                "[$__rate_interval]))",
                vars),
            "sum by (job) (rate(turnstile_rpc_total{job=~\".*\"}[1m]))");
  EXPECT_EQ(ConcreteGrafanaExpr("increase(x[${__range}]) / ${job:regex}", vars,
                                {.range = "10m"}),
            "increase(x[10m]) / .*");
  EXPECT_EQ(ConcreteGrafanaExpr("x[$__interval] $__interval_ms $__range_s",
                                vars, {.interval = "30s", .range = "1h"}),
            "x[30s] 30000 3600");
}

TEST(ConcreteGrafanaExprTest, UnknownVariablesAndRegexGroupsStay) {
  EXPECT_EQ(
      ConcreteGrafanaExpr("label_replace(x, \"s\", \"$1\", \"j\", "
                          "\"turnstile-(.*)\") + $nope",
                          {}),
      "label_replace(x, \"s\", \"$1\", \"j\", \"turnstile-(.*)\") + $nope");
  EXPECT_EQ(ConcreteGrafanaExpr("a $", {}), "a $");
}

TEST(UrlEncodeTest, ReservedCharactersAreEscaped) {
  EXPECT_EQ(UrlEncode("up{job=~\"a.*\"} == 1"),
            "up%7Bjob%3D~%22a.%2A%22%7D%20%3D%3D%201");
}

}  // namespace
}  // namespace turnstile::testing
