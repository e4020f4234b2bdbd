// What verifying a bearer token yields: the verified principal, or the
// machine reason (the UNAUTHENTICATED reasons of the gateway contract) and a
// short human message for the client. Neither ever contains the token or
// anything copied from it, so both may be logged and sent back as they are.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace turnstile::gateway {

// Reasons (google.rpc.ErrorInfo.reason) for a token the gateway refuses.
inline constexpr absl::string_view kTokenMissing = "TOKEN_MISSING";
inline constexpr absl::string_view kTokenExpired = "TOKEN_EXPIRED";
inline constexpr absl::string_view kTokenNotYetValid = "TOKEN_NOT_YET_VALID";
inline constexpr absl::string_view kTokenBadIssuer = "TOKEN_BAD_ISSUER";
inline constexpr absl::string_view kTokenBadAudience = "TOKEN_BAD_AUDIENCE";
inline constexpr absl::string_view kTokenBadSignature = "TOKEN_BAD_SIGNATURE";
inline constexpr absl::string_view kTokenMalformed = "TOKEN_MALFORMED";
inline constexpr absl::string_view kTokenAlgRefused = "TOKEN_ALG_REFUSED";
inline constexpr absl::string_view kTokenUnknownKey = "TOKEN_UNKNOWN_KEY";

// The caller a verified token names.
struct Principal {
  std::string user;          // the `sub` claim, a valid user id
  bool admin = false;        // `roles` holds "admin"
  int64_t expires_at_s = 0;  // `exp`, unix seconds
};

struct VerifyOutcome {
  bool ok = false;
  Principal principal;       // set when ok
  absl::string_view reason;  // one of the kToken* reasons when !ok
  std::string message;       // short, human, never contains the token

  static VerifyOutcome Refuse(absl::string_view reason,
                              absl::string_view message) {
    VerifyOutcome out;
    out.reason = reason;
    out.message = std::string(message);
    return out;
  }
};

}  // namespace turnstile::gateway
