#include "services/gateway/http_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/status.h"
#include "services/gateway/grpc_web_codec.h"
#include "services/gateway/grpc_web_handler.h"

namespace turnstile::gateway {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

absl::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

absl::string_view HeaderOf(const HttpRequest& request, http::field field) {
  auto it = request.find(field);
  return it == request.end() ? absl::string_view() : View(it->value());
}

absl::string_view HeaderOf(const HttpRequest& request, const char* name) {
  auto it = request.find(name);
  return it == request.end() ? absl::string_view() : View(it->value());
}

// A text body is base64 of the binary one: 4 bytes per 3, plus padding
// between chunks and the frame headers.
uint64_t BodyLimit(const EdgeSettings& s) {
  return static_cast<uint64_t>(s.max_request_bytes + 64) * 4 / 3 + 64;
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket socket, Edge& edge,
                         std::string ip)
    : stream_(std::move(socket)), edge_(edge), ip_(std::move(ip)) {}

HttpSession::~HttpSession() {
  Answered();
  edge_.limits.Close(ip_);
  edge_.metrics->SetOpenConnections(edge_.limits.open());
}

void HttpSession::Start() {
  net::dispatch(stream_.get_executor(),
                [self = shared_from_this()] { self->ReadRequest(); });
}

void HttpSession::ReadRequest() {
  if (!first_ && buffer_.size() == 0) return WaitForNextRequest();
  first_ = false;
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(edge_.settings.max_header_bytes));
  parser_->body_limit(BodyLimit(edge_.settings));
  // The whole header within the header timeout, however slowly it trickles.
  stream_.expires_after(edge_.settings.header_timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) {
        self->OnHeader(ec);
      });
}

// Between requests of a keep-alive connection: idle up to --idle_timeout_ms;
// the first byte of the next request starts its header timeout.
void HttpSession::WaitForNextRequest() {
  stream_.expires_after(edge_.settings.idle_timeout);
  stream_.async_read_some(
      buffer_.prepare(4096),
      [self = shared_from_this()](beast::error_code ec, size_t n) {
        if (ec) return self->Close();
        self->buffer_.commit(n);
        self->first_ = true;  // data is waiting: read the header now
        self->ReadRequest();
      });
}

void HttpSession::OnHeader(beast::error_code ec) {
  if (ec == http::error::header_limit) {
    edge_.metrics->CountConnectionRefused("header_too_large");
    keep_alive_ = false;
    return Send(PlainResponse(11, http::status::request_header_fields_too_large,
                              "request header too large"));
  }
  if (ec == beast::error::timeout) {
    edge_.metrics->CountConnectionRefused("header_timeout");
    return Close();
  }
  if (ec) return Close();
  const auto& header = parser_->get();
  const auto length = parser_->content_length();
  // A body announced larger than any allowed message is refused before it
  // is read (the connection then closes: the body stays unread).
  const auto format =
      ParseContentType(HeaderOf(header, http::field::content_type));
  const uint64_t limit =
      format == WebFormat::kText
          ? BodyLimit(edge_.settings)
          : static_cast<uint64_t>(edge_.settings.max_request_bytes) + 64;
  if (length && *length > limit) {
    keep_alive_ = false;
    WebCall call;
    call.format = format.value_or(WebFormat::kBinary);
    call.content_type = ResponseContentType(
        call.format, HeaderOf(header, http::field::content_type));
    call.version = header.version();
    const absl::string_view origin = HeaderOf(header, http::field::origin);
    if (edge_.cors.Allowed(origin))
      call.cors = edge_.cors.ResponseHeaders(origin);
    return Send(TrailersOnly(
        call, ToGrpc(Overloaded("MESSAGE_TOO_LARGE",
                                "the request body is larger than allowed",
                                std::chrono::milliseconds(0)),
                     "gateway.turnstile")));
  }
  stream_.expires_after(edge_.settings.body_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     self->OnBody(ec);
                   });
}

void HttpSession::OnBody(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    keep_alive_ = false;
    return Send(PlainResponse(11, http::status::payload_too_large,
                              "request body too large"));
  }
  if (ec) return Close();
  stream_.expires_never();
  Dispatch(parser_->release());
}

std::string HttpSession::ClientIp(const HttpRequest& request) const {
  if (edge_.settings.trust_forwarded_for) {
    // The proxy in front appends the address it saw last.
    const absl::string_view xff = HeaderOf(request, "X-Forwarded-For");
    if (!xff.empty()) {
      std::vector<absl::string_view> parts = absl::StrSplit(xff, ',');
      const absl::string_view last = absl::StripAsciiWhitespace(parts.back());
      if (!last.empty() && last.size() <= 64) return std::string(last);
    }
  }
  return ip_;
}

