#include "services/gateway/jwt/jwt_claims.h"

#include <cmath>
#include <limits>
#include <optional>

#include "services/common/validate.h"

namespace turnstile::gateway {
namespace {

using nlohmann::json;

// Far enough from the int64 limits that now +- skew never overflows, and
// beyond any date a token will carry (year ~146 billion).
constexpr int64_t kMaxNumericDate = int64_t{1} << 62;

// A NumericDate (RFC 7519 §2): seconds since the epoch, possibly
// fractional (truncated towards the past). nullopt if not a number in range.
std::optional<int64_t> NumericDate(const json& value) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<uint64_t>();
    if (v > static_cast<uint64_t>(kMaxNumericDate)) return std::nullopt;
    return static_cast<int64_t>(v);
  }
  if (value.is_number_integer()) {
    const auto v = value.get<int64_t>();
    if (v > kMaxNumericDate || v < -kMaxNumericDate) return std::nullopt;
    return v;
  }
  if (value.is_number_float()) {
    const double v = value.get<double>();
    if (!std::isfinite(v) ||
        std::fabs(v) > static_cast<double>(kMaxNumericDate)) {
      return std::nullopt;
    }
    return static_cast<int64_t>(std::floor(v));
  }
  return std::nullopt;
}

// The optional time claim `name`: absent -> true with *out untouched.
bool OptionalDate(const json& payload, const char* name,
                  std::optional<int64_t>* out) {
  const auto it = payload.find(name);
  if (it == payload.end()) return true;
  *out = NumericDate(*it);
  return out->has_value();
}

bool AudienceMatches(const json& aud, const std::string& audience) {
  if (aud.is_string()) return aud.get_ref<const std::string&>() == audience;
  if (!aud.is_array()) return false;
  for (const auto& entry : aud) {
    if (entry.is_string() && entry.get_ref<const std::string&>() == audience) {
      return true;
    }
  }
  return false;
}

}  // namespace

VerifyOutcome CheckClaims(const json& payload, const ClaimPolicy& policy,
                          int64_t now_s) {
  if (!payload.is_object()) {
    return VerifyOutcome::Refuse(kTokenMalformed,
                                 "token claims are not a JSON object");
  }
  // Shape first: a claim of the wrong type makes the token malformed
  // whatever else holds.
  const auto exp_it = payload.find("exp");
  if (exp_it == payload.end()) {
    return VerifyOutcome::Refuse(kTokenMalformed, "token has no exp claim");
  }
  const std::optional<int64_t> exp = NumericDate(*exp_it);
  if (!exp) {
    return VerifyOutcome::Refuse(kTokenMalformed,
                                 "token exp is not a NumericDate");
  }
  std::optional<int64_t> nbf, iat;
  if (!OptionalDate(payload, "nbf", &nbf)) {
    return VerifyOutcome::Refuse(kTokenMalformed,
                                 "token nbf is not a NumericDate");
  }
  if (!OptionalDate(payload, "iat", &iat)) {
    return VerifyOutcome::Refuse(kTokenMalformed,
                                 "token iat is not a NumericDate");
  }
  const auto sub_it = payload.find("sub");
  if (sub_it == payload.end() || !sub_it->is_string()) {
    return VerifyOutcome::Refuse(kTokenMalformed,
                                 "token has no sub claim (user id)");
  }
  const auto& sub = sub_it->get_ref<const std::string&>();
  if (!CheckId("sub", sub).ok()) {
    return VerifyOutcome::Refuse(
        kTokenMalformed,
        "token sub is not a user id (1-64 chars of [A-Za-z0-9_.:@-])");
  }
  bool admin = false;
  if (const auto roles = payload.find("roles"); roles != payload.end()) {
    if (!roles->is_array()) {
      return VerifyOutcome::Refuse(kTokenMalformed,
                                   "token roles is not an array of strings");
    }
    for (const auto& role : *roles) {
      if (!role.is_string()) {
        return VerifyOutcome::Refuse(kTokenMalformed,
                                     "token roles is not an array of strings");
      }
      if (role.get_ref<const std::string&>() == "admin") admin = true;
    }
  }

  const auto iss = payload.find("iss");
  if (iss == payload.end() || !iss->is_string() ||
      iss->get_ref<const std::string&>() != policy.issuer) {
    return VerifyOutcome::Refuse(kTokenBadIssuer,
                                 "token issuer is not the one trusted here");
  }
  const auto aud = payload.find("aud");
  if (aud == payload.end() || !AudienceMatches(*aud, policy.audience)) {
    return VerifyOutcome::Refuse(kTokenBadAudience,
                                 "token is not meant for this audience");
  }
  // now, exp and nbf are within +-2^62 and the skew is small: no overflow.
  const int64_t skew = policy.clock_skew_s;
  if (now_s - skew >= *exp) {
    return VerifyOutcome::Refuse(kTokenExpired, "token has expired");
  }
  if (nbf && now_s + skew < *nbf) {
    return VerifyOutcome::Refuse(kTokenNotYetValid,
                                 "token is not valid yet (nbf)");
  }
  if (iat && now_s + skew < *iat) {
    return VerifyOutcome::Refuse(kTokenNotYetValid,
                                 "token is issued in the future (iat)");
  }
  VerifyOutcome out;
  out.ok = true;
  out.principal.user = sub;
  out.principal.admin = admin;
  out.principal.expires_at_s = *exp;
  return out;
}

}  // namespace turnstile::gateway
