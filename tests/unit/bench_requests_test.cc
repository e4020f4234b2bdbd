// The request files of the gateway benchmark (tools/bench_requests.h): the
// gRPC-web data frame on the wire (header bytes, empty and large messages),
// its inverse refusing what is not exactly one uncompressed frame, and the
// file format's round trip (binary bytes, empty tokens) and refusals (no
// magic line, a record cut anywhere).
#include "tools/bench_requests.h"

#include <gtest/gtest.h>

#include <string>

namespace turnstile::bench {
namespace {

using namespace std::string_literals;

TEST(GrpcWebFrame, HeaderIsFlagZeroAndBigEndianLength) {
  EXPECT_EQ(GrpcWebFrame("abc"), "\0\0\0\0\x03"s + "abc");
  EXPECT_EQ(GrpcWebFrame(""), "\0\0\0\0\0"s);
  const std::string big(70000, 'x');  // 0x00011170
  const std::string frame = GrpcWebFrame(big);
  EXPECT_EQ(frame.substr(0, 5), "\0\0\x01\x11\x70"s);
  EXPECT_EQ(frame.size(), 70005u);
}

TEST(GrpcWebFrameMessage, InvertsTheFrame) {
  const std::string message = "\x0a\x03req\x20\x01"s;
  const std::string frame = GrpcWebFrame(message);
  auto back = GrpcWebFrameMessage(frame);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, message);
}

TEST(GrpcWebFrameMessage, RefusesAnythingButOneUncompressedFrame) {
  EXPECT_FALSE(GrpcWebFrameMessage("\0\0\0"s).ok());           // short
  EXPECT_FALSE(GrpcWebFrameMessage("\x01\0\0\0\x01x"s).ok());  // compressed
  EXPECT_FALSE(GrpcWebFrameMessage("\x80\0\0\0\x01x"s).ok());  // trailer
  EXPECT_FALSE(GrpcWebFrameMessage("\0\0\0\0\x02x"s).ok());    // too long
  EXPECT_FALSE(GrpcWebFrameMessage(GrpcWebFrame("ab") + "c").ok());  // extra
}

TEST(RequestFile, RoundTrip) {
  std::string file(kRequestFileMagic);
  const PreparedRequest a{"/turnstile.v1.Order/PlaceOrder", "bench-buyer-0",
                          "h.p.s", GrpcWebFrame("\0\x01\xff"s)};
  const PreparedRequest b{"/turnstile.v1.Order/PlaceOrder", "bench-buyer-1", "",
                          GrpcWebFrame("")};
  AppendRequest(a, &file);
  AppendRequest(b, &file);
  auto parsed = ParseRequestFile(file);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].path, a.path);
  EXPECT_EQ((*parsed)[0].user, a.user);
  EXPECT_EQ((*parsed)[0].token, a.token);
  EXPECT_EQ((*parsed)[0].body, a.body);
  EXPECT_EQ((*parsed)[1].user, b.user);
  EXPECT_EQ((*parsed)[1].token, "");
  EXPECT_EQ((*parsed)[1].body, b.body);
}

TEST(RequestFile, EmptyFileHasNoRequests) {
  auto parsed = ParseRequestFile(kRequestFileMagic);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->empty());
}

TEST(RequestFile, RefusesAMissingMagicLine) {
  EXPECT_FALSE(ParseRequestFile("").ok());
  EXPECT_FALSE(ParseRequestFile("turnstile-bench-requests 2\n").ok());
}

TEST(RequestFile, RefusesARecordCutAnywhere) {
  std::string file(kRequestFileMagic);
  AppendRequest({"/p", "u", "t", GrpcWebFrame("m")}, &file);
  for (size_t cut = kRequestFileMagic.size() + 1; cut < file.size(); ++cut) {
    EXPECT_FALSE(ParseRequestFile(file.substr(0, cut)).ok()) << cut;
  }
}

}  // namespace
}  // namespace turnstile::bench
