// gRPC answers as gRPC-web HTTP/1.1 responses: a message as one data frame
// followed by the trailer frame (flag 0x80) carrying grpc-status,
// grpc-message and grpc-status-details-bin; an error without a message as
// a trailers-only response (the status in the HTTP headers, empty body).
// Always HTTP 200, as the protocol wants; the text flavour base64-encodes
// the body. Plain HTTP answers (415, 405, 403, 431, 503...) too.
#pragma once

#include <grpcpp/grpcpp.h>

#include <boost/beast/http.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "services/gateway/cors.h"
#include "services/gateway/grpc_web_codec.h"

namespace turnstile::gateway {

using HttpRequest =
    boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse =
    boost::beast::http::response<boost::beast::http::string_body>;

struct WebCall {
  WebFormat format = WebFormat::kBinary;
  std::string content_type;  // of the response
  unsigned version = 11;     // HTTP version of the request
  HeaderList cors;           // CORS headers for the caller's origin
  std::string trace_id;      // sent back as x-turnstile-trace-id ("" = none)
};

// The response header naming the trace of the call (trace.h), so that a
// client can quote it and an operator find every log line of the call.
inline constexpr char kTraceIdHeader[] = "x-turnstile-trace-id";

// An error (or OK without message) as a trailers-only response.
HttpResponse TrailersOnly(const WebCall& call, const grpc::Status& status,
                          const HeaderList& extra = {});

// The backend's answer with its message. `message` is consumed.
HttpResponse MessageResponse(const WebCall& call, const grpc::Status& status,
                             grpc::ByteBuffer& message,
                             const HeaderList& headers,
                             const HeaderList& trailers);

// A plain HTTP answer with a short text body.
HttpResponse PlainResponse(unsigned version, boost::beast::http::status code,
                           absl::string_view text,
                           const HeaderList& extra = {});

}  // namespace turnstile::gateway
