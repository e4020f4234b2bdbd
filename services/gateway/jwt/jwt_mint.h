// The HS256 side of the gateway's tokens for local use and tests: reading
// the shared secret (--jwt_hs256_secret_file) and minting a token with it,
// as `turnstilectl token` does. Minted tokens carry the header
// {"alg":"HS256","typ":"JWT"} and the claims iss, aud, sub, iat, nbf, exp and
// roles (["admin"] for an operator, [] otherwise): exactly what JwtVerifier
// checks.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace turnstile::gateway {

// RFC 7518 §3.2: an HS256 key at least as long as the hash.
inline constexpr size_t kMinHs256SecretBytes = 32;
// A year: long-lived enough for any script, short of overflowing anything.
inline constexpr int64_t kMaxMintTtlS = 366 * 24 * 3600;

struct MintClaims {
  std::string user;  // sub: a valid user id
  bool admin = false;
  int64_t ttl_s = 3600;  // exp = now_s + ttl_s, 1..kMaxMintTtlS
  std::string issuer, audience;
  int64_t now_s = 0;  // iat and nbf
};

// The compact token, or INVALID_ARGUMENT (short secret, bad user id, ttl out
// of range, empty issuer or audience).
absl::StatusOr<std::string> MintHs256(absl::string_view secret,
                                      const MintClaims& claims);

// The secret in `path`: its content without trailing whitespace (a line
// break from echo or an editor), at least kMinHs256SecretBytes long.
// FAILED_PRECONDITION naming the file, never the content, otherwise.
absl::StatusOr<std::string> ReadHs256Secret(const std::string& path);

}  // namespace turnstile::gateway
