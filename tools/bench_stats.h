// Numbers of turnstile-bench (tools/bench_main.cc) as plain, unit-tested
// code: latency percentiles (nearest rank on the recorded samples), run
// tallies (successes, refusals by reason, errors by kind), a minimal JSON
// writer for --json, and the parsers of the baseline tools' output (pgbench
// TPS, redis-benchmark requests per second). No I/O here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace turnstile::bench {

// Percentiles of latencies in milliseconds.
struct LatencySummary {
  int64_t count = 0;
  double mean = 0, p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};

// Nearest-rank percentile of `sorted` (ascending), q in [0, 1]: the
// smallest sample with at least q of all samples at or below it. 0 if empty.
double Percentile(const std::vector<double>& sorted, double q);

// Sorts `ms` in place and summarizes it.
LatencySummary Summarize(std::vector<double>& ms);

// "p50=1.2 p90=3.4 p99=5.6 p99.9=7.8 max=9.0 ms (n=123)" or "-" if empty.
std::string FormatSummary(const LatencySummary& s);

// At most `points` (x=latency ms, y=fraction of samples <= x) pairs of the
// empirical CDF of `sorted`, always including the last sample.
std::vector<std::pair<double, double>> CdfPoints(
    const std::vector<double>& sorted, size_t points);

// Outcomes of one load run.
struct Tally {
  int64_t ok = 0;
  std::map<std::string, int64_t> refused;            // reason -> count
  std::map<std::string, int64_t> errors;             // "CODE REASON" -> count
  std::map<std::string, std::string> error_samples;  // key -> one message
  std::vector<double> ok_ms, refused_ms;             // latencies
  double seconds = 0;                                // wall time of the run
  // From the first refusal's completion to the last one's: the window in
  // which losers were being turned away (0 with fewer than two refusals).
  double refusal_window_s = 0;

  int64_t refused_total() const;
  int64_t errors_total() const;
  int64_t requests() const { return ok + refused_total() + errors_total(); }
  double Rate(int64_t n) const { return seconds > 0 ? n / seconds : 0; }
  // Refusals per second within the refusal window (whole run if none).
  double RefusalRate() const {
    return refusal_window_s > 0 ? refused_total() / refusal_window_s
                                : Rate(refused_total());
  }
};

// A tiny streaming JSON writer: objects, arrays, strings (escaped), numbers
// (non-finite ones become null), booleans. Commas are placed automatically.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The key of the next value inside an object.
  JsonWriter& Key(const std::string& key);
  JsonWriter& String(const std::string& value);
  JsonWriter& Number(double value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();

  // Key + value shorthands.
  JsonWriter& Field(const std::string& key, const std::string& value) {
    return Key(key).String(value);
  }
  JsonWriter& Field(const std::string& key, const char* value) {
    return Key(key).String(value);
  }
  JsonWriter& Field(const std::string& key, double value) {
    return Key(key).Number(value);
  }
  JsonWriter& Field(const std::string& key, int64_t value) {
    return Key(key).Int(value);
  }
  JsonWriter& Field(const std::string& key, int value) {
    return Key(key).Int(value);
  }
  JsonWriter& Field(const std::string& key, bool value) {
    return Key(key).Bool(value);
  }

  const std::string& str() const { return out_; }

 private:
  void BeforeValue();

  std::string out_;
  // Per open container: whether it already holds an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// `text` as a JSON string literal, quotes included.
std::string JsonQuote(const std::string& text);

void WriteSummary(JsonWriter& json, const std::string& key,
                  const LatencySummary& s);
// The tally (counts, rates, latency summaries); sorts its samples.
void WriteTally(JsonWriter& json, const std::string& key, Tally& tally);

// "tps = 1234.567890 (without initial connection time)" in pgbench's
// output; nullopt if absent.
std::optional<double> ParsePgbenchTps(const std::string& output);
// The last "<number> requests per second" in redis-benchmark's output
// (with -q, or the "throughput summary" of the full report).
std::optional<double> ParseRedisBenchmarkRps(const std::string& output);

}  // namespace turnstile::bench
