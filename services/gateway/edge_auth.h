// Who a call through the edge acts for: the route's access class (routes.h)
// and the request's "authorization: Bearer <JWT>" decide. Catalogue reads
// may be anonymous (but a token that is sent must be valid); buyer calls
// need a valid token and act as its subject; operator calls need the admin
// role. The user id comes only from a verified token, never from a body.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/forwarder.h"
#include "services/gateway/jwt/jwt_verifier.h"
#include "services/gateway/routes.h"

namespace turnstile::gateway {

// The caller of `route`, or UNAUTHENTICATED (reason TOKEN_MISSING or the
// verifier's reason) / PERMISSION_DENIED (reason ADMIN_REQUIRED), each with
// the reason in its ErrorInfo (status.h).
absl::StatusOr<Caller> Authenticate(const Route& route,
                                    absl::string_view authorization,
                                    const JwtVerifier& verifier,
                                    int64_t now_unix_s);

}  // namespace turnstile::gateway
