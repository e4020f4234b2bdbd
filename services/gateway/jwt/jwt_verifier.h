// Verifies the gateway's bearer tokens: a JWS (jws_compact.h) signed HS256
// with the shared secret of --jwt_hs256_secret_file, or RS256/ES256 with a
// key of the JWKS file --jwt_jwks_file (jwks.h), then the claims
// (jwt_claims.h). The key is chosen by the algorithm's family and never
// across families: HS256 only ever verifies with the HS secret (there is one,
// so its kid is ignored), RS256 only with RSA keys, ES256 only with P-256
// keys, so a token "signed" HS256 with a public key's bytes is refused
// (algorithm confusion). Built once at start; Verify runs on every IO thread
// at once and touches the file system only to stat the JWKS file once per
// check interval (a second by default), reading it only when it changed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/jwt/jwks.h"
#include "services/gateway/jwt/jws_crypto.h"
#include "services/gateway/jwt/jwt_claims.h"
#include "services/gateway/jwt/jwt_outcome.h"

namespace turnstile::gateway {

struct JwtSettings {
  std::string hs256_secret_file;  // "" = HS256 tokens are refused
  std::string jwks_file;          // "" = RS256/ES256 tokens are refused
  std::string issuer;             // iss must equal it
  std::string audience;           // aud must hold it
  int clock_skew_s = 30;          // allowed on exp, nbf and iat
  // How often at most the JWKS file is looked at for changes.
  int jwks_check_interval_ms = 1000;
};

class JwtVerifier {
 public:
  // Loads the HS256 secret (at least 32 bytes, trailing whitespace trimmed)
  // and/or the JWKS. INVALID_ARGUMENT if neither is configured, the issuer
  // or audience is empty or the skew is outside [0, 3600]; the file's error
  // if a configured one is unreadable or invalid.
  static absl::StatusOr<std::unique_ptr<JwtVerifier>> Create(
      const JwtSettings& settings);
  ~JwtVerifier();

  // The principal of a valid token, or why it is refused. Thread-safe.
  VerifyOutcome Verify(absl::string_view token, int64_t now_unix_s) const;

 private:
  JwtVerifier() = default;

  std::unique_ptr<HmacSha256Key> hs256_key_;  // null if none
  std::unique_ptr<JwksFile> jwks_;            // null if none
  ClaimPolicy policy_;
};

}  // namespace turnstile::gateway
