// The log line shapes of --log_format (services/common/log_format.h): the
// key=value parser on the messages the services really write, the JSON line
// built from them (every line valid JSON, whatever the message holds), and
// the trace suffix of text lines.
#include "services/common/log_format.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <string>

#include "services/common/log_setup.h"
#include "services/common/trace_scope.h"

namespace turnstile {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

TEST(LogFormat, Names) {
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_FALSE(ParseLogFormat("JSON"));
  EXPECT_FALSE(ParseLogFormat(""));
}

TEST(ParseKeyValues, PlainAndQuotedValues) {
  const ParsedMessage m = ParseKeyValues(
      "event=stock_refused gid=018f-1 branch=inventory "
      "code=FAILED_PRECONDITION "
      "reason=SOLD_OUT error=\"sold out: only 0 left\"");
  EXPECT_EQ(m.fields, (Fields{{"event", "stock_refused"},
                              {"gid", "018f-1"},
                              {"branch", "inventory"},
                              {"code", "FAILED_PRECONDITION"},
                              {"reason", "SOLD_OUT"},
                              {"error", "sold out: only 0 left"}}));
  EXPECT_EQ(m.msg, "");
}

TEST(ParseKeyValues, EscapesAndEmptyValues) {
  const ParsedMessage m =
      ParseKeyValues(R"(a="say \"hi\" \\ there" b= c="" d=x\y)");
  EXPECT_EQ(m.fields, (Fields{{"a", R"(say "hi" \ there)"},
                              {"b", ""},
                              {"c", ""},
                              {"d", R"(x\y)"}}));
}

TEST(ParseKeyValues, UnescapedQuotesInsideAValueStayInIt) {
  // Today's messages put status texts in "..." without escaping them.
  ParsedMessage m = ParseKeyValues(
      "event=bad_flag flag=participants error=\"participant \"x\" is not "
      "name=target\" next=1");
  EXPECT_EQ(m.fields, (Fields{{"event", "bad_flag"},
                              {"flag", "participants"},
                              {"error", "participant \"x\" is not name=target"},
                              {"next", "1"}}));
  m = ParseKeyValues("note=\"a \"b\" c\"");
  EXPECT_EQ(m.fields, (Fields{{"note", "a \"b\" c"}}));
}

TEST(ParseKeyValues, BareWordsGoToMsg) {
  ParsedMessage m = ParseKeyValues(
      "event=order_reserved gid=g user=u total=1000 EUR window_s=900");
  EXPECT_EQ(m.fields, (Fields{{"event", "order_reserved"},
                              {"gid", "g"},
                              {"user", "u"},
                              {"total", "1000"},
                              {"window_s", "900"}}));
  EXPECT_EQ(m.msg, "EUR");
  m = ParseKeyValues(
      "event=serving_health listen=127.0.0.1:1 (plaintext, health only)");
  EXPECT_EQ(m.fields,
            (Fields{{"event", "serving_health"}, {"listen", "127.0.0.1:1"}}));
  EXPECT_EQ(m.msg, "(plaintext, health only)");
  // A quoted value followed by bare words ends at its last quote.
  m = ParseKeyValues("a=\"x y\" and more");
  EXPECT_EQ(m.fields, (Fields{{"a", "x y"}}));
  EXPECT_EQ(m.msg, "and more");
  // Not a key: starts with a digit, or no '='.
  m = ParseKeyValues("1=2 =3 just text");
  EXPECT_TRUE(m.fields.empty());
  EXPECT_EQ(m.msg, "1=2 =3 just text");
}

TEST(ParseKeyValues, UnterminatedQuoteAndRepeatedKeys) {
  ParsedMessage m = ParseKeyValues("event=x error=\"no end here");
  EXPECT_EQ(m.fields, (Fields{{"event", "x"}}));
  EXPECT_EQ(m.msg, "error=\"no end here");
  m = ParseKeyValues("a=1 a=2 b=3");
  EXPECT_EQ(m.fields, (Fields{{"a", "1"}, {"b", "3"}}));
  EXPECT_EQ(m.msg, "a=2");
  EXPECT_TRUE(ParseKeyValues("").fields.empty());
  EXPECT_EQ(ParseKeyValues("   ").msg, "");
}

TEST(HasKey, AtStartOrAfterABlank) {
  EXPECT_TRUE(HasKey("gid=1", "gid"));
  EXPECT_TRUE(HasKey("event=x gid=1", "gid"));
  EXPECT_FALSE(HasKey("event=x hold_gid=1", "gid"));
  EXPECT_FALSE(HasKey("event=gid", "gid"));
  EXPECT_FALSE(HasKey("gid", "gid"));
  EXPECT_TRUE(HasKey("a=gid= gid=2", "gid"));
}

TEST(JsonLine, FieldsInOrderWithTraceAndGid) {
  const std::string line =
      JsonLine({"2024-05-01T12:00:00.123Z", "info", "order",
                "event=order_committed gid=g1 state=TXN_STATE_CONFIRMED",
                "4bf92f3577b34da6a3ce929d0e0e4736", "g1"});
  EXPECT_EQ(line,
            "{\"ts\":\"2024-05-01T12:00:00.123Z\",\"level\":\"info\","
            "\"svc\":\"order\",\"event\":\"order_committed\",\"gid\":\"g1\","
            "\"state\":\"TXN_STATE_CONFIRMED\","
            "\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}");
  // A gid that the message lacks is added; none when none is current.
  auto j = nlohmann::json::parse(
      JsonLine({"t", "debug", "seat", "event=x", "", "g2"}));
  EXPECT_EQ(j["gid"], "g2");
  EXPECT_FALSE(j.contains("trace_id"));
  EXPECT_FALSE(j.contains("msg"));
}

TEST(JsonLine, ReservedNamesAndTextGoToMsg) {
  auto j = nlohmann::json::parse(
      JsonLine({"t", "warning", "gateway",
                "level=fake ts=1 event=e plain words", "", ""}));
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["ts"], "t");
  EXPECT_EQ(j["event"], "e");
  EXPECT_EQ(j["msg"], "level=fake ts=1 plain words");
}

