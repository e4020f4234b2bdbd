// The gateway's JWT verifier (services/gateway/jwt/), no server needed: RSA
// and P-256 keys are generated here with OpenSSL and published in a JWKS file
// in a temp dir, tokens are signed here (RS256/ES256 through EVP, HS256 with
// MintHs256 and by hand with OpenSSL's one-shot HMAC), and each rule of the
// verifier is one test: the three algorithms accepted, every other alg and
// every cross-family key refused (algorithm confusion), kid selection, the
// claim checks with their clock skew, malformed tokens, and the JWKS file
// followed through rewrites, broken rewrites and concurrent callers.
#include "services/gateway/jwt/jwt_verifier.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "nlohmann/json.hpp"
#include "services/gateway/jwt/base64url.h"
#include "services/gateway/jwt/jws_crypto.h"
#include "services/gateway/jwt/jwt_mint.h"

namespace turnstile::gateway {
namespace {

using nlohmann::json;

constexpr int64_t kNow = 1'700'000'000;
constexpr char kIssuer[] = "turnstile-test";
constexpr char kAudience[] = "turnstile";
const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";

// --- keys and signing, independent of the code under test ----------------

EvpPkeyPtr NewRsaKey() {
  return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
}

EvpPkeyPtr NewEcKey() {
  return EvpPkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

// The big-endian bytes of a BIGNUM parameter, left-padded to `width` if > 0.
std::string BnParam(EVP_PKEY* key, const char* name, int width = 0) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1) << name;
  const int size = width > 0 ? width : BN_num_bytes(bn);
  std::string out(size, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), size);
  BN_free(bn);
  return out;
}

json RsaJwk(EVP_PKEY* key, const std::string& kid) {
  json jwk = {{"kty", "RSA"},
              {"n", Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_RSA_N))},
              {"e", Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_RSA_E))}};
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk;
}

json EcJwk(EVP_PKEY* key, const std::string& kid) {
  json jwk = {
      {"kty", "EC"},
      {"crv", "P-256"},
      {"x", Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_X, 32))},
      {"y", Base64UrlEncode(BnParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32))}};
  if (!kid.empty()) jwk["kid"] = kid;
  return jwk;
}

std::string DigestSign(EVP_PKEY* key, const std::string& data) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EXPECT_EQ(EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key,
                                  nullptr),
            1);
  size_t len = 0;
  EXPECT_EQ(EVP_DigestSign(ctx, nullptr, &len,
                           reinterpret_cast<const unsigned char*>(data.data()),
                           data.size()),
            1);
  std::string sig(len, '\0');
  EXPECT_EQ(
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()),
      1);
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return sig;
}

// ES256 in JWS form: OpenSSL's DER turned into raw r||s.
std::string Es256Raw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  EXPECT_NE(sig, nullptr);
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig),
               reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig),
               reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

std::string HmacByHand(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

std::string PublicPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, len);
  BIO_free(bio);
  return pem;
}

std::string Segment(const json& value) { return Base64UrlEncode(value.dump()); }

enum class Signer { kHs256, kRs256, kEs256, kNone };

// header.payload.signature, signed with `key` (an HS secret for kHs256).
std::string Sign(const json& header, const json& claims, Signer signer,
                 EVP_PKEY* key = nullptr, const std::string& secret = kSecret) {
  const std::string input = Segment(header) + "." + Segment(claims);
  std::string sig;
  switch (signer) {
    case Signer::kHs256:
      sig = HmacByHand(secret, input);
      break;
    case Signer::kRs256:
      sig = DigestSign(key, input);
      break;
    case Signer::kEs256:
      sig = Es256Raw(DigestSign(key, input));
      break;
    case Signer::kNone:
      break;
  }
  return input + "." + Base64UrlEncode(sig);
}

json Claims(const std::string& user = "alice") {
  return {{"iss", kIssuer},  {"aud", kAudience}, {"sub", user},
          {"iat", kNow - 5}, {"nbf", kNow - 5},  {"exp", kNow + 600}};
}

