#include "services/gateway/dev_token.h"

#include "nlohmann/json.hpp"
#include "services/gateway/jwt/jwt_mint.h"

namespace turnstile::gateway {
namespace {

DevTokenAnswer Bad(absl::string_view message) {
  return {400, nlohmann::json{{"error", std::string(message)}}.dump()};
}

bool IsUserId(const std::string& user) {
  if (user.empty() || user.size() > 64) return false;
  for (char c : user) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                    c == ':' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

DevTokenAnswer MintDevToken(const DevTokenConfig& config,
                            absl::string_view body, int64_t now_s) {
  const nlohmann::json request = nlohmann::json::parse(
      body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (!request.is_object()) return Bad("the body must be a JSON object");
  for (const auto& [key, value] : request.items()) {
    if (key != "user" && key != "admin") return Bad("unknown field " + key);
  }
  const auto user = request.find("user");
  if (user == request.end() || !user->is_string() ||
      !IsUserId(user->get<std::string>())) {
    return Bad("user must be 1-64 chars of [A-Za-z0-9_.:@-]");
  }
  bool admin = false;
  if (const auto it = request.find("admin"); it != request.end()) {
    if (!it->is_boolean()) return Bad("admin must be true or false");
    admin = it->get<bool>();
  }
  MintClaims claims;
  claims.user = user->get<std::string>();
  claims.admin = admin;
  claims.ttl_s = kDevTokenTtlS;
  claims.issuer = config.issuer;
  claims.audience = config.audience;
  claims.now_s = now_s;
  auto token = MintHs256(config.secret, claims);
  if (!token.ok()) {
    return {500, nlohmann::json{{"error", "cannot mint a token"}}.dump()};
  }
  return {200, nlohmann::json{{"token", *token},
                              {"expires_at", now_s + kDevTokenTtlS}}
                   .dump()};
}

}  // namespace turnstile::gateway
