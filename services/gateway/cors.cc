#include "services/gateway/cors.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace turnstile::gateway {
namespace {

// traceparent (W3C Trace Context) joins the caller's trace; tracestate is
// allowed so that a page whose tracing library sends it is not refused, and
// is not passed on.
constexpr char kAllowHeaders[] =
    "authorization, content-type, x-grpc-web, x-user-agent, grpc-timeout, "
    "traceparent, tracestate, x-turnstile-pass";
constexpr char kExposeHeaders[] =
    "grpc-status, grpc-message, grpc-status-details-bin, x-turnstile-trace-id";

bool IsOrigin(absl::string_view origin) {
  absl::string_view rest;
  if (absl::StartsWith(origin, "http://")) {
    rest = origin.substr(7);
  } else if (absl::StartsWith(origin, "https://")) {
    rest = origin.substr(8);
  } else {
    return false;
  }
  if (rest.empty()) return false;
  for (char c : rest) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']') {
      return false;  // a path, a wildcard, credentials, blanks
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<CorsPolicy> CorsPolicy::Parse(absl::string_view origins) {
  CorsPolicy policy;
  for (absl::string_view item :
       absl::StrSplit(origins, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    if (!IsOrigin(item)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--allowed_origins: \"", item,
          "\" is not an origin (scheme://host[:port]; no wildcard, since "
          "calls carry credentials)"));
    }
    policy.origins_.insert(absl::AsciiStrToLower(item));
  }
  return policy;
}

bool CorsPolicy::Allowed(absl::string_view origin) const {
  if (origin.empty() || origins_.empty()) return false;
  return origins_.contains(absl::AsciiStrToLower(origin));
}

HeaderList CorsPolicy::PreflightHeaders(absl::string_view origin) const {
  return {{"Access-Control-Allow-Origin", std::string(origin)},
          {"Access-Control-Allow-Credentials", "true"},
          {"Access-Control-Allow-Methods", "POST, GET, OPTIONS"},
          {"Access-Control-Allow-Headers", kAllowHeaders},
          {"Access-Control-Max-Age", "600"},
          {"Vary", "Origin"}};
}

HeaderList CorsPolicy::ResponseHeaders(absl::string_view origin) const {
  return {{"Access-Control-Allow-Origin", std::string(origin)},
          {"Access-Control-Allow-Credentials", "true"},
          {"Access-Control-Expose-Headers", kExposeHeaders},
          {"Vary", "Origin"}};
}

}  // namespace turnstile::gateway