json Header(const std::string& alg, const std::string& kid = "") {
  json header = {{"alg", alg}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  return header;
}

// The token with one byte of its signature changed.
std::string FlipSignatureByte(const std::string& token) {
  const size_t dot = token.rfind('.');
  std::string sig = *Base64UrlDecode(token.substr(dot + 1));
  sig[sig.size() / 2] ^= 0x01;
  return token.substr(0, dot + 1) + Base64UrlEncode(sig);
}

// --- fixture --------------------------------------------------------------

class JwtVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = NewRsaKey().release();
    rsa2_ = NewRsaKey().release();
    ec_ = NewEcKey().release();
    ec2_ = NewEcKey().release();
  }
  static void TearDownTestSuite() {
    for (EVP_PKEY* k : {rsa_, rsa2_, ec_, ec2_}) EVP_PKEY_free(k);
  }

  void SetUp() override {
    char dir[] = "/tmp/turnstile-jwt-test-XXXXXX";
    dir_ = mkdtemp(dir);
    secret_file_ = Write("hs256.secret", kSecret + "\n");
    jwks_file_ = WriteJwks({RsaJwk(rsa_, "rsa-1"), EcJwk(ec_, "ec-1")});
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  std::string Write(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    // Written beside and renamed, as a secret volume or an editor does.
    std::ofstream(path + ".tmp", std::ios::binary) << content;
    EXPECT_EQ(std::rename((path + ".tmp").c_str(), path.c_str()), 0);
    return path;
  }
  std::string WriteJwks(const std::vector<json>& keys) {
    return Write("jwks.json", json{{"keys", keys}}.dump());
  }

  JwtSettings Settings(bool hs = true, bool jwks = true) const {
    JwtSettings s;
    if (hs) s.hs256_secret_file = secret_file_;
    if (jwks) s.jwks_file = jwks_file_;
    s.issuer = kIssuer;
    s.audience = kAudience;
    s.clock_skew_s = 30;
    return s;
  }
  std::unique_ptr<JwtVerifier> Make(const JwtSettings& settings) {
    auto verifier = JwtVerifier::Create(settings);
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return verifier.ok() ? *std::move(verifier) : nullptr;
  }
  std::unique_ptr<JwtVerifier> Make() { return Make(Settings()); }

  static EVP_PKEY* rsa_;
  static EVP_PKEY* rsa2_;
  static EVP_PKEY* ec_;
  static EVP_PKEY* ec2_;
  std::string dir_, secret_file_, jwks_file_;
};

EVP_PKEY* JwtVerifierTest::rsa_ = nullptr;
EVP_PKEY* JwtVerifierTest::rsa2_ = nullptr;
EVP_PKEY* JwtVerifierTest::ec_ = nullptr;
EVP_PKEY* JwtVerifierTest::ec2_ = nullptr;

// Asserts a refusal with `reason` whose message does not quote the token.
void ExpectRefused(const VerifyOutcome& out, absl::string_view reason,
                   const std::string& token) {
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(std::string(out.reason), std::string(reason)) << out.message;
  EXPECT_FALSE(out.message.empty());
  for (size_t at = 0; at + 12 <= token.size(); at += 12) {
    EXPECT_EQ(out.message.find(token.substr(at, 12)), std::string::npos)
        << "message quotes the token: " << out.message;
  }
}

#define EXPECT_REFUSED(verifier, token, reason) \
  ExpectRefused((verifier)->Verify((token), kNow), (reason), (token))

// --- the three algorithms -------------------------------------------------

TEST_F(JwtVerifierTest, AcceptsHs256MintedAndByHand) {
  auto verifier = Make();
  auto minted = MintHs256(kSecret, {.user = "op:1",
                                    .admin = true,
                                    .ttl_s = 600,
                                    .issuer = kIssuer,
                                    .audience = kAudience,
                                    .now_s = kNow});
  ASSERT_TRUE(minted.ok()) << minted.status();
  auto out = verifier->Verify(*minted, kNow);
  ASSERT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.principal.user, "op:1");
  EXPECT_TRUE(out.principal.admin);
  EXPECT_EQ(out.principal.expires_at_s, kNow + 600);

  const std::string by_hand =
      Sign(Header("HS256"), Claims("bob"), Signer::kHs256);
  out = verifier->Verify(by_hand, kNow);
  ASSERT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.principal.user, "bob");
  EXPECT_FALSE(out.principal.admin);
}

TEST_F(JwtVerifierTest, AcceptsRs256AndEs256WithTheirKid) {
  auto verifier = Make();
  json claims = Claims("carol@example.com");
  claims["roles"] = {"buyer", "admin"};
  auto out = verifier->Verify(
      Sign(Header("RS256", "rsa-1"), claims, Signer::kRs256, rsa_), kNow);
  ASSERT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.principal.user, "carol@example.com");
  EXPECT_TRUE(out.principal.admin);

  claims["roles"] = {"buyer"};
  out = verifier->Verify(
      Sign(Header("ES256", "ec-1"), claims, Signer::kEs256, ec_), kNow);
  ASSERT_TRUE(out.ok) << out.message;
  EXPECT_FALSE(out.principal.admin);
}

