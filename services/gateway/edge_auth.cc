#include "services/gateway/edge_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "services/common/status.h"

namespace turnstile::gateway {

absl::StatusOr<Caller> Authenticate(const Route& route,
                                    absl::string_view authorization,
                                    const JwtVerifier& verifier,
                                    int64_t now_unix_s) {
  authorization = absl::StripAsciiWhitespace(authorization);
  if (authorization.empty()) {
    if (route.access == Access::kAnyone) return Caller{};
    return Error(absl::StatusCode::kUnauthenticated, "TOKEN_MISSING",
                 "this call needs a token: authorization: Bearer <JWT>");
  }
  if (authorization.size() < 7 ||
      !absl::EqualsIgnoreCase(authorization.substr(0, 7), "bearer ")) {
    return Error(absl::StatusCode::kUnauthenticated, "TOKEN_MALFORMED",
                 "the authorization header must be \"Bearer <JWT>\"");
  }
  const absl::string_view token =
      absl::StripLeadingAsciiWhitespace(authorization.substr(7));
  VerifyOutcome outcome = verifier.Verify(token, now_unix_s);
  if (!outcome.ok) {
    return Error(absl::StatusCode::kUnauthenticated, outcome.reason,
                 outcome.message);
  }
  if (route.access == Access::kOperator && !outcome.principal.admin) {
    return Error(absl::StatusCode::kPermissionDenied, "ADMIN_REQUIRED",
                 "this call is for operators (a token with the admin role)");
  }
  return Caller{std::move(outcome.principal.user), outcome.principal.admin};
}

}  // namespace turnstile::gateway
