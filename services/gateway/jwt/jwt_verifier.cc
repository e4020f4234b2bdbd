#include "services/gateway/jwt/jwt_verifier.h"

#include <openssl/crypto.h>

#include <chrono>
#include <utility>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "services/gateway/jwt/jws_compact.h"
#include "services/gateway/jwt/jws_crypto.h"
#include "services/gateway/jwt/jwt_mint.h"

namespace turnstile::gateway {

absl::StatusOr<std::unique_ptr<JwtVerifier>> JwtVerifier::Create(
    const JwtSettings& settings) {
  if (settings.hs256_secret_file.empty() && settings.jwks_file.empty()) {
    return absl::InvalidArgumentError(
        "JWT verification needs --jwt_hs256_secret_file or --jwt_jwks_file");
  }
  // An empty issuer or audience would make those checks vacuous.
  if (settings.issuer.empty() || settings.audience.empty()) {
    return absl::InvalidArgumentError(
        "--jwt_issuer and --jwt_audience must not be empty");
  }
  if (settings.clock_skew_s < 0 || settings.clock_skew_s > 3600) {
    return absl::InvalidArgumentError(
        "--jwt_clock_skew_s must be in [0, 3600]");
  }
  if (settings.jwks_check_interval_ms < 0) {
    return absl::InvalidArgumentError("JWKS check interval is negative");
  }
  std::unique_ptr<JwtVerifier> verifier(new JwtVerifier());
  if (!settings.hs256_secret_file.empty()) {
    auto secret = ReadHs256Secret(settings.hs256_secret_file);
    if (!secret.ok()) return secret.status();
    verifier->hs256_key_ = HmacSha256Key::Create(*secret);
    OPENSSL_cleanse(secret->data(), secret->size());
    if (verifier->hs256_key_ == nullptr) {
      return absl::InternalError("OpenSSL cannot do HMAC-SHA256");
    }
  }
  if (!settings.jwks_file.empty()) {
    auto jwks = JwksFile::Load(
        settings.jwks_file,
        std::chrono::milliseconds(settings.jwks_check_interval_ms));
    if (!jwks.ok()) return jwks.status();
    verifier->jwks_ = *std::move(jwks);
  }
  verifier->policy_ = {settings.issuer, settings.audience,
                       settings.clock_skew_s};
  return verifier;
}

JwtVerifier::~JwtVerifier() = default;

VerifyOutcome JwtVerifier::Verify(absl::string_view token,
                                  int64_t now_unix_s) const {
  JwsParts jws;
  VerifyOutcome refusal;
  if (!ParseJws(token, &jws, &refusal)) return refusal;

  bool verified = false;
  if (jws.alg == JwsAlg::kHs256) {
    if (hs256_key_ == nullptr) {
      return VerifyOutcome::Refuse(kTokenUnknownKey,
                                   "HS256 tokens are not accepted here");
    }
    verified = hs256_key_->Matches(jws.signing_input, jws.signature);
  } else {
    if (jwks_ == nullptr) {
      return VerifyOutcome::Refuse(kTokenUnknownKey,
                                   "RS256/ES256 tokens are not accepted here");
    }
    const bool rsa = jws.alg == JwsAlg::kRs256;
    // Held for the call: a reload meanwhile frees the old keys only after.
    const std::shared_ptr<const KeySet> keys = jwks_->Keys();
    const KeyChoice choice =
        SelectKey(*keys, rsa ? KeyFamily::kRsa : KeyFamily::kEcP256, jws.kid);
    if (choice.key == nullptr) {
      return VerifyOutcome::Refuse(choice.reason, choice.message);
    }
    EVP_PKEY* key = choice.key->key.get();
    verified = rsa ? Rs256Verifies(key, jws.signing_input, jws.signature)
                   : Es256Verifies(key, jws.signing_input, jws.signature);
  }
  if (!verified) {
    return VerifyOutcome::Refuse(kTokenBadSignature,
                                 "token signature does not verify");
  }
  // Only signed claims are parsed.
  const auto claims =
      nlohmann::json::parse(jws.payload.begin(), jws.payload.end(), nullptr,
                            /*allow_exceptions=*/false);
  return CheckClaims(claims, policy_, now_unix_s);
}

}  // namespace turnstile::gateway