TEST_F(JwtVerifierTest, OneKeyOfTheFamilyNeedsNoKid) {
  auto verifier = Make();
  EXPECT_TRUE(
      verifier
          ->Verify(Sign(Header("RS256"), Claims(), Signer::kRs256, rsa_), kNow)
          .ok);
  EXPECT_TRUE(
      verifier
          ->Verify(Sign(Header("ES256"), Claims(), Signer::kEs256, ec_), kNow)
          .ok);
}

TEST_F(JwtVerifierTest, SecretFileMayEndInWhitespace) {
  secret_file_ = Write("hs256.secret", kSecret + " \t\r\n\n");
  auto verifier = Make(Settings(true, false));
  EXPECT_TRUE(
      verifier->Verify(Sign(Header("HS256"), Claims(), Signer::kHs256), kNow)
          .ok);
}

// --- signatures -----------------------------------------------------------

TEST_F(JwtVerifierTest, ChangedSignatureOrClaimsIsBadSignature) {
  auto verifier = Make();
  for (const std::string& token :
       {Sign(Header("HS256"), Claims(), Signer::kHs256),
        Sign(Header("RS256", "rsa-1"), Claims(), Signer::kRs256, rsa_),
        Sign(Header("ES256", "ec-1"), Claims(), Signer::kEs256, ec_)}) {
    ASSERT_TRUE(verifier->Verify(token, kNow).ok);
    EXPECT_REFUSED(verifier, FlipSignatureByte(token), kTokenBadSignature);
    // Same signature over other claims (bob instead of alice).
    const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
    const std::string swapped =
        token.substr(0, dot1 + 1) + Segment(Claims("bob")) + token.substr(dot2);
    EXPECT_REFUSED(verifier, swapped, kTokenBadSignature);
    // Truncated and empty signatures.
    const std::string sig = *Base64UrlDecode(token.substr(dot2 + 1));
    EXPECT_REFUSED(verifier,
                   token.substr(0, dot2 + 1) +
                       Base64UrlEncode(sig.substr(0, sig.size() - 1)),
                   kTokenBadSignature);
    EXPECT_REFUSED(verifier, token.substr(0, dot2 + 1), kTokenBadSignature);
  }
}

TEST_F(JwtVerifierTest, WrongSecretOrWrongKeyIsBadSignature) {
  auto verifier = Make();
  EXPECT_REFUSED(
      verifier,
      Sign(Header("HS256"), Claims(), Signer::kHs256, nullptr, kSecret + "x"),
      kTokenBadSignature);
  EXPECT_REFUSED(
      verifier, Sign(Header("RS256", "rsa-1"), Claims(), Signer::kRs256, rsa2_),
      kTokenBadSignature);
  EXPECT_REFUSED(verifier,
                 Sign(Header("ES256", "ec-1"), Claims(), Signer::kEs256, ec2_),
                 kTokenBadSignature);
}

TEST_F(JwtVerifierTest, Es256WantsRawSignatureNotDer) {
  auto verifier = Make();
  const std::string input =
      Segment(Header("ES256", "ec-1")) + "." + Segment(Claims());
  const std::string der = DigestSign(ec_, input);
  EXPECT_REFUSED(verifier, input + "." + Base64UrlEncode(der),
                 kTokenBadSignature);
  EXPECT_TRUE(
      verifier->Verify(input + "." + Base64UrlEncode(Es256Raw(der)), kNow).ok);
}

// --- algorithms refused ---------------------------------------------------

TEST_F(JwtVerifierTest, AlgNoneIsRefusedWithOrWithoutSignature) {
  auto verifier = Make();
  EXPECT_REFUSED(verifier, Sign(Header("none"), Claims(), Signer::kNone),
                 kTokenAlgRefused);
  // "none" with an HS256 MAC attached anyway.
  EXPECT_REFUSED(verifier, Sign(Header("none"), Claims(), Signer::kHs256),
                 kTokenAlgRefused);
}

