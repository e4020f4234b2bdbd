// The gRPC-web wire rules of the edge without a socket: content types,
// base64 chunks with padding between them, unary framing errors, trailer
// blocks, grpc-message escaping and grpc-timeout units.
#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "services/common/status.h"
#include "services/gateway/grpc_web_codec.h"

namespace turnstile::gateway {
namespace {

std::string Frame(uint8_t flag, const std::string& payload) {
  std::string out;
  AppendFrameHeader(flag, static_cast<uint32_t>(payload.size()), &out);
  return out + payload;
}

TEST(GrpcWebCodec, ContentTypes) {
  EXPECT_EQ(ParseContentType("application/grpc-web"), WebFormat::kBinary);
  EXPECT_EQ(ParseContentType("application/grpc-web+proto"), WebFormat::kBinary);
  EXPECT_EQ(ParseContentType("Application/GRPC-Web+proto; charset=x"),
            WebFormat::kBinary);
  EXPECT_EQ(ParseContentType("application/grpc-web-text"), WebFormat::kText);
  EXPECT_EQ(ParseContentType("application/grpc-web-text+proto"),
            WebFormat::kText);
  EXPECT_FALSE(ParseContentType("application/grpc-web+json"));
  EXPECT_FALSE(ParseContentType("application/grpc"));
  EXPECT_FALSE(ParseContentType("application/json"));
  EXPECT_FALSE(ParseContentType(""));
  EXPECT_EQ(ResponseContentType(WebFormat::kText, "application/grpc-web-text"),
            "application/grpc-web-text");
  EXPECT_EQ(
      ResponseContentType(WebFormat::kBinary, "application/grpc-web+proto"),
      "application/grpc-web+proto");
}

TEST(GrpcWebCodec, Base64ChunksWithPaddingBetweenThem) {
  std::string out;
  const std::string a = Frame(0, "ab");  // 7 bytes: padded base64
  const std::string b = Frame(0x80, "grpc-status: 0\r\n");
  ASSERT_TRUE(
      DecodeBase64Chunks(absl::Base64Escape(a) + absl::Base64Escape(b), &out)
          .ok());
  EXPECT_EQ(out, a + b);
  ASSERT_TRUE(DecodeBase64Chunks("", &out).ok());
  EXPECT_EQ(out, "");
  for (const char* bad : {"A", "AB=C", "====", "AB===", "A=BC", "ab!d",
                          "QUJD\n", "QQ=", "QQ==QQ"}) {
    const auto s = DecodeBase64Chunks(bad, &out);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(ReasonOf(s), "BAD_BASE64") << bad;
  }
}

TEST(GrpcWebCodec, UnaryRequestMessage) {
  auto ok = UnaryRequestMessage(Frame(0, "hello"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "hello");
  auto empty = UnaryRequestMessage(Frame(0, ""));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");

  const std::string good = Frame(0, "hello");
  struct Case {
    std::string body;
    absl::StatusCode code;
    const char* reason;
  } cases[] = {
      {"", absl::StatusCode::kInvalidArgument, "BAD_FRAME"},
      {good.substr(0, 3), absl::StatusCode::kInvalidArgument, "BAD_FRAME"},
      {good.substr(0, good.size() - 1), absl::StatusCode::kInvalidArgument,
       "BAD_FRAME"},  // length beyond the body
      {good + "x", absl::StatusCode::kInvalidArgument, "BAD_FRAME"},
      {good + good, absl::StatusCode::kInvalidArgument, "BAD_FRAME"},
      {Frame(0x80, "a: b\r\n"), absl::StatusCode::kInvalidArgument,
       "BAD_FRAME"},
      {Frame(0x02, "x"), absl::StatusCode::kInvalidArgument, "BAD_FRAME"},
      {Frame(0x01, "x"), absl::StatusCode::kUnimplemented,
       "COMPRESSION_UNSUPPORTED"},
  };
  for (const auto& c : cases) {
    auto r = UnaryRequestMessage(c.body);
    ASSERT_FALSE(r.ok()) << absl::CEscape(c.body);
    EXPECT_EQ(r.status().code(), c.code) << absl::CEscape(c.body);
    EXPECT_EQ(ReasonOf(r.status()), c.reason) << absl::CEscape(c.body);
  }
}

TEST(GrpcWebCodec, TrailersAndMessages) {
  EXPECT_EQ(TrailerBlock({{"grpc-status", "0"}, {"X-A", "b"}}),
            "grpc-status: 0\r\nx-a: b\r\n");
  EXPECT_EQ(PercentEncodeMessage("sold out: 100%\n\xc3\xa9"),
            "sold out: 100%25%0A%C3%A9");
  EXPECT_EQ(Base64Unpadded("a"), "YQ");
  EXPECT_EQ(Base64("a"), "YQ==");
}

TEST(GrpcWebCodec, GrpcTimeout) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(ParseGrpcTimeout("50m"), nanoseconds(50'000'000));
  EXPECT_EQ(ParseGrpcTimeout("1S"), nanoseconds(1'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("2M"), nanoseconds(120'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("1H"), nanoseconds(3'600'000'000'000));
  EXPECT_EQ(ParseGrpcTimeout("7u"), nanoseconds(7'000));
  EXPECT_EQ(ParseGrpcTimeout("9n"), nanoseconds(9));
  EXPECT_EQ(ParseGrpcTimeout("99999999m"), nanoseconds(99'999'999'000'000));
  for (const char* bad :
       {"", "m", "5", "5x", "-5m", "123456789m", "5 m", "1.5S"}) {
    EXPECT_FALSE(ParseGrpcTimeout(bad)) << bad;
  }
}

}  // namespace
}  // namespace turnstile::gateway
