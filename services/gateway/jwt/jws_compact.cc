#include "services/gateway/jwt/jws_compact.h"

#include "nlohmann/json.hpp"
#include "services/gateway/jwt/base64url.h"

namespace turnstile::gateway {

bool ParseJws(absl::string_view token, JwsParts* parts,
              VerifyOutcome* refusal) {
  auto refuse = [refusal](absl::string_view reason, absl::string_view why) {
    *refusal = VerifyOutcome::Refuse(reason, why);
    return false;
  };
  if (token.empty()) return refuse(kTokenMissing, "no bearer token");
  if (token.size() > kMaxTokenBytes) {
    return refuse(kTokenMalformed, "token is larger than 8 KiB");
  }
  const size_t dot1 = token.find('.');
  const size_t dot2 =
      dot1 == absl::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == absl::string_view::npos ||
      token.find('.', dot2 + 1) != absl::string_view::npos) {
    return refuse(kTokenMalformed, "token is not three dot-separated parts");
  }
  const auto header_text = Base64UrlDecode(token.substr(0, dot1));
  if (!header_text) {
    return refuse(kTokenMalformed, "token header is not base64url");
  }
  const auto header =
      nlohmann::json::parse(header_text->begin(), header_text->end(), nullptr,
                            /*allow_exceptions=*/false);
  if (!header.is_object()) {
    return refuse(kTokenMalformed, "token header is not a JSON object");
  }
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) {
    return refuse(kTokenAlgRefused, "token header has no alg");
  }
  const auto& name = alg->get_ref<const std::string&>();
  if (name == "HS256") {
    parts->alg = JwsAlg::kHs256;
  } else if (name == "RS256") {
    parts->alg = JwsAlg::kRs256;
  } else if (name == "ES256") {
    parts->alg = JwsAlg::kEs256;
  } else {
    return refuse(kTokenAlgRefused,
                  "token alg is not one of HS256, RS256, ES256");
  }
  if (header.contains("crit")) {
    return refuse(kTokenMalformed, "token header has crit extensions");
  }
  parts->kid.reset();
  if (const auto kid = header.find("kid"); kid != header.end()) {
    if (!kid->is_string()) {
      return refuse(kTokenMalformed, "token kid is not a string");
    }
    parts->kid = kid->get<std::string>();
  }
  auto payload = Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!payload)
    return refuse(kTokenMalformed, "token claims are not base64url");
  auto signature = Base64UrlDecode(token.substr(dot2 + 1));
  if (!signature) {
    return refuse(kTokenMalformed, "token signature is not base64url");
  }
  parts->signing_input = token.substr(0, dot2);
  parts->payload = *std::move(payload);
  parts->signature = *std::move(signature);
  return true;
}

}  // namespace turnstile::gateway