TEST_F(JwtVerifierTest, OnlyExactlyHs256Rs256Es256) {
  auto verifier = Make();
  for (const json& alg :
       {json("None"), json("NONE"), json("hs256"), json("HS384"), json("HS512"),
        json("RS512"), json("PS256"), json("ES384"), json("EdDSA"), json(""),
        json(256), json(nullptr), json::array()}) {
    json header = {{"alg", alg}};
    EXPECT_REFUSED(verifier, Sign(header, Claims(), Signer::kHs256),
                   kTokenAlgRefused);
  }
  EXPECT_REFUSED(verifier, Sign({{"typ", "JWT"}}, Claims(), Signer::kHs256),
                 kTokenAlgRefused);
}

TEST_F(JwtVerifierTest, Hs256WithThePublicKeyAsSecretIsRefused) {
  const std::string pem = PublicPem(rsa_);
  const std::string n = BnParam(rsa_, OSSL_PKEY_PARAM_RSA_N);
  const std::string n_b64 = RsaJwk(rsa_, "")["n"];
  const std::string ec_pem = PublicPem(ec_);
  // With the HS secret configured the MAC simply does not match; with only
  // the JWKS there is no HS256 key at all. Never is a public key a secret.
  auto both = Make();
  auto jwks_only = Make(Settings(false, true));
  for (const std::string& fake_secret : {pem, n, n_b64, ec_pem}) {
    for (const std::string& kid : {std::string(), std::string("rsa-1")}) {
      const std::string token = Sign(Header("HS256", kid), Claims(),
                                     Signer::kHs256, nullptr, fake_secret);
      EXPECT_REFUSED(both, token, kTokenBadSignature);
      EXPECT_REFUSED(jwks_only, token, kTokenUnknownKey);
    }
  }
}

TEST_F(JwtVerifierTest, KeysNeverCrossFamilies) {
  auto verifier = Make();
  // RS256 naming the EC key, ES256 naming the RSA key.
  EXPECT_REFUSED(verifier,
                 Sign(Header("RS256", "ec-1"), Claims(), Signer::kRs256, rsa_),
                 kTokenUnknownKey);
  EXPECT_REFUSED(verifier,
                 Sign(Header("ES256", "rsa-1"), Claims(), Signer::kEs256, ec_),
                 kTokenUnknownKey);
  // Correctly signed, but the header claims the other algorithm.
  EXPECT_REFUSED(verifier,
                 Sign(Header("ES256", "ec-1"), Claims(), Signer::kRs256, rsa_),
                 kTokenBadSignature);
  EXPECT_REFUSED(verifier,
                 Sign(Header("RS256", "rsa-1"), Claims(), Signer::kEs256, ec_),
                 kTokenBadSignature);
  // An HS-only verifier has no key for RS256/ES256.
  auto hs_only = Make(Settings(true, false));
  EXPECT_REFUSED(hs_only,
                 Sign(Header("RS256", "rsa-1"), Claims(), Signer::kRs256, rsa_),
                 kTokenUnknownKey);
}

// --- key selection --------------------------------------------------------

TEST_F(JwtVerifierTest, UnknownKidIsUnknownKey) {
  auto verifier = Make();
  EXPECT_REFUSED(verifier,
                 Sign(Header("RS256", "rsa-9"), Claims(), Signer::kRs256, rsa_),
                 kTokenUnknownKey);
  json header = Header("RS256");
  header["kid"] = 7;  // not a string
  EXPECT_REFUSED(verifier, Sign(header, Claims(), Signer::kRs256, rsa_),
                 kTokenMalformed);
}

TEST_F(JwtVerifierTest, KidRequiredWhenSeveralKeysFit) {
  jwks_file_ = WriteJwks(
      {RsaJwk(rsa_, "rsa-1"), RsaJwk(rsa2_, "rsa-2"), EcJwk(ec_, "ec-1")});
  auto verifier = Make();
  EXPECT_REFUSED(verifier,
                 Sign(Header("RS256"), Claims(), Signer::kRs256, rsa_),
                 kTokenUnknownKey);
  EXPECT_TRUE(verifier
                  ->Verify(Sign(Header("RS256", "rsa-2"), Claims(),
                                Signer::kRs256, rsa2_),
                           kNow)
                  .ok);
  // The single EC key still needs none.
  EXPECT_TRUE(
      verifier
          ->Verify(Sign(Header("ES256"), Claims(), Signer::kEs256, ec_), kNow)
          .ok);
}

