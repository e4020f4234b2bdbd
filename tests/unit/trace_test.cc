// W3C trace context (services/common/trace.h) and the thread's current
// trace (trace_scope.h): what parses and what is refused, new traces and
// child spans, formatting, and scopes restoring what was current.
#include "services/common/trace.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>

#include "services/common/trace_scope.h"

namespace turnstile {
namespace {

constexpr char kTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr char kParent[] = "00f067aa0ba902b7";
constexpr char kHeader[] =
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(Traceparent, ParsesTheSpecificationsExample) {
  auto parsed = ParseTraceparent(kHeader);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id_view(), kTrace);
  EXPECT_EQ(parsed->span_id_view(), kParent);
  EXPECT_EQ(parsed->flags, 0x01);
  EXPECT_EQ(FormatTraceparent(*parsed), kHeader);
  // Blanks around the value (HTTP optional whitespace) are allowed.
  EXPECT_TRUE(ParseTraceparent(std::string(" \t") + kHeader + " "));
  auto unsampled = ParseTraceparent(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  ASSERT_TRUE(unsampled);
  EXPECT_EQ(unsampled->flags, 0);
}

TEST(Traceparent, RefusesMalformedHeaders) {
  const std::string good = kHeader;
  const std::vector<std::string> bad = {
      "",
      "00",
      good.substr(0, 54),     // truncated
      good + "-",             // v00 with a suffix
      good + "0",             //
      "ff" + good.substr(2),  // version ff
      "0g" + good.substr(2),  // not hex
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero ids
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // separators
      "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
      "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",  // shifted
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n",
      std::string(1000, 'a'),
  };
  for (const std::string& header : bad) {
    EXPECT_FALSE(ParseTraceparent(header).has_value()) << header;
  }
}

TEST(Traceparent, ReadsALaterVersionByItsPrefix) {
  auto later = ParseTraceparent(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes");
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->trace_id_view(), kTrace);
  // ...but only if what follows is separated by '-'.
  EXPECT_FALSE(ParseTraceparent(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x"));
  EXPECT_TRUE(ParseTraceparent(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(Traceparent, NewTracesAreValidAndDistinct) {
  std::set<std::string> traces, spans;
  for (int i = 0; i < 1000; ++i) {
    const TraceContext t = NewTrace();
    ASSERT_TRUE(t.valid());
    EXPECT_TRUE(IsValidTraceId(t.trace_id_view()));
    EXPECT_EQ(t.flags, 0x01);
    const std::string header = FormatTraceparent(t);
    auto again = ParseTraceparent(header);
    ASSERT_TRUE(again) << header;
    EXPECT_EQ(again->trace_id_view(), t.trace_id_view());
    EXPECT_EQ(again->span_id_view(), t.span_id_view());
    traces.emplace(t.trace_id_view());
    spans.emplace(t.span_id_view());
  }
  EXPECT_EQ(traces.size(), 1000u);
  EXPECT_EQ(spans.size(), 1000u);
  // Other threads draw other ids (each seeds its own generator).
  std::string other;
  std::thread([&] { other = std::string(NewTrace().trace_id_view()); }).join();
  EXPECT_EQ(traces.count(other), 0u);
}

TEST(Traceparent, ChildSpansKeepTheTraceAndFlags) {
  const TraceContext parent = *ParseTraceparent(
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
  const TraceContext child = ChildSpan(parent);
  EXPECT_EQ(child.trace_id_view(), kTrace);
  EXPECT_NE(child.span_id_view(), parent.span_id_view());
  EXPECT_EQ(child.flags, 0);
  EXPECT_NE(ChildSpan(parent).span_id_view(), child.span_id_view());
  // No parent: a new trace.
  EXPECT_TRUE(ChildSpan(TraceContext()).valid());
  EXPECT_EQ(FormatTraceparent(TraceContext()), "");
}

TEST(Traceparent, TraceIdsAsStored) {
  EXPECT_TRUE(IsValidTraceId(kTrace));
  EXPECT_FALSE(IsValidTraceId(""));
  EXPECT_FALSE(IsValidTraceId(std::string(32, '0')));
  EXPECT_FALSE(IsValidTraceId("4BF92F3577B34DA6A3CE929D0E0E4736"));
  EXPECT_FALSE(IsValidTraceId(std::string(kTrace) + "0"));
  const TraceContext in = SpanInTrace(kTrace);
  ASSERT_TRUE(in.valid());
  EXPECT_EQ(in.trace_id_view(), kTrace);
  EXPECT_TRUE(ParseTraceparent(FormatTraceparent(in)));
  EXPECT_FALSE(SpanInTrace("").valid());
  EXPECT_FALSE(SpanInTrace("xyz").valid());
}

TEST(TraceScope, SetsAndRestoresTheThreadsTrace) {
  EXPECT_EQ(CurrentTrace(), nullptr);
  EXPECT_EQ(CurrentGid(), "");
  const std::string gid = "018f2c3e-7a5b-7c3d-8e9f-0a1b2c3d4e5f";
  const TraceContext outer = NewTrace();
  {
    const TraceScope a(outer, gid);
    ASSERT_NE(CurrentTrace(), nullptr);
    EXPECT_EQ(CurrentTrace()->trace_id_view(), outer.trace_id_view());
    EXPECT_EQ(CurrentGid(), gid);
    {
      // A new scope starts without the outer gid.
      const TraceContext inner = NewTrace();
      const TraceScope b(inner);
      EXPECT_EQ(CurrentTrace()->trace_id_view(), inner.trace_id_view());
      EXPECT_EQ(CurrentGid(), "");
      std::thread([] { EXPECT_EQ(CurrentTrace(), nullptr); }).join();
    }
    EXPECT_EQ(CurrentTrace()->trace_id_view(), outer.trace_id_view());
    EXPECT_EQ(CurrentGid(), gid);
    {
      const TraceScope none{TraceContext()};
      EXPECT_EQ(CurrentTrace(), nullptr);
    }
    EXPECT_NE(CurrentTrace(), nullptr);
  }
  EXPECT_EQ(CurrentTrace(), nullptr);
  EXPECT_EQ(CurrentGid(), "");
}

TEST(TraceScope, GidScopeTakesOnlyUuids) {
  const std::string gid = "018f2c3e-7a5b-7c3d-8e9f-0a1b2c3d4e5f";
  {
    const GidScope g(gid);
    EXPECT_EQ(CurrentGid(), gid);
    {
      // Caller-supplied text never reaches a log line through it.
      const GidScope bad("x gid=1 level=error trace_id=evil........");
      EXPECT_EQ(CurrentGid(), gid);
      const GidScope other("018f2c3e-7a5b-7c3d-8e9f-000000000000");
      EXPECT_EQ(CurrentGid(), "018f2c3e-7a5b-7c3d-8e9f-000000000000");
    }
    EXPECT_EQ(CurrentGid(), gid);
    EXPECT_EQ(CurrentTrace(), nullptr);
  }
  EXPECT_EQ(CurrentGid(), "");
}

}  // namespace
}  // namespace turnstile
