// The pure parts of the gateway's JWT code (services/gateway/jwt/): strict
// base64url (RFC 4648 vectors, one spelling per byte string), the claim
// checks as a function of payload, policy and time, the choice of a JWKS key
// by family and kid, and the exact form of a minted HS256 token.
#include "services/gateway/jwt/jwt_claims.h"

#include <gtest/gtest.h>

#include <string>

#include "nlohmann/json.hpp"
#include "services/gateway/jwt/base64url.h"
#include "services/gateway/jwt/jwks.h"
#include "services/gateway/jwt/jwt_mint.h"

namespace turnstile::gateway {
namespace {

using nlohmann::json;

TEST(Base64UrlTest, Rfc4648VectorsWithoutPadding) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                         {"f", "Zg"},
                                                         {"fo", "Zm8"},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg"},
                                                         {"fooba", "Zm9vYmE"},
                                                         {"foobar", "Zm9vYmFy"},
                                                         {"\xfb\xff", "-_8"}};
  for (const auto& [bytes, text] : vectors) {
    EXPECT_EQ(Base64UrlEncode(bytes), text);
    ASSERT_TRUE(Base64UrlDecode(text).has_value()) << text;
    EXPECT_EQ(*Base64UrlDecode(text), bytes);
  }
}

TEST(Base64UrlTest, EveryByteRoundTrips) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t len = 0; len <= all.size(); len += 37) {
    const std::string part = all.substr(0, len);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(part)), part);
  }
}

TEST(Base64UrlTest, OnlyTheCanonicalSpellingDecodes) {
  for (const char* text : {"Zg==", "Zm8=", "Z", "Zm9vY", "+/8", "Zm 9v",
                           "Zm9v\n", "Zh", "Zm9", "Zm8.", "\xc3\xa9"}) {
    EXPECT_FALSE(Base64UrlDecode(text).has_value()) << text;
  }
  // "Zh" and "Zm9" carry non-zero unused bits; their canonical forms do.
  EXPECT_TRUE(Base64UrlDecode("Zg").has_value());
  EXPECT_TRUE(Base64UrlDecode("Zm8").has_value());
}

const ClaimPolicy kPolicy = {"iss-x", "aud-x", 30};
constexpr int64_t kNow = 1'800'000'000;

json Payload() {
  return {
      {"iss", "iss-x"}, {"aud", "aud-x"}, {"sub", "u-1"}, {"exp", kNow + 60}};
}

TEST(CheckClaimsTest, ThePrincipal) {
  json p = Payload();
  p["roles"] = {"x", "admin"};
  p["exp"] = static_cast<double>(kNow) + 60.9;
  const auto out = CheckClaims(p, kPolicy, kNow);
  ASSERT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.principal.user, "u-1");
  EXPECT_TRUE(out.principal.admin);
  EXPECT_EQ(out.principal.expires_at_s, kNow + 60);  // floored
  EXPECT_TRUE(out.reason.empty());
}

TEST(CheckClaimsTest, ShapeBeforeIssuerBeforeAudienceBeforeTime) {
  json p = Payload();
  p["iss"] = "other";
  p["aud"] = "other";
  p["exp"] = kNow - 100;
  EXPECT_EQ(CheckClaims(p, kPolicy, kNow).reason, kTokenBadIssuer);
  p["iss"] = "iss-x";
  EXPECT_EQ(CheckClaims(p, kPolicy, kNow).reason, kTokenBadAudience);
  p["aud"] = "aud-x";
  EXPECT_EQ(CheckClaims(p, kPolicy, kNow).reason, kTokenExpired);
  p["sub"] = "";
  EXPECT_EQ(CheckClaims(p, kPolicy, kNow).reason, kTokenMalformed);
  EXPECT_EQ(CheckClaims(json::array(), kPolicy, kNow).reason, kTokenMalformed);
}