TEST_F(JwtVerifierTest, JwkAlgAndUseMustFit) {
  json rs384 = RsaJwk(rsa_, "rsa-384");
  rs384["alg"] = "RS384";
  json enc = EcJwk(ec_, "ec-enc");
  enc["use"] = "enc";
  json good = RsaJwk(rsa2_, "rsa-ok");
  good["alg"] = "RS256";
  good["use"] = "sig";
  jwks_file_ = WriteJwks({rs384, enc, good});
  auto verifier = Make();
  EXPECT_REFUSED(
      verifier,
      Sign(Header("RS256", "rsa-384"), Claims(), Signer::kRs256, rsa_),
      kTokenUnknownKey);
  EXPECT_REFUSED(verifier,
                 Sign(Header("ES256", "ec-enc"), Claims(), Signer::kEs256, ec_),
                 kTokenUnknownKey);
  EXPECT_TRUE(verifier
                  ->Verify(Sign(Header("RS256", "rsa-ok"), Claims(),
                                Signer::kRs256, rsa2_),
                           kNow)
                  .ok);
}

TEST_F(JwtVerifierTest, EmptyJwksAcceptsOnlyHs256) {
  jwks_file_ = Write("jwks.json", R"({"keys":[]})");
  auto verifier = Make();
  EXPECT_REFUSED(verifier,
                 Sign(Header("RS256", "rsa-1"), Claims(), Signer::kRs256, rsa_),
                 kTokenUnknownKey);
  EXPECT_TRUE(
      verifier->Verify(Sign(Header("HS256"), Claims(), Signer::kHs256), kNow)
          .ok);
}

// --- claims ---------------------------------------------------------------

TEST_F(JwtVerifierTest, ExpiredAndNotYetValidWithSkew) {
  auto verifier = Make();
  auto with = [](const char* name, int64_t value) {
    json c = Claims();
    c[name] = value;
    return Sign(Header("HS256"), c, Signer::kHs256);
  };
  // exp: valid while now < exp + skew (30 s).
  EXPECT_TRUE(verifier->Verify(with("exp", kNow - 29), kNow).ok);
  EXPECT_REFUSED(verifier, with("exp", kNow - 30), kTokenExpired);
  EXPECT_REFUSED(verifier, with("exp", kNow - 3600), kTokenExpired);
  // nbf: valid from nbf - skew.
  EXPECT_TRUE(verifier->Verify(with("nbf", kNow + 30), kNow).ok);
  EXPECT_REFUSED(verifier, with("nbf", kNow + 31), kTokenNotYetValid);
  // iat in the future beyond the skew.
  EXPECT_TRUE(verifier->Verify(with("iat", kNow + 30), kNow).ok);
  EXPECT_REFUSED(verifier, with("iat", kNow + 31), kTokenNotYetValid);
  // Without skew the edges move.
  JwtSettings strict = Settings();
  strict.clock_skew_s = 0;
  auto no_skew = Make(strict);
  EXPECT_REFUSED(no_skew, with("exp", kNow), kTokenExpired);
  EXPECT_TRUE(no_skew->Verify(with("exp", kNow + 1), kNow).ok);
  EXPECT_REFUSED(no_skew, with("nbf", kNow + 1), kTokenNotYetValid);
}

TEST_F(JwtVerifierTest, NbfAndIatAreOptionalExpIsNot) {
  auto verifier = Make();
  json c = Claims();
  c.erase("nbf");
  c.erase("iat");
  EXPECT_TRUE(
      verifier->Verify(Sign(Header("HS256"), c, Signer::kHs256), kNow).ok);
  c.erase("exp");
  EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                 kTokenMalformed);
  // Fractional NumericDates are fine; strings are not.
  c = Claims();
  c["exp"] = static_cast<double>(kNow) + 60.5;
  EXPECT_TRUE(
      verifier->Verify(Sign(Header("HS256"), c, Signer::kHs256), kNow).ok);
  c["exp"] = std::to_string(kNow + 60);
  EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                 kTokenMalformed);
  // Extreme values neither overflow nor pass.
  c["exp"] = INT64_MAX;
  EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                 kTokenMalformed);
  c = Claims();
  c["nbf"] = INT64_MIN;
  EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                 kTokenMalformed);
}

TEST_F(JwtVerifierTest, IssuerMustEqual) {
  auto verifier = Make();
  for (const json& iss : {json("turnstile-local"), json("turnstile-tes"),
                          json(""), json(1), json::array({kIssuer})}) {
    json c = Claims();
    c["iss"] = iss;
    EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                   kTokenBadIssuer);
  }
  json c = Claims();
  c.erase("iss");
  EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                 kTokenBadIssuer);
}

