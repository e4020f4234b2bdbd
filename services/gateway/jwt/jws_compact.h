// A bearer token taken apart as a JWS in compact serialization (RFC 7515
// §7.1): three base64url segments header.payload.signature, at most 8 KiB.
// The header must be a JSON object whose `alg` is exactly HS256, RS256 or
// ES256 (`none` and everything else are refused before any key is looked
// at); `kid`, if present, a string; `crit` absent, since the gateway
// understands no extension. Other header parameters are ignored: in
// particular keys are never taken from the token (jwk, jku, x5u, x5c).
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "services/gateway/jwt/jwt_outcome.h"

namespace turnstile::gateway {

inline constexpr size_t kMaxTokenBytes = 8 * 1024;

enum class JwsAlg { kHs256, kRs256, kEs256 };

struct JwsParts {
  JwsAlg alg = JwsAlg::kHs256;
  std::optional<std::string> kid;
  absl::string_view signing_input;  // "header.payload" as sent: what is signed
  std::string payload;              // decoded, not yet parsed
  std::string signature;            // decoded
};

// Fills *parts (signing_input points into `token`) and returns true, or
// returns false with *refusal set: TOKEN_MISSING (empty), TOKEN_MALFORMED,
// TOKEN_ALG_REFUSED.
bool ParseJws(absl::string_view token, JwsParts* parts, VerifyOutcome* refusal);

}  // namespace turnstile::gateway
