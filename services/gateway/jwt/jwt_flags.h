// The gateway's JWT flags (--jwt_hs256_secret_file, --jwt_jwks_file,
// --jwt_issuer, --jwt_audience, --jwt_clock_skew_s) as JwtSettings, for the
// gateway and for `turnstilectl token`, which mints with the same secret,
// issuer and audience.
#pragma once

#include "services/gateway/jwt/jwt_verifier.h"

namespace turnstile::gateway {

JwtSettings JwtSettingsFromFlags();

}  // namespace turnstile::gateway