TEST_F(JwtVerifierTest, AudienceStringOrArray) {
  auto verifier = Make();
  json c = Claims();
  c["aud"] = {"other", kAudience};
  EXPECT_TRUE(
      verifier->Verify(Sign(Header("HS256"), c, Signer::kHs256), kNow).ok);
  for (const json& aud :
       {json("other"), json::array({"other", "x"}), json::array(), json(""),
        json(7), json({{"aud", kAudience}})}) {
    c["aud"] = aud;
    EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                   kTokenBadAudience);
  }
  c.erase("aud");
  EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                 kTokenBadAudience);
}

TEST_F(JwtVerifierTest, SubMustBeAUserId) {
  auto verifier = Make();
  json c = Claims();
  c.erase("sub");
  EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                 kTokenMalformed);
  for (const json& sub :
       {json(""), json("has space"), json("semi;colon"), json("ünï"),
        json(std::string(65, 'a')), json(42), json::array({"alice"})}) {
    c["sub"] = sub;
    EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                   kTokenMalformed);
  }
  c["sub"] = std::string(64, 'a');
  EXPECT_TRUE(
      verifier->Verify(Sign(Header("HS256"), c, Signer::kHs256), kNow).ok);
}

TEST_F(JwtVerifierTest, RolesMustBeAnArrayOfStrings) {
  auto verifier = Make();
  json c = Claims();
  for (const json& roles :
       {json("admin"), json::array({"admin", 1}), json({{"admin", true}})}) {
    c["roles"] = roles;
    EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                   kTokenMalformed);
  }
  c["roles"] = {"Admin", "administrator"};  // exact match only
  auto out = verifier->Verify(Sign(Header("HS256"), c, Signer::kHs256), kNow);
  ASSERT_TRUE(out.ok);
  EXPECT_FALSE(out.principal.admin);
}

// --- malformed ------------------------------------------------------------

TEST_F(JwtVerifierTest, MalformedTokens) {
  auto verifier = Make();
  const std::string good = Sign(Header("HS256"), Claims(), Signer::kHs256);
  const size_t dot2 = good.rfind('.');
  EXPECT_REFUSED(verifier, good.substr(0, dot2), kTokenMalformed);  // 2 parts
  EXPECT_REFUSED(verifier, good + ".x", kTokenMalformed);           // 4 parts
  EXPECT_REFUSED(verifier, std::string("abc"), kTokenMalformed);
  EXPECT_REFUSED(verifier, std::string(".."), kTokenMalformed);
  // Bad base64url: other alphabet, padding, whitespace, impossible length.
  EXPECT_REFUSED(verifier, "@" + good.substr(1), kTokenMalformed);
  EXPECT_REFUSED(verifier, good + "=", kTokenMalformed);
  EXPECT_REFUSED(verifier, good.substr(0, dot2) + ".a+/b", kTokenMalformed);
  EXPECT_REFUSED(verifier, " " + good, kTokenMalformed);
  EXPECT_REFUSED(verifier, good.substr(0, dot2) + ".abcde", kTokenMalformed);
  // Headers that are JSON but not an object, or not JSON.
  for (const std::string& header :
       {std::string(R"(["HS256"])"), std::string(R"("HS256")"),
        std::string("{\"alg\":\"HS256\""), std::string("")}) {
    const std::string input = Base64UrlEncode(header) + "." + Segment(Claims());
    EXPECT_REFUSED(verifier,
                   input + "." + Base64UrlEncode(HmacByHand(kSecret, input)),
                   kTokenMalformed);
  }
  // Signed claims that are not an object.
  const std::string input =
      Segment(Header("HS256")) + "." + Base64UrlEncode(R"(["alice"])");
  EXPECT_REFUSED(verifier,
                 input + "." + Base64UrlEncode(HmacByHand(kSecret, input)),
                 kTokenMalformed);
  // crit extensions are not understood, so refused.
  json crit = Header("HS256");
  crit["crit"] = {"exp"};
  EXPECT_REFUSED(verifier, Sign(crit, Claims(), Signer::kHs256),
                 kTokenMalformed);
}

TEST_F(JwtVerifierTest, TokensOver8KiBAreMalformed) {
  auto verifier = Make();
  json c = Claims();
  c["pad"] = std::string(8 * 1024, 'x');
  EXPECT_REFUSED(verifier, Sign(Header("HS256"), c, Signer::kHs256),
                 kTokenMalformed);
  c["pad"] = std::string(5 * 1024, 'x');  // ~7 KiB encoded: still fine
  EXPECT_TRUE(
      verifier->Verify(Sign(Header("HS256"), c, Signer::kHs256), kNow).ok);
}

