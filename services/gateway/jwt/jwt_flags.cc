#include "services/gateway/jwt/jwt_flags.h"

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, jwt_hs256_secret_file, "",
          "File holding the HS256 secret (at least 32 bytes; trailing "
          "whitespace trimmed). Empty: HS256 tokens are refused");
ABSL_FLAG(std::string, jwt_jwks_file, "",
          "JWKS file ({\"keys\":[...]}, RSA and EC P-256 public keys) for "
          "RS256/ES256 tokens; re-read within a second when it changes. "
          "Empty: RS256/ES256 tokens are refused");
ABSL_FLAG(std::string, jwt_issuer, "turnstile-local",
          "The iss every token must carry");
ABSL_FLAG(std::string, jwt_audience, "turnstile",
          "The aud (or one of the aud) every token must carry");
ABSL_FLAG(int, jwt_clock_skew_s, 30,
          "Seconds of clock difference allowed on exp, nbf and iat");

namespace turnstile::gateway {

JwtSettings JwtSettingsFromFlags() {
  JwtSettings settings;
  settings.hs256_secret_file = absl::GetFlag(FLAGS_jwt_hs256_secret_file);
  settings.jwks_file = absl::GetFlag(FLAGS_jwt_jwks_file);
  settings.issuer = absl::GetFlag(FLAGS_jwt_issuer);
  settings.audience = absl::GetFlag(FLAGS_jwt_audience);
  settings.clock_skew_s = absl::GetFlag(FLAGS_jwt_clock_skew_s);
  return settings;
}

}  // namespace turnstile::gateway
