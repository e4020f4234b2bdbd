// The number code of turnstile-bench (tools/bench_stats.h): nearest-rank
// percentiles on known distributions (including the p99.9 rounding trap and
// tiny samples), the summary, CDF points, the JSON writer (nesting, commas,
// escaping, non-finite numbers) and the parsers of pgbench's and
// redis-benchmark's output.
#include "tools/bench_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace turnstile::bench {
namespace {

std::vector<double> OneTo(int n) {
  std::vector<double> v;
  for (int i = 1; i <= n; ++i) v.push_back(i);
  return v;
}

TEST(Percentile, NearestRankOnOneToThousand) {
  const auto v = OneTo(1000);
  EXPECT_EQ(Percentile(v, 0.5), 500);
  EXPECT_EQ(Percentile(v, 0.9), 900);
  EXPECT_EQ(Percentile(v, 0.99), 990);
  EXPECT_EQ(Percentile(v, 0.999), 999);  // not 1000 by float rounding
  EXPECT_EQ(Percentile(v, 1.0), 1000);
  EXPECT_EQ(Percentile(v, 0.0), 1);
}

TEST(Percentile, SmallAndEmptySamples) {
  EXPECT_EQ(Percentile({}, 0.5), 0);
  EXPECT_EQ(Percentile({7}, 0.5), 7);
  EXPECT_EQ(Percentile({7}, 0.999), 7);
  const std::vector<double> two = {1, 2};
  EXPECT_EQ(Percentile(two, 0.5), 1);
  EXPECT_EQ(Percentile(two, 0.51), 2);
  const auto ten = OneTo(10);
  EXPECT_EQ(Percentile(ten, 0.99), 10);
  EXPECT_EQ(Percentile(ten, 0.9), 9);
  // Out-of-range q is clamped.
  EXPECT_EQ(Percentile(ten, 2.0), 10);
  EXPECT_EQ(Percentile(ten, -1.0), 1);
}

TEST(Percentile, OutlierOnlyInTheTail) {
  std::vector<double> v(10000, 1.0);
  v.back() = 500;
  auto s = Summarize(v);
  EXPECT_EQ(s.p99, 1.0);
  EXPECT_EQ(s.p999, 1.0);
  EXPECT_EQ(s.max, 500);
  v.assign(1000, 1.0);
  v[0] = 500;  // unsorted input: Summarize sorts
  s = Summarize(v);
  EXPECT_EQ(s.p999, 1.0);
  EXPECT_EQ(s.max, 500);
  EXPECT_EQ(v.back(), 500);  // sorted in place
}

TEST(Summarize, CountsMeanAndOrder) {
  std::vector<double> v = {5, 1, 4, 2, 3};
  auto s = Summarize(v);
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.mean, 3.0);
  EXPECT_EQ(s.p50, 3);
  EXPECT_EQ(s.max, 5);
  std::vector<double> empty;
  EXPECT_EQ(Summarize(empty).count, 0);
  EXPECT_EQ(FormatSummary(Summarize(empty)), "-");
  EXPECT_NE(FormatSummary(s).find("p99.9=5.00"), std::string::npos);
}

TEST(CdfPoints, MonotoneEndingAtOne) {
  const auto v = OneTo(10000);
  auto points = CdfPoints(v, 100);
  ASSERT_GE(points.size(), 100u);
  ASSERT_LE(points.size(), 101u);
  for (size_t i = 1; i < points.size(); ++i) {
    EXPECT_GE(points[i].first, points[i - 1].first);
    EXPECT_GT(points[i].second, points[i - 1].second);
  }
  EXPECT_EQ(points.back().first, 10000);
  EXPECT_EQ(points.back().second, 1.0);
  EXPECT_EQ(CdfPoints({}, 10).size(), 0u);
  auto few = CdfPoints({3.0}, 100);
  ASSERT_EQ(few.size(), 1u);
  EXPECT_EQ(few[0].second, 1.0);
}

TEST(Tally, TotalsAndRates) {
  Tally t;
  t.ok = 10;
  t.refused = {{"SOLD_OUT", 80}, {"USER_LIMIT", 5}};
  t.errors = {{"UNAVAILABLE ", 5}};
  t.seconds = 2;
  EXPECT_EQ(t.refused_total(), 85);
  EXPECT_EQ(t.errors_total(), 5);
  EXPECT_EQ(t.requests(), 100);
  EXPECT_DOUBLE_EQ(t.Rate(t.requests()), 50);
  t.seconds = 0;
  EXPECT_EQ(t.Rate(10), 0);
  // Refusals per second: within their window when there is one.
  t.seconds = 10;
  EXPECT_DOUBLE_EQ(t.RefusalRate(), 8.5);
  t.refusal_window_s = 0.5;
  EXPECT_DOUBLE_EQ(t.RefusalRate(), 170);
}