TEST(JsonLine, AlwaysValidJson) {
  // Control characters, quotes, backslashes and invalid UTF-8 in messages:
  // the line still parses, and never throws.
  const std::string nasty = std::string("error=\"a\\\"b\x01\n\t\xff\xfe") +
                            "\" raw=\"\\" + "\xc3\x28" + " end\\";
  auto j = nlohmann::json::parse(JsonLine({"t", "error", "s", nasty, "", ""}));
  EXPECT_EQ(j["svc"], "s");
  std::mt19937 rng(7);
  const std::string alphabet = "ab= \"\\\x01\xff\xc3{}[]:,x-_.";
  for (int i = 0; i < 2000; ++i) {
    std::string message;
    const int n = rng() % 40;
    for (int k = 0; k < n; ++k)
      message.push_back(alphabet[rng() % alphabet.size()]);
    const std::string line = JsonLine({"t", "info", "s", message, "", ""});
    EXPECT_TRUE(nlohmann::json::accept(line)) << message;
  }
}

TEST(TextSuffix, AddsWhatTheMessageLacks) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  EXPECT_EQ(TextSuffix("event=x gid=g", trace, "g"), " trace_id=" + trace);
  EXPECT_EQ(TextSuffix("event=x", trace, "g"), " gid=g trace_id=" + trace);
  EXPECT_EQ(TextSuffix("event=x trace_id=t", trace, ""), "");
  EXPECT_EQ(TextSuffix("event=x", "", ""), "");
}

// The process logger's formatters (log_setup.h) on a real spdlog logger.
class LoggerTest : public ::testing::Test {
 protected:
  spdlog::logger Logger(LogFormat format) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out_);
    spdlog::logger logger("test", sink);
    logger.set_formatter(MakeLogFormatter("order", format));
    logger.set_level(spdlog::level::debug);
    return logger;
  }
  std::vector<std::string> Lines() {
    std::vector<std::string> lines;
    std::string line;
    std::istringstream in(out_.str());
    while (std::getline(in, line)) lines.push_back(line);
    return lines;
  }
  std::ostringstream out_;
};

TEST_F(LoggerTest, TextIsTodaysLineWithTheTraceAppended) {
  auto logger = Logger(LogFormat::kText);
  const std::string gid = "018f2c3e-7a5b-7c3d-8e9f-0a1b2c3d4e5f";
  logger.info("event=serving listen={}", "127.0.0.1:1");
  const TraceContext trace = NewTrace();
  const std::string id(trace.trace_id_view());
  {
    const TraceScope scope(trace);
    logger.warn("event=order_aborted gid={} branch=seat", gid);
    const GidScope in_txn(gid);
    logger.debug("event=internal_error ref=r1");
  }
  logger.info("event=done");
  const auto lines = Lines();
  ASSERT_EQ(lines.size(), 4u);
  const std::string stamp =
      R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d)";
  EXPECT_TRUE(std::regex_match(
      lines[0], std::regex(stamp + " level=info svc=order event=serving "
                                   "listen=127\.0\.0\.1:1")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(lines[1],
                               std::regex(stamp +
                                          " level=warning svc=order "
                                          "event=order_aborted gid=" +
                                          gid + " branch=seat trace_id=" + id)))
      << lines[1];
  EXPECT_TRUE(
      std::regex_match(lines[2], std::regex(stamp +
                                            " level=debug svc=order "
                                            "event=internal_error ref=r1 gid=" +
                                            gid + " trace_id=" + id)))
      << lines[2];
  EXPECT_TRUE(std::regex_match(
      lines[3], std::regex(stamp + " level=info svc=order event=done")))
      << lines[3];
}

TEST_F(LoggerTest, JsonIsOneObjectPerLine) {
  auto logger = Logger(LogFormat::kJson);
  const TraceContext trace = NewTrace();
  logger.info("event=serving listen={}", "127.0.0.1:1");
  {
    const TraceScope scope(trace);
    logger.error("event=capture_failed gid={} error=\"{}\"", "g", "a \"b\"");
  }
  const auto lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  const auto first = nlohmann::json::parse(lines[0]);
  EXPECT_TRUE(
      std::regex_match(first["ts"].get<std::string>(),
                       std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << first["ts"];
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["svc"], "order");
  EXPECT_EQ(first["event"], "serving");
  EXPECT_EQ(first["listen"], "127.0.0.1:1");
  EXPECT_FALSE(first.contains("trace_id"));
  const auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "error");
  EXPECT_EQ(second["gid"], "g");
  EXPECT_EQ(second["error"], "a \"b\"");
  EXPECT_EQ(second["trace_id"], std::string(trace.trace_id_view()));
}

}  // namespace
}  // namespace turnstile
