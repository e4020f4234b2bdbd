#include "services/gateway/request_kind.h"

#include "absl/strings/match.h"
#include "services/gateway/routes.h"

namespace turnstile::gateway {

bool LooksLikeGrpcPath(absl::string_view target) {
  const absl::string_view path = target.substr(0, target.find('?'));
  return FindRoute(path) != nullptr || absl::StartsWith(path, "/turnstile.") ||
         absl::StartsWith(path, "/grpc.");
}

Classified ClassifyRequest(const RequestFacts& f) {
  if (f.options) return {RequestKind::kPreflight, std::nullopt};
  // A browser page of another site may not use a user's token here.
  if (!f.origin.empty() && !f.origin_allowed) {
    return {RequestKind::kForbiddenOrigin, std::nullopt};
  }
  if (f.dev_token && f.post &&
      f.target.substr(0, f.target.find('?')) == "/dev/token") {
    return {RequestKind::kDevToken, std::nullopt};
  }
  const auto format = ParseContentType(f.content_type);
  if (f.post && format) return {RequestKind::kGrpcWeb, format};
  if (LooksLikeGrpcPath(f.target)) {
    return {f.post ? RequestKind::kWrongContentType
                   : RequestKind::kMethodNotAllowed,
            std::nullopt};
  }
  if (f.get_or_head && f.serves_static) {
    return {RequestKind::kStatic, std::nullopt};
  }
  return {RequestKind::kNotFound, std::nullopt};
}

uint64_t MaxBodyBytes(std::optional<WebFormat> format,
                      int64_t max_message_bytes) {
  const uint64_t frame =
      static_cast<uint64_t>(max_message_bytes) + kFrameHeaderBytes;
  if (format != WebFormat::kText) return frame;
  // 4 characters per started group of 3 bytes; a client may also split the
  // frame into padded chunks (at most 2 '=' more per chunk: allow 64).
  return 4 * ((frame + 2) / 3) + 64;
}

}  // namespace turnstile::gateway
