#include "services/gateway/jwt/jwt_mint.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "services/common/secret_file.h"
#include "services/common/validate.h"
#include "services/gateway/jwt/base64url.h"
#include "services/gateway/jwt/jws_crypto.h"

namespace turnstile::gateway {
namespace {

// Compact JSON; invalid UTF-8 (only possible in a flag value) is replaced
// rather than thrown about.
std::string Dump(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

absl::StatusOr<std::string> MintHs256(absl::string_view secret,
                                      const MintClaims& claims) {
  if (secret.size() < kMinHs256SecretBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the HS256 secret must be at least ", kMinHs256SecretBytes, " bytes"));
  }
  if (auto s = CheckId("user", claims.user); !s.ok()) return s;
  if (claims.ttl_s < 1 || claims.ttl_s > kMaxMintTtlS) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the token lifetime must be 1 s to ", kMaxMintTtlS / 86400, " days"));
  }
  if (claims.issuer.empty() || claims.audience.empty()) {
    return absl::InvalidArgumentError("issuer and audience must not be empty");
  }
  const nlohmann::ordered_json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  nlohmann::ordered_json body = {
      {"iss", claims.issuer}, {"aud", claims.audience},
      {"sub", claims.user},   {"iat", claims.now_s},
      {"nbf", claims.now_s},  {"exp", claims.now_s + claims.ttl_s}};
  body["roles"] = nlohmann::ordered_json::array();
  if (claims.admin) body["roles"].push_back("admin");
  const std::string signing_input = absl::StrCat(
      Base64UrlEncode(Dump(header)), ".", Base64UrlEncode(Dump(body)));
  const std::string mac = HmacSha256(secret, signing_input);
  if (mac.empty()) return absl::InternalError("OpenSSL HMAC-SHA256 failed");
  return absl::StrCat(signing_input, ".", Base64UrlEncode(mac));
}

absl::StatusOr<std::string> ReadHs256Secret(const std::string& path) {
  auto secret = ReadSecretFile(path);
  if (!secret.ok()) return secret.status();
  absl::StripTrailingAsciiWhitespace(&*secret);
  if (secret->size() < kMinHs256SecretBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("HS256 secret file ", path, " holds fewer than ",
                     kMinHs256SecretBytes, " bytes"));
  }
  return secret;
}

}  // namespace turnstile::gateway