TEST(CheckClaimsTest, SkewIsSymmetricAroundNow) {
  json p = Payload();
  p["exp"] = kNow - 29;
  p["nbf"] = kNow + 29;
  p["iat"] = kNow + 29;
  EXPECT_TRUE(CheckClaims(p, kPolicy, kNow).ok);
  EXPECT_EQ(CheckClaims(p, {"iss-x", "aud-x", 0}, kNow).reason, kTokenExpired);
  p["exp"] = kNow + 60;
  EXPECT_EQ(CheckClaims(p, {"iss-x", "aud-x", 0}, kNow).reason,
            kTokenNotYetValid);
}

TEST(SelectKeyTest, ByFamilyAndKid) {
  // SelectKey never touches the EVP key itself.
  KeySet set;
  set.keys.push_back({"r1", KeyFamily::kRsa, nullptr});
  set.keys.push_back({"r2", KeyFamily::kRsa, nullptr});
  set.keys.push_back({"e1", KeyFamily::kEcP256, nullptr});
  EXPECT_EQ(SelectKey(set, KeyFamily::kRsa, "r2").key, &set.keys[1]);
  EXPECT_EQ(SelectKey(set, KeyFamily::kEcP256, std::nullopt).key, &set.keys[2]);
  for (const auto& choice :
       {SelectKey(set, KeyFamily::kRsa, std::nullopt),  // two candidates
        SelectKey(set, KeyFamily::kRsa, "e1"),          // other family
        SelectKey(set, KeyFamily::kEcP256, "r1"),
        SelectKey(set, KeyFamily::kRsa, "nope"),
        SelectKey(KeySet{}, KeyFamily::kRsa, std::nullopt)}) {
    EXPECT_EQ(choice.key, nullptr);
    EXPECT_EQ(choice.reason, kTokenUnknownKey);
    EXPECT_FALSE(choice.message.empty());
  }
}

const std::string kSecret(32, 'k');

json Segment(const std::string& token, int index) {
  size_t start = 0;
  for (int i = 0; i < index; ++i) start = token.find('.', start) + 1;
  const size_t end = token.find('.', start);
  return json::parse(*Base64UrlDecode(token.substr(start, end - start)));
}

TEST(MintHs256Test, HeaderAndClaims) {
  auto token = MintHs256(kSecret, {.user = "alice",
                                   .admin = false,
                                   .ttl_s = 90,
                                   .issuer = "i",
                                   .audience = "a",
                                   .now_s = kNow});
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(*Base64UrlDecode(token->substr(0, token->find('.'))),
            R"({"alg":"HS256","typ":"JWT"})");
  const json claims = Segment(*token, 1);
  EXPECT_EQ(claims, (json{{"iss", "i"},
                          {"aud", "a"},
                          {"sub", "alice"},
                          {"iat", kNow},
                          {"nbf", kNow},
                          {"exp", kNow + 90},
                          {"roles", json::array()}}));
  auto admin = MintHs256(kSecret, {.user = "root",
                                   .admin = true,
                                   .issuer = "i",
                                   .audience = "a",
                                   .now_s = kNow});
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(Segment(*admin, 1)["roles"], json::array({"admin"}));
  EXPECT_EQ(Segment(*admin, 1)["exp"], kNow + 3600);
}

TEST(MintHs256Test, RefusesBadInput) {
  const MintClaims good = {
      .user = "alice", .issuer = "i", .audience = "a", .now_s = kNow};
  EXPECT_TRUE(MintHs256(kSecret, good).ok());
  EXPECT_FALSE(MintHs256(std::string(31, 'k'), good).ok());
  for (const std::string& user :
       {std::string(""), std::string("a b"), std::string(65, 'u')}) {
    MintClaims c = good;
    c.user = user;
    EXPECT_FALSE(MintHs256(kSecret, c).ok()) << user;
  }
  for (int64_t ttl : {int64_t{0}, int64_t{-5}, kMaxMintTtlS + 1}) {
    MintClaims c = good;
    c.ttl_s = ttl;
    EXPECT_FALSE(MintHs256(kSecret, c).ok()) << ttl;
  }
  MintClaims c = good;
  c.audience = "";
  EXPECT_FALSE(MintHs256(kSecret, c).ok());
}

}  // namespace
}  // namespace turnstile::gateway
