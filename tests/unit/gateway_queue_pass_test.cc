// The waiting room's pass (services/gateway/waiting_room/queue_pass.h), no
// server: a signed pass names one product, one user and an expiry; every
// change to it -- payload, MAC, prefix, key, product, user -- makes it worth
// nothing (0), and the key is derived from the JWT secret, never the
// secret itself, so a pass is no token and a token no pass.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "services/gateway/jwt/base64url.h"
#include "services/gateway/jwt/jws_crypto.h"
#include "services/gateway/jwt/jwt_mint.h"
#include "services/gateway/waiting_room/queue_pass.h"

namespace turnstile::gateway {
namespace {

const std::string kJwtSecret = "0123456789abcdef0123456789abcdef-jwt-secret";
constexpr int64_t kExpiry = 1'900'000'000'000;

const QueueProduct kTee{QueueProduct::kSku, "tee"};
const QueueProduct kTeeRun{QueueProduct::kRun, "tee"};

std::unique_ptr<PassSigner> Signer(const std::string& jwt_secret = kJwtSecret) {
  auto signer = PassSigner::Create(DerivePassKey(jwt_secret));
  EXPECT_NE(signer, nullptr);
  return signer;
}

TEST(QueuePass, SignedPassVerifiesForItsProductAndUserOnly) {
  auto signer = Signer();
  const std::string pass = signer->Sign(kTee, "alice", kExpiry);
  EXPECT_EQ(pass.rfind("tsp1.", 0), 0u);
  EXPECT_LE(pass.size(), kMaxPassChars);
  EXPECT_EQ(signer->ExpiryFor(pass, kTee, "alice"), kExpiry);
  EXPECT_EQ(signer->ExpiryFor(pass, kTee, "bob"), 0);
  EXPECT_EQ(signer->ExpiryFor(pass, kTee, "alic"), 0);
  EXPECT_EQ(signer->ExpiryFor(pass, kTeeRun, "alice"), 0);
  EXPECT_EQ(signer->ExpiryFor(pass, {QueueProduct::kSku, "tee2"}, "alice"), 0);
  // The payload is readable (no secret in it) and exactly what it binds.
  const size_t dot = pass.find('.', 5);
  EXPECT_EQ(Base64UrlDecode(pass.substr(5, dot - 5)).value_or(""),
            absl::StrCat("sku:tee|alice|", kExpiry));
  // Another replica with the same JWT secret accepts it; another secret not.
  EXPECT_EQ(Signer()->ExpiryFor(pass, kTee, "alice"), kExpiry);
  EXPECT_EQ(Signer(kJwtSecret + "x")->ExpiryFor(pass, kTee, "alice"), 0);
  // The expiry is not checked against a clock here (Redis does that).
  EXPECT_EQ(signer->ExpiryFor(signer->Sign(kTee, "alice", 1), kTee, "alice"),
            1);
}

TEST(QueuePass, AnyTamperingIsWorthNothing) {
  auto signer = Signer();
  const std::string pass = signer->Sign(kTee, "alice", kExpiry);
  const size_t dot = pass.find('.', 5);
  const std::string mac = pass.substr(dot + 1);
  auto with_payload = [&](const std::string& payload) {
    return absl::StrCat("tsp1.", Base64UrlEncode(payload), ".", mac);
  };
  const std::string bad[] = {
      "",
      "tsp1.",
      "tsp1..",
      pass.substr(0, pass.size() - 1),
      pass + "A",
      pass + ".x",
      "tsp2." + pass.substr(5),
      "TSP1." + pass.substr(5),
      " " + pass,
      with_payload(absl::StrCat("sku:tee|alice|", kExpiry + 1)),
      with_payload(absl::StrCat("sku:tee|mallory|", kExpiry)),
      with_payload(absl::StrCat("run:tee|alice|", kExpiry)),
      with_payload(absl::StrCat("sku:tee|alice|", kExpiry, "|x")),
      // The MAC of another pass.
      absl::StrCat(
          pass.substr(0, dot + 1),
          signer->Sign(kTee, "bob", kExpiry)
              .substr(signer->Sign(kTee, "bob", kExpiry).find('.', 5) + 1)),
      // Signed with the JWT secret itself instead of the derived key.
      absl::StrCat(
          pass.substr(0, dot + 1),
          Base64UrlEncode(HmacSha256(kJwtSecret, pass.substr(5, dot - 5)))),
      std::string(kMaxPassChars + 1, 'a'),
  };
  for (const std::string& p : bad) {
    EXPECT_EQ(signer->ExpiryFor(p, kTee, "alice"), 0) << p;
  }
  // Well signed but a non-positive or non-numeric expiry.
  for (const std::string payload : {"sku:tee|alice|0", "sku:tee|alice|-5",
                                    "sku:tee|alice|soon", "sku:tee|alice|"}) {
    const std::string encoded = Base64UrlEncode(payload);
    const std::string forged = absl::StrCat(
        "tsp1.", encoded, ".",
        Base64UrlEncode(HmacSha256(DerivePassKey(kJwtSecret), encoded)));
    EXPECT_EQ(signer->ExpiryFor(forged, kTee, "alice"), 0) << payload;
  }
}

TEST(QueuePass, KeysAreLongEnoughAndNotTheJwtSecret) {
  EXPECT_EQ(PassSigner::Create("short"), nullptr);
  EXPECT_EQ(PassSigner::Create(std::string(31, 'k')), nullptr);
  EXPECT_NE(PassSigner::Create(std::string(32, 'k')), nullptr);
  EXPECT_NE(DerivePassKey(kJwtSecret), kJwtSecret);
  EXPECT_EQ(DerivePassKey(kJwtSecret).size(), 32u);
  EXPECT_NE(DerivePassKey(kJwtSecret), DerivePassKey(kJwtSecret + "x"));
  // A bearer token is no pass.
  auto token = MintHs256(kJwtSecret, {.user = "alice",
                                      .ttl_s = 600,
                                      .issuer = "i",
                                      .audience = "a",
                                      .now_s = 1'700'000'000});
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(Signer()->ExpiryFor(*token, kTee, "alice"), 0);
}

}  // namespace
}  // namespace turnstile::gateway