TEST_F(JwtVerifierTest, EmptyTokenIsMissing) {
  auto verifier = Make();
  auto out = verifier->Verify("", kNow);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.reason, kTokenMissing);
}

// --- configuration ----------------------------------------------------------

TEST_F(JwtVerifierTest, CreateRefusesBadConfiguration) {
  EXPECT_FALSE(JwtVerifier::Create(Settings(false, false)).ok());
  JwtSettings s = Settings();
  s.issuer = "";
  EXPECT_FALSE(JwtVerifier::Create(s).ok());
  s = Settings();
  s.clock_skew_s = -1;
  EXPECT_FALSE(JwtVerifier::Create(s).ok());

  s = Settings();
  s.hs256_secret_file = dir_ + "/absent";
  EXPECT_FALSE(JwtVerifier::Create(s).ok());
  s.hs256_secret_file = Write("short", std::string(31, 's') + "\n");
  auto short_secret = JwtVerifier::Create(s);
  ASSERT_FALSE(short_secret.ok());
  EXPECT_EQ(short_secret.status().message().find("sss"),
            absl::string_view::npos)
      << "the error must not quote the secret";

  s = Settings(false, true);
  s.jwks_file = dir_ + "/absent.json";
  EXPECT_FALSE(JwtVerifier::Create(s).ok());
  for (const std::string& bad :
       {std::string("not json"), std::string("[]"), std::string("{}"),
        std::string(R"({"keys":{}})"), std::string(R"({"keys":[1]})"),
        std::string(R"({"keys":[{"kty":"RSA","n":"AQAB"}]})"),
        std::string(
            R"({"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]})")}) {
    s.jwks_file = Write("bad.json", bad);
    EXPECT_FALSE(JwtVerifier::Create(s).ok()) << bad;
  }
}

TEST_F(JwtVerifierTest, JwksRefusesWeakOffCurveAndDuplicateKeys) {
  JwtSettings s = Settings(false, true);
  EvpPkeyPtr weak(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}));
  s.jwks_file = WriteJwks({RsaJwk(weak.get(), "weak")});
  EXPECT_FALSE(JwtVerifier::Create(s).ok());

  json off_curve = EcJwk(ec_, "ec-x");
  std::string y = *Base64UrlDecode(off_curve["y"].get<std::string>());
  y[31] ^= 0x01;
  off_curve["y"] = Base64UrlEncode(y);
  s.jwks_file = WriteJwks({off_curve});
  EXPECT_FALSE(JwtVerifier::Create(s).ok());

  s.jwks_file = WriteJwks({RsaJwk(rsa_, "same"), EcJwk(ec_, "same")});
  EXPECT_FALSE(JwtVerifier::Create(s).ok());

  // Keys of other types are skipped, not fatal.
  s.jwks_file = WriteJwks(
      {json{{"kty", "oct"}, {"k", "c2VjcmV0"}, {"kid", "hmac"}},
       json{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", "AAAA"}},
       json{{"kty", "EC"}, {"crv", "P-384"}, {"x", "AAAA"}, {"y", "AAAA"}},
       RsaJwk(rsa_, "rsa-1")});
  auto verifier = Make(s);
  ASSERT_NE(verifier, nullptr);
  EXPECT_TRUE(verifier
                  ->Verify(Sign(Header("RS256", "rsa-1"), Claims(),
                                Signer::kRs256, rsa_),
                           kNow)
                  .ok);
  // The skipped oct key is no HS256 key.
  EXPECT_REFUSED(verifier,
                 Sign(Header("HS256", "hmac"), Claims(), Signer::kHs256,
                      nullptr, "secret"),
                 kTokenUnknownKey);
}

// --- the JWKS file over time ----------------------------------------------

TEST_F(JwtVerifierTest, RewrittenJwksIsPickedUpWithinASecond) {
  auto verifier = Make(Settings(false, true));
  const std::string new_token =
      Sign(Header("RS256", "rsa-2"), Claims(), Signer::kRs256, rsa2_);
  EXPECT_REFUSED(verifier, new_token, kTokenUnknownKey);
  WriteJwks({RsaJwk(rsa2_, "rsa-2")});
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_TRUE(verifier->Verify(new_token, kNow).ok);
  EXPECT_REFUSED(verifier,
                 Sign(Header("RS256", "rsa-1"), Claims(), Signer::kRs256, rsa_),
                 kTokenUnknownKey);
}

