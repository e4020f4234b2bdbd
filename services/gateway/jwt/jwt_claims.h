// The claim checks of RFC 7519 as the gateway applies them, as one pure
// function of the (already signature-verified) payload, the policy and the
// time: exp required, nbf and iat optional, the clock skew allowed on each;
// iss equal to the configured issuer; aud (a string or an array of strings)
// naming the configured audience; sub a valid user id (1-64 chars of
// [A-Za-z0-9_.:@-], services/common/validate.h); roles, if present, an array
// of strings, "admin" among them making the principal an operator. A claim
// of the wrong type is TOKEN_MALFORMED rather than guessed at.
#pragma once

#include <cstdint>
#include <string>

#include "nlohmann/json.hpp"
#include "services/gateway/jwt/jwt_outcome.h"

namespace turnstile::gateway {

struct ClaimPolicy {
  std::string issuer;
  std::string audience;
  int clock_skew_s = 30;
};

// The principal, or the first refusal: shape (TOKEN_MALFORMED), then iss,
// aud, exp, nbf, iat. Pure: no I/O, `now_s` is the clock.
VerifyOutcome CheckClaims(const nlohmann::json& payload,
                          const ClaimPolicy& policy, int64_t now_s);

}  // namespace turnstile::gateway
