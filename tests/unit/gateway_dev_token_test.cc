// The dev-only sign-in's pure part (services/gateway/dev_token.h): the
// request body's shape, the token's claims (the gateway's own issuer and
// audience, an hour, the admin role only when asked), checked with the
// gateway's real verifier; and the request kind (POST /dev/token only with
// --dev_token_endpoint, 404 otherwise).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "nlohmann/json.hpp"
#include "services/gateway/dev_token.h"
#include "services/gateway/jwt/jwt_verifier.h"
#include "services/gateway/request_kind.h"

namespace turnstile::gateway {
namespace {

constexpr int64_t kNow = 1'700'000'000;
const std::string kSecret = "0123456789abcdef0123456789abcdef-dev-secret";
const DevTokenConfig kConfig{kSecret, "turnstile-local", "turnstile"};

std::unique_ptr<JwtVerifier> Verifier() {
  char dir[] = "/tmp/turnstile-devtoken-XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  const std::string file = std::string(dir) + "/secret";
  std::ofstream(file) << kSecret << "\n";
  auto v = JwtVerifier::Create({.hs256_secret_file = file,
                                .issuer = "turnstile-local",
                                .audience = "turnstile"});
  std::remove(file.c_str());
  rmdir(dir);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *std::move(v) : nullptr;
}

TEST(DevToken, MintsABuyerTokenByDefaultAndAnOperatorOnlyWhenAsked) {
  auto verifier = Verifier();
  ASSERT_NE(verifier, nullptr);
  DevTokenAnswer a = MintDevToken(kConfig, R"({"user":"alice"})", kNow);
  ASSERT_EQ(a.http_status, 200) << a.json;
  auto body = nlohmann::json::parse(a.json);
  EXPECT_EQ(body.size(), 2u);
  EXPECT_EQ(body["expires_at"], kNow + kDevTokenTtlS);
  auto out = verifier->Verify(body["token"].get<std::string>(), kNow + 10);
  ASSERT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.principal.user, "alice");
  EXPECT_FALSE(out.principal.admin);
  EXPECT_EQ(out.principal.expires_at_s, kNow + 3600);
  EXPECT_FALSE(
      verifier->Verify(body["token"].get<std::string>(), kNow + 3700).ok);

  a = MintDevToken(kConfig, R"({"user":"alice","admin":false})", kNow);
  ASSERT_EQ(a.http_status, 200);
  out = verifier->Verify(nlohmann::json::parse(a.json)["token"], kNow);
  EXPECT_FALSE(out.principal.admin);
  a = MintDevToken(kConfig, R"({"user":"ops","admin":true})", kNow);
  ASSERT_EQ(a.http_status, 200);
  out = verifier->Verify(nlohmann::json::parse(a.json)["token"], kNow);
  ASSERT_TRUE(out.ok);
  EXPECT_TRUE(out.principal.admin);
  EXPECT_EQ(out.principal.user, "ops");
}

TEST(DevToken, RefusesAnyOtherBody) {
  for (
      const char* bad :
      {"", "null", "[]", "\"alice\"", "{", "{}", R"({"user":""})",
       R"({"user":7})", R"({"user":"a b"})", R"({"user":"al}ce"})",
       R"({"user":"alice","admin":"yes"})", R"({"user":"alice","admin":1})",
       R"({"user":"alice","role":"admin"})",
       R"({"user":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})"}) {
    const DevTokenAnswer a = MintDevToken(kConfig, bad, kNow);
    EXPECT_EQ(a.http_status, 400) << bad;
    auto body = nlohmann::json::parse(a.json, nullptr, false);
    EXPECT_TRUE(body.is_object() && body.contains("error")) << a.json;
    EXPECT_FALSE(body.contains("token"));
  }
  // A secret the minter refuses is a server error, not a token.
  const DevTokenAnswer broken =
      MintDevToken({"short", "i", "a"}, R"({"user":"alice"})", kNow);
  EXPECT_EQ(broken.http_status, 500);
}

TEST(DevToken, OnlyPostToThePathAndOnlyWhenOn) {
  RequestFacts f{.post = true, .target = "/dev/token", .dev_token = true};
  EXPECT_EQ(ClassifyRequest(f).kind, RequestKind::kDevToken);
  f.target = "/dev/token?x=1";
  EXPECT_EQ(ClassifyRequest(f).kind, RequestKind::kDevToken);
  f.target = "/dev/token/x";
  EXPECT_NE(ClassifyRequest(f).kind, RequestKind::kDevToken);
  f.target = "/dev/token";
  f.dev_token = false;
  EXPECT_EQ(ClassifyRequest(f).kind, RequestKind::kNotFound);
  f.dev_token = true;
  f.post = false;
  f.get_or_head = true;
  EXPECT_NE(ClassifyRequest(f).kind, RequestKind::kDevToken);
  // A page of a foreign origin may not mint tokens.
  RequestFacts foreign{.post = true,
                       .target = "/dev/token",
                       .origin = "https://evil.example",
                       .origin_allowed = false,
                       .dev_token = true};
  EXPECT_EQ(ClassifyRequest(foreign).kind, RequestKind::kForbiddenOrigin);
}

}  // namespace
}  // namespace turnstile::gateway
