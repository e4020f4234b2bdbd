#include "tools/bench_stats.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_format.h"

namespace turnstile::bench {

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // Nearest rank: ceil(q * n), 1-based; q = 0 gives the minimum.
  const size_t n = sorted.size();
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  // Guard against 0.999 * 1000 = 999.0000000001 rounding up to 1000.
  if (rank > 0 && std::fabs(q * n - (rank - 1)) < 1e-9) --rank;
  rank = std::clamp<size_t>(rank, 1, n);
  return sorted[rank - 1];
}

LatencySummary Summarize(std::vector<double>& ms) {
  LatencySummary s;
  if (ms.empty()) return s;
  std::sort(ms.begin(), ms.end());
  s.count = static_cast<int64_t>(ms.size());
  double sum = 0;
  for (double v : ms) sum += v;
  s.mean = sum / ms.size();
  s.p50 = Percentile(ms, 0.50);
  s.p90 = Percentile(ms, 0.90);
  s.p99 = Percentile(ms, 0.99);
  s.p999 = Percentile(ms, 0.999);
  s.max = ms.back();
  return s;
}

std::string FormatSummary(const LatencySummary& s) {
  if (s.count == 0) return "-";
  return absl::StrFormat(
      "p50=%.2f p90=%.2f p99=%.2f p99.9=%.2f max=%.2f ms (n=%d)", s.p50, s.p90,
      s.p99, s.p999, s.max, s.count);
}

std::vector<std::pair<double, double>> CdfPoints(
    const std::vector<double>& sorted, size_t points) {
  std::vector<std::pair<double, double>> out;
  const size_t n = sorted.size();
  if (n == 0 || points == 0) return out;
  const size_t step = std::max<size_t>(1, n / points);
  for (size_t i = step - 1; i < n; i += step) {
    out.emplace_back(sorted[i], static_cast<double>(i + 1) / n);
  }
  if (out.empty() || out.back().second < 1.0) {
    out.emplace_back(sorted.back(), 1.0);
  }
  return out;
}

int64_t Tally::refused_total() const {
  int64_t n = 0;
  for (const auto& [k, v] : refused) n += v;
  return n;
}

int64_t Tally::errors_total() const {
  int64_t n = 0;
  for (const auto& [k, v] : errors) n += v;
  return n;
}

// --- JSON ---------------------------------------------------------------

std::string JsonQuote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through
        }
    }
  }
  out += '"';
  return out;
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_element_.empty()) {
    if (has_element_.back()) out_ += ',';
    has_element_.back() = true;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_ += '{';
  has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_ += '}';
  if (!has_element_.empty()) has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_ += '[';
  has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_ += ']';
  if (!has_element_.empty()) has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(const std::string& key) {
  BeforeValue();
  out_ += JsonQuote(key);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(const std::string& value) {
  BeforeValue();
  out_ += JsonQuote(value);
  return *this;
}

JsonWriter& JsonWriter::Number(double value) {
  BeforeValue();
  if (!std::isfinite(value)) {
    out_ += "null";
  } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
    out_ += absl::StrFormat("%.0f", value);
  } else {
    out_ += absl::StrFormat("%.6g", value);
  }
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  out_ += std::to_string(value);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}

void WriteSummary(JsonWriter& json, const std::string& key,
                  const LatencySummary& s) {
  json.Key(key).BeginObject();
  json.Field("count", s.count)
      .Field("mean_ms", s.mean)
      .Field("p50_ms", s.p50)
      .Field("p90_ms", s.p90)
      .Field("p99_ms", s.p99)
      .Field("p999_ms", s.p999)
      .Field("max_ms", s.max);
  json.EndObject();
}

void WriteTally(JsonWriter& json, const std::string& key, Tally& tally) {
  json.Key(key).BeginObject();
  json.Field("requests", tally.requests())
      .Field("successes", tally.ok)
      .Field("refusals", tally.refused_total())
      .Field("errors", tally.errors_total())
      .Field("seconds", tally.seconds)
      .Field("requests_per_s", tally.Rate(tally.requests()))
      .Field("successes_per_s", tally.Rate(tally.ok))
      .Field("refusals_per_s", tally.Rate(tally.refused_total()))
      .Field("refusal_window_s", tally.refusal_window_s)
      .Field("refusals_per_s_in_window", tally.RefusalRate());
  json.Key("refusals_by_reason").BeginObject();
  for (const auto& [k, v] : tally.refused) json.Field(k, v);
  json.EndObject();
  json.Key("errors_by_kind").BeginObject();
  for (const auto& [k, v] : tally.errors) json.Field(k, v);
  json.EndObject();
  json.Key("error_samples").BeginObject();
  for (const auto& [k, v] : tally.error_samples) json.Field(k, v);
  json.EndObject();
  WriteSummary(json, "latency_successes", Summarize(tally.ok_ms));
  WriteSummary(json, "latency_refusals", Summarize(tally.refused_ms));
  json.EndObject();
}

// --- baseline tools' output ---------------------------------------------

namespace {

// The number ending right before position `end` (spaces skipped).
std::optional<double> NumberBefore(const std::string& text, size_t end) {
  while (end > 0 && text[end - 1] == ' ') --end;
  size_t begin = end;
  while (begin > 0 &&
         (std::isdigit(static_cast<unsigned char>(text[begin - 1])) ||
          text[begin - 1] == '.')) {
    --begin;
  }
  if (begin == end) return std::nullopt;
  return std::strtod(text.substr(begin, end - begin).c_str(), nullptr);
}

}  // namespace

std::optional<double> ParsePgbenchTps(const std::string& output) {
  std::optional<double> any;
  size_t pos = 0;
  while ((pos = output.find("tps = ", pos)) != std::string::npos) {
    pos += 6;
    char* end = nullptr;
    const double tps = std::strtod(output.c_str() + pos, &end);
    if (end == output.c_str() + pos) continue;
    const size_t eol = output.find('\n', pos);
    const std::string rest = output.substr(pos, eol - pos);
    // pgbench >= 14 prints one line "without initial connection time";
    // older ones print "excluding connections establishing" as the second.
    if (rest.find("without initial") != std::string::npos ||
        rest.find("excluding") != std::string::npos) {
      return tps;
    }
    any = tps;
  }
  return any;
}

std::optional<double> ParseRedisBenchmarkRps(const std::string& output) {
  const std::string marker = "requests per second";
  const size_t pos = output.rfind(marker);
  if (pos == std::string::npos) return std::nullopt;
  return NumberBefore(output, pos);
}

}  // namespace turnstile::bench