TEST_F(JwtVerifierTest, FileIsNotLookedAtBeforeTheInterval) {
  JwtSettings s = Settings(false, true);
  s.jwks_check_interval_ms = 60'000;
  auto verifier = Make(s);
  WriteJwks({RsaJwk(rsa2_, "rsa-2")});
  EXPECT_REFUSED(
      verifier, Sign(Header("RS256", "rsa-2"), Claims(), Signer::kRs256, rsa2_),
      kTokenUnknownKey);
  EXPECT_TRUE(verifier
                  ->Verify(Sign(Header("RS256", "rsa-1"), Claims(),
                                Signer::kRs256, rsa_),
                           kNow)
                  .ok);
}

TEST_F(JwtVerifierTest, BrokenOrMissingRewriteKeepsTheOldKeys) {
  JwtSettings s = Settings(false, true);
  s.jwks_check_interval_ms = 0;  // look at every call
  auto verifier = Make(s);
  const std::string old_token =
      Sign(Header("RS256", "rsa-1"), Claims(), Signer::kRs256, rsa_);
  ASSERT_TRUE(verifier->Verify(old_token, kNow).ok);

  Write("jwks.json", R"({"keys":[{"kty":"RSA","n":"!!"}]})");
  EXPECT_TRUE(verifier->Verify(old_token, kNow).ok);
  Write("jwks.json", "{\"keys\":[");  // truncated mid-write
  EXPECT_TRUE(verifier->Verify(old_token, kNow).ok);
  std::remove(jwks_file_.c_str());
  EXPECT_TRUE(verifier->Verify(old_token, kNow).ok);

  // A valid file again replaces the keys.
  WriteJwks({EcJwk(ec2_, "ec-2")});
  EXPECT_TRUE(verifier
                  ->Verify(Sign(Header("ES256", "ec-2"), Claims(),
                                Signer::kEs256, ec2_),
                           kNow)
                  .ok);
  EXPECT_REFUSED(verifier, old_token, kTokenUnknownKey);
}

TEST_F(JwtVerifierTest, InPlaceRewriteOfTheSameSizeIsSeen) {
  // Rewritten in place (same inode, same size: a key of the same length)
  // right after loading. Whether or not the file system's mtime tick moved
  // in between, the new content is read (jwks.h: a file read within the
  // racy window of its mtime is read again).
  JwtSettings s = Settings(false, true);
  s.jwks_check_interval_ms = 0;
  const std::string path = dir_ + "/inplace.json";
  std::ofstream(path) << json{{"keys", {RsaJwk(rsa_, "k1")}}}.dump();
  s.jwks_file = path;
  auto verifier = Make(s);
  std::ofstream(path, std::ios::trunc)
      << json{{"keys", {RsaJwk(rsa2_, "k2")}}}.dump();
  EXPECT_TRUE(
      verifier
          ->Verify(Sign(Header("RS256", "k2"), Claims(), Signer::kRs256, rsa2_),
                   kNow)
          .ok);
}

TEST_F(JwtVerifierTest, ConcurrentVerifyWhileTheFileChanges) {
  JwtSettings s = Settings();
  s.jwks_check_interval_ms = 0;  // every call races for the reload
  auto verifier = Make(s);
  const std::vector<std::string> tokens = {
      Sign(Header("HS256"), Claims("u1"), Signer::kHs256),
      Sign(Header("RS256", "rsa-1"), Claims("u2"), Signer::kRs256, rsa_),
      Sign(Header("ES256", "ec-1"), Claims("u3"), Signer::kEs256, ec_)};
  const std::string bad = FlipSignatureByte(tokens[1]);
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, verified{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        const std::string& token = tokens[(t + i) % tokens.size()];
        const auto out = verifier->Verify(token, kNow);
        if (!out.ok) ++failures;
        if (verifier->Verify(bad, kNow).ok) ++failures;
        ++verified;
      }
    });
  }
  // Meanwhile the file alternates between two valid versions that both
  // hold the keys of the tokens.
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      std::vector<json> keys = {RsaJwk(rsa_, "rsa-1"), EcJwk(ec_, "ec-1")};
      if (i % 2 == 1) keys.push_back(RsaJwk(rsa2_, "rsa-2"));
      WriteJwks(keys);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  for (auto& th : threads) th.join();
  stop = true;
  writer.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(verified.load(), 4 * 300);
}

}  // namespace
}  // namespace turnstile::gateway