void HttpSession::Dispatch(HttpRequest request) {
  edge_.active_requests.fetch_add(1);
  answering_ = true;
  keep_alive_ = request.keep_alive() && !edge_.draining.load();
  if (request.method() == http::verb::options) return HandlePreflight(request);

  const absl::string_view target = View(request.target());
  const absl::string_view content_type =
      HeaderOf(request, http::field::content_type);
  const auto format = ParseContentType(content_type);
  const absl::string_view origin = HeaderOf(request, http::field::origin);
  // A browser page of another site may not use a user's token here.
  if (!origin.empty() && !edge_.cors.Allowed(origin)) {
    return Send(PlainResponse(request.version(), http::status::forbidden,
                              "origin not allowed"));
  }
  const bool grpc_path =
      FindRoute(target.substr(0, target.find('?'))) != nullptr ||
      absl::StartsWith(target, "/turnstile.") ||
      absl::StartsWith(target, "/grpc.");
  if (request.method() == http::verb::post && format) {
    WebCall call;
    call.format = *format;
    call.content_type = ResponseContentType(*format, content_type);
    call.version = request.version();
    if (!origin.empty()) call.cors = edge_.cors.ResponseHeaders(origin);
    const std::string ip = ClientIp(request);
    HandleGrpcWeb(edge_, request, std::move(call), ip,
                  [self = shared_from_this()](HttpResponse response) {
                    net::post(self->stream_.get_executor(),
                              [self, response = std::move(response)]() mutable {
                                self->Send(std::move(response));
                              });
                  });
    return;
  }
  if (grpc_path) {
    if (request.method() != http::verb::post) {
      return Send(PlainResponse(
          request.version(), http::status::method_not_allowed,
          "gRPC-web calls are POST", {{"Allow", "POST, OPTIONS"}}));
    }
    return Send(PlainResponse(
        request.version(), http::status::unsupported_media_type,
        "content-type must be application/grpc-web, application/grpc-web+proto "
        "or application/grpc-web-text"));
  }
  if ((request.method() == http::verb::get ||
       request.method() == http::verb::head) &&
      edge_.static_files) {
    return HandleStatic(request);
  }
  Send(PlainResponse(request.version(), http::status::not_found, "not found"));
}

void HttpSession::HandlePreflight(const HttpRequest& request) {
  const absl::string_view origin = HeaderOf(request, http::field::origin);
  if (!edge_.cors.Allowed(origin) ||
      request.find(http::field::access_control_request_method) ==
          request.end()) {
    return Send(PlainResponse(request.version(), http::status::forbidden,
                              "origin not allowed", {{"Vary", "Origin"}}));
  }
  HttpResponse res{http::status::no_content, request.version()};
  for (const auto& [k, v] : edge_.cors.PreflightHeaders(origin)) res.set(k, v);
  Send(std::move(res));
}

void HttpSession::HandleStatic(const HttpRequest& request) {
  auto file = edge_.static_files->Load(View(request.target()));
  if (!file.ok()) {
    return Send(
        PlainResponse(request.version(), http::status::not_found, "not found"));
  }
  HttpResponse res{http::status::ok, request.version()};
  res.set(http::field::content_type, file->content_type);
  res.set(http::field::cache_control, file->cache_control);
  res.set(http::field::etag, file->etag);
  res.set("X-Content-Type-Options", "nosniff");
  if (HeaderOf(request, http::field::if_none_match) == file->etag) {
    res.result(http::status::not_modified);
    return Send(std::move(res));
  }
  if (request.method() == http::verb::head) {
    res.content_length(file->body.size());
    HttpResponse head = std::move(res);
    head.body().clear();
    head.content_length(file->body.size());
    return Send(std::move(head));
  }
  res.body() = std::move(file->body);
  res.prepare_payload();
  Send(std::move(res));
}

void HttpSession::Send(HttpResponse response) {
  response.keep_alive(keep_alive_);
  auto res = std::make_shared<HttpResponse>(std::move(response));
  stream_.expires_after(edge_.settings.body_timeout);
  http::async_write(
      stream_, *res,
      [self = shared_from_this(), res](beast::error_code ec, size_t) {
        if (ec || !self->keep_alive_) return self->Close();
        self->ReadRequest();
      });
}

void HttpSession::Answered() {
  if (answering_) {
    answering_ = false;
    edge_.active_requests.fetch_sub(1);
  }
}

void HttpSession::Close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  stream_.socket().close(ec);
}

}  // namespace turnstile::gateway
