// What the edge does with an HTTP request, decided from its method, target
// and headers alone (pure; the session acts on it): a CORS preflight, a
// gRPC-web call, a static file, or a plain refusal -- 403 for a page of an
// origin that is not allowed, 405 for a gRPC path that is not POSTed, 415
// for a gRPC path with another content type, 404 for anything else -- and,
// before the body is read, how large a body may be.
#pragma once

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "services/gateway/grpc_web_codec.h"

namespace turnstile::gateway {

enum class RequestKind {
  kPreflight,
  kGrpcWeb,
  kStatic,
  kForbiddenOrigin,   // 403
  kMethodNotAllowed,  // 405
  kWrongContentType,  // 415
  kNotFound,          // 404
  kDevToken,          // POST /dev/token with --dev_token_endpoint
};

struct RequestFacts {
  bool post = false;
  bool get_or_head = false;
  bool options = false;
  absl::string_view target;
  absl::string_view content_type;
  absl::string_view origin;
  bool origin_allowed = false;
  bool serves_static = false;
  bool dev_token = false;  // --dev_token_endpoint
};

struct Classified {
  RequestKind kind = RequestKind::kNotFound;
  std::optional<WebFormat> format;  // for kGrpcWeb
};

Classified ClassifyRequest(const RequestFacts& facts);

// True for targets that name a gRPC method of ours (routed or not), so that
// a wrong method or content type there is 405/415 rather than 404.
bool LooksLikeGrpcPath(absl::string_view target);

// The largest body a request with `content_type` may send for a message of
// at most `max_message_bytes`: one frame, base64-encoded for the text
// flavour (4 bytes per 3, rounded up), plus padding between chunks.
uint64_t MaxBodyBytes(std::optional<WebFormat> format,
                      int64_t max_message_bytes);

}  // namespace turnstile::gateway