TEST(Json, NestingAndCommas) {
  JsonWriter j;
  j.BeginObject();
  j.Field("a", int64_t{1}).Field("b", "x");
  j.Key("list").BeginArray().Int(1).Int(2).BeginObject().EndObject().EndArray();
  j.Key("empty").BeginArray().EndArray();
  j.Key("nested").BeginObject().Field("t", true).Field("f", false).EndObject();
  j.Key("n").Null();
  j.EndObject();
  EXPECT_EQ(j.str(), R"({"a":1,"b":"x","list":[1,2,{}],"empty":[],)"
                     R"("nested":{"t":true,"f":false},"n":null})");
}

TEST(Json, EscapesStrings) {
  EXPECT_EQ(JsonQuote("plain"), R"("plain")");
  EXPECT_EQ(JsonQuote("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonQuote("line\nnext\ttab\r"), R"("line\nnext\ttab\r")");
  EXPECT_EQ(JsonQuote(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(JsonQuote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // UTF-8 kept
  JsonWriter j;
  j.BeginObject().Field("k\"ey", "v\n").EndObject();
  EXPECT_EQ(j.str(), R"({"k\"ey":"v\n"})");
}

TEST(Json, Numbers) {
  JsonWriter j;
  j.BeginArray()
      .Number(3)
      .Number(0.25)
      .Number(1234.5678)
      .Number(std::numeric_limits<double>::infinity())
      .Number(std::nan(""))
      .Number(-2)
      .Int(-9000000000)
      .EndArray();
  EXPECT_EQ(j.str(), "[3,0.25,1234.57,null,null,-2,-9000000000]");
}

TEST(Json, TallyHasEveryNumber) {
  Tally t;
  t.ok = 2;
  t.ok_ms = {3, 1};
  t.refused = {{"SOLD_OUT", 1}};
  t.refused_ms = {0.5};
  t.seconds = 1;
  JsonWriter j;
  j.BeginObject();
  WriteTally(j, "load", t);
  j.EndObject();
  const std::string& s = j.str();
  for (const char* key :
       {"\"requests\":3", "\"successes\":2", "\"refusals\":1", "\"errors\":0",
        "\"SOLD_OUT\":1", "\"latency_successes\":{\"count\":2", "\"p999_ms\":3",
        "\"latency_refusals\":{\"count\":1",
        "\"refusals_per_s_in_window\":1"}) {
    EXPECT_NE(s.find(key), std::string::npos) << key << " in " << s;
  }
}

TEST(Parsers, Pgbench) {
  const std::string out15 =
      "pgbench (15.18 (Debian 15.18-0+deb12u1))\n"
      "transaction type: <builtin: TPC-B (sort of)>\n"
      "number of clients: 32\n"
      "latency average = 12.345 ms\n"
      "initial connection time = 20.1 ms\n"
      "tps = 2592.123456 (without initial connection time)\n";
  auto tps = ParsePgbenchTps(out15);
  ASSERT_TRUE(tps.has_value());
  EXPECT_NEAR(*tps, 2592.123456, 1e-6);
  const std::string out12 =
      "tps = 1000.5 (including connections establishing)\n"
      "tps = 1100.25 (excluding connections establishing)\n";
  EXPECT_NEAR(*ParsePgbenchTps(out12), 1100.25, 1e-9);
  EXPECT_FALSE(ParsePgbenchTps("connection to server failed").has_value());
}

TEST(Parsers, RedisBenchmark) {
  const std::string quiet =
      "EVALSHA abc 4 k1 k2 k3 k4 o u 1: rps=0.0 (overall: nan) avg_msec=nan"
      "\rEVALSHA abc 4 k1 k2 k3 k4 o u 1: 85034.01 requests per second, "
      "p50=0.295 msec\n";
  auto rps = ParseRedisBenchmarkRps(quiet);
  ASSERT_TRUE(rps.has_value());
  EXPECT_NEAR(*rps, 85034.01, 1e-6);
  const std::string full =
      "Summary:\n  throughput summary: 123456.79 requests per second\n";
  EXPECT_NEAR(*ParseRedisBenchmarkRps(full), 123456.79, 1e-6);
  EXPECT_FALSE(ParseRedisBenchmarkRps("Could not connect").has_value());
  EXPECT_FALSE(ParseRedisBenchmarkRps("x: requests per second").has_value());
}

}  // namespace
}  // namespace turnstile::bench
