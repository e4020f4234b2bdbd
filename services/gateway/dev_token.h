// The dev-only sign-in endpoint of the local stack (issue 11, item 2):
// POST /dev/token with {"user":"<id>","admin":false} answers 200
// {"token":"<HS256 JWT>","expires_at":<unix s>}, a token of the gateway's
// own HS256 secret, issuer and audience, valid for an hour, with the admin
// role if asked. Off unless --dev_token_endpoint (then 404 like any unknown
// path); anyone who can reach it can become anyone, so the gateway warns at
// start-up when it is on. Pure apart from the clock the caller passes.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace turnstile::gateway {

inline constexpr absl::string_view kDevTokenPath = "/dev/token";
inline constexpr int64_t kDevTokenTtlS = 3600;

struct DevTokenConfig {
  std::string secret;  // the HS256 secret
  std::string issuer, audience;
};

struct DevTokenAnswer {
  int http_status = 200;  // 200, 400 or 500
  std::string json;       // the body: the token, or {"error": "..."}
};

DevTokenAnswer MintDevToken(const DevTokenConfig& config,
                            absl::string_view body, int64_t now_s);

}  // namespace turnstile::gateway
