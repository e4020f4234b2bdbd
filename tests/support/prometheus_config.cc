#include "tests/support/prometheus_config.h"

#include <cctype>
#include <cstdio>
#include <sstream>

namespace turnstile::testing {
namespace {

bool NameChar(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// "15s", "1m", "2h", "500ms" -> seconds (0 if not understood).
double Seconds(const std::string& d) {
  size_t i = 0;
  while (i < d.size() && std::isdigit(static_cast<unsigned char>(d[i]))) ++i;
  if (i == 0) return 0;
  const double n = std::stod(d.substr(0, i));
  const std::string unit = d.substr(i);
  if (unit == "ms") return n / 1000;
  if (unit == "s") return n;
  if (unit == "m") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  return 0;
}

std::string Integer(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

// The value of a Grafana macro, or false if `name` is not one.
bool Macro(const std::string& name, const GrafanaWindows& w, std::string* out) {
  if (name == "__rate_interval")
    *out = w.rate_interval;
  else if (name == "__interval")
    *out = w.interval;
  else if (name == "__range")
    *out = w.range;
  else if (name == "__interval_ms")
    *out = Integer(Seconds(w.interval) * 1000);
  else if (name == "__range_ms")
    *out = Integer(Seconds(w.range) * 1000);
  else if (name == "__range_s")
    *out = Integer(Seconds(w.range));
  else
    return false;
  return true;
}

}  // namespace

std::string PrometheusConfigYaml(const std::vector<ScrapeTarget>& targets,
                                 const PrometheusConfigOptions& options) {
  std::ostringstream out;
  out << "global:\n"
      << "  scrape_interval: " << options.scrape_interval << "\n"
      << "  scrape_timeout: " << options.scrape_interval << "\n"
      << "  evaluation_interval: " << options.evaluation_interval << "\n";
  out << "rule_files:";
  if (options.rule_files.empty()) out << " []";
  out << "\n";
  for (const auto& file : options.rule_files) out << "  - \"" << file << "\"\n";
  out << "scrape_configs:";
  if (targets.empty()) out << " []";
  out << "\n";
  for (const auto& t : targets) {
    out << "  - job_name: \"" << t.job << "\"\n"
        << "    metrics_path: /metrics\n"
        << "    static_configs:\n"
        << "      - targets: [\"127.0.0.1:" << t.port << "\"]\n";
  }
  return out.str();
}

std::string ShortenAlertFor(const std::string& rules_yaml,
                            const std::string& duration, int* replaced) {
  std::istringstream in(rules_yaml);
  std::ostringstream out;
  std::string line;
  int count = 0;
  bool first = true;
  while (std::getline(in, line)) {
    if (!first) out << "\n";
    first = false;
    // `for:` as a key: after indentation, optionally as the first key of a
    // list item ("- for: 2m").
    size_t i = line.find_first_not_of(' ');
    if (i != std::string::npos && line.compare(i, 2, "- ") == 0) {
      i = line.find_first_not_of(' ', i + 2);
    }
    if (i != std::string::npos && line.compare(i, 4, "for:") == 0) {
      std::string rest = line.substr(i + 4);
      // A trailing comment stays, with the spaces before it.
      size_t comment = rest.find(" #");
      if (comment != std::string::npos) {
        while (comment > 0 && rest[comment - 1] == ' ') --comment;
      }
      const std::string tail =
          comment == std::string::npos ? "" : rest.substr(comment);
      out << line.substr(0, i) << "for: " << duration << tail;
      ++count;
      continue;
    }
    out << line;
  }
  if (!rules_yaml.empty() && rules_yaml.back() == '\n') out << "\n";
  if (replaced != nullptr) *replaced = count;
  return out.str();
}

std::string ConcreteGrafanaExpr(
    const std::string& expr,
    const std::map<std::string, std::string>& variables,
    const GrafanaWindows& windows) {
  std::string out;
  size_t i = 0;
  while (i < expr.size()) {
    if (expr[i] != '$') {
      out += expr[i++];
      continue;
    }
    std::string name;
    size_t end = i + 1;
    if (end < expr.size() && expr[end] == '{') {
      const size_t close = expr.find('}', end);
      if (close == std::string::npos) {
        out += expr[i++];
        continue;
      }
      name = expr.substr(end + 1, close - end - 1);
      if (const size_t colon = name.find(':'); colon != std::string::npos) {
        name = name.substr(0, colon);  // ${job:regex} -> job
      }
      end = close + 1;
    } else {
      while (end < expr.size() && NameChar(expr[end], end == i + 1)) ++end;
      name = expr.substr(i + 1, end - i - 1);
    }
    std::string value;
    if (!name.empty() && Macro(name, windows, &value)) {
      out += value;
    } else if (auto it = variables.find(name); it != variables.end()) {
      out += it->second;
    } else {
      out += expr.substr(i, end - i);  // unknown: left for Prometheus
    }
    i = end;
  }
  return out;
}

std::string UrlEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace turnstile::testing
