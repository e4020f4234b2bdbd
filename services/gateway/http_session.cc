#include "services/gateway/http_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "services/common/status.h"
#include "services/gateway/grpc_web_codec.h"
#include "services/gateway/grpc_web_handler.h"
#include "services/gateway/request_kind.h"

namespace turnstile::gateway {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

constexpr char kDomain[] = "gateway.turnstile";
constexpr size_t kDrainBytes = 64 << 10;

absl::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

template <class Fields>
absl::string_view HeaderOf(const Fields& fields, http::field field) {
  auto it = fields.find(field);
  return it == fields.end() ? absl::string_view() : View(it->value());
}

template <class Fields>
absl::string_view HeaderOf(const Fields& fields, const char* name) {
  auto it = fields.find(name);
  return it == fields.end() ? absl::string_view() : View(it->value());
}

}  // namespace

HttpSession::HttpSession(net::ip::tcp::socket socket, Edge& edge,
                         std::string ip)
    : stream_(std::move(socket)), edge_(edge), ip_(std::move(ip)) {}

HttpSession::~HttpSession() {
  Answered();
  ReleaseBodyBudget();
  edge_.limits.Close(ip_);
  edge_.metrics->ConnectionClosed();
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
  // The largest body of any flavour; the header's own limit is applied in
  // OnHeader (Beast checks a Content-Length against this while parsing the
  // header, so a larger one arrives there as body_limit).
  parser_->body_limit(
      MaxBodyBytes(WebFormat::kText, edge_.settings.max_request_bytes));
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

void HttpSession::RefuseBody(const HttpRequest::header_type& header,
                             absl::string_view reason,
                             absl::string_view message) {
  keep_alive_ = false;
  drain_close_ = true;
  head_ = false;
  const absl::string_view content_type =
      HeaderOf(header, http::field::content_type);
  WebCall call;
  call.format = ParseContentType(content_type).value_or(WebFormat::kBinary);
  call.content_type = ResponseContentType(call.format, content_type);
  call.version = header.version();
  const absl::string_view origin = HeaderOf(header, http::field::origin);
  if (edge_.cors.Allowed(origin)) origin_ = std::string(origin);
  const absl::string_view target = View(header.target());
  const grpc::Status status = ToGrpc(
      reason == "GATEWAY_OVERLOADED"
          ? Overloaded(reason, message, edge_.settings.overload_retry_after)
          : Error(absl::StatusCode::kResourceExhausted, reason, message),
      kDomain);
  edge_.metrics->CountCall(FindRoute(target.substr(0, target.find('?'))),
                           status.error_code(), 0);
  Send(TrailersOnly(call, status));
}

void HttpSession::OnHeader(beast::error_code ec) {
  if (ec == http::error::header_limit) {
    edge_.metrics->CountConnectionRefused("header_too_large");
    keep_alive_ = false;
    drain_close_ = true;
    return Send(PlainResponse(11, http::status::request_header_fields_too_large,
                              "request header too large"));
  }
  if (ec == beast::error::timeout) {
    edge_.metrics->CountConnectionRefused("header_timeout");
    return Close();
  }
  const auto& header = parser_->get();
  if (ec == http::error::body_limit) {
    return RefuseBody(header, "MESSAGE_TOO_LARGE",
                      "the request body is larger than allowed");
  }
  if (ec) {
    if (ec != http::error::end_of_stream && ec != net::error::eof &&
        ec != net::error::connection_reset) {
      keep_alive_ = false;
      drain_close_ = true;
      return Send(PlainResponse(11, http::status::bad_request,
                                "malformed HTTP request"));
    }
    return Close();
  }
  // The body limit of this request's own flavour, and the memory it may
  // take: string_body reserves a Content-Length at once.
  const auto format =
      ParseContentType(HeaderOf(header, http::field::content_type));
  const uint64_t limit = MaxBodyBytes(format, edge_.settings.max_request_bytes);
  const auto length = parser_->content_length();
  if (length && *length > limit) {
    return RefuseBody(header, "MESSAGE_TOO_LARGE",
                      "the request body is larger than allowed");
  }
  parser_->body_limit(limit);
  const int64_t need =
      static_cast<int64_t>(length ? *length : (parser_->chunked() ? limit : 0));
  if (need > 0) {
    if (edge_.body_bytes.fetch_add(need) + need >
        edge_.settings.max_buffered_body_bytes) {
      edge_.body_bytes.fetch_sub(need);
      edge_.metrics->CountConnectionRefused("body_budget");
      return RefuseBody(header, "GATEWAY_OVERLOADED",
                        "the gateway is receiving too many request bodies");
    }
    body_reserved_ = need;
  }
  stream_.expires_after(edge_.settings.body_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, size_t) {
                     self->OnBody(ec);
                   });
}

void HttpSession::OnBody(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    return RefuseBody(parser_->get(), "MESSAGE_TOO_LARGE",
                      "the request body is larger than allowed");
  }
  if (ec) return Close();
  stream_.expires_never();
  Dispatch(parser_->release());
  ReleaseBodyBudget();  // the body is copied or gone by now
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
  head_ = request.method() == http::verb::head;
  const absl::string_view origin = HeaderOf(request, http::field::origin);
  const bool origin_allowed = edge_.cors.Allowed(origin);
  origin_ = origin_allowed ? std::string(origin) : std::string();
  const absl::string_view content_type =
      HeaderOf(request, http::field::content_type);
  const Classified what = ClassifyRequest(
      {.post = request.method() == http::verb::post,
       .get_or_head = request.method() == http::verb::get || head_,
       .options = request.method() == http::verb::options,
       .target = View(request.target()),
       .content_type = content_type,
       .origin = origin,
       .origin_allowed = origin_allowed,
       .serves_static = edge_.static_files.has_value(),
       .dev_token = edge_.dev_token.has_value()});
  const unsigned version = request.version();
  switch (what.kind) {
    case RequestKind::kPreflight:
      return HandlePreflight(request);
    case RequestKind::kStatic:
      return HandleStatic(request);
    case RequestKind::kForbiddenOrigin:
      return Send(PlainResponse(version, http::status::forbidden,
                                "origin not allowed", {{"Vary", "Origin"}}));
    case RequestKind::kMethodNotAllowed:
      return Send(PlainResponse(version, http::status::method_not_allowed,
                                "gRPC-web calls are POST",
                                {{"Allow", "POST, OPTIONS"}}));
    case RequestKind::kWrongContentType:
      return Send(PlainResponse(
          version, http::status::unsupported_media_type,
          "content-type must be application/grpc-web, "
          "application/grpc-web+proto or application/grpc-web-text"));
    case RequestKind::kNotFound:
      return Send(PlainResponse(version, http::status::not_found, "not found"));
    case RequestKind::kDevToken:
      return HandleDevToken(request);
    case RequestKind::kGrpcWeb:
      break;
  }
  WebCall call;
  call.format = *what.format;
  call.content_type = ResponseContentType(*what.format, content_type);
  call.version = version;
  HandleGrpcWeb(edge_, request, std::move(call), ClientIp(request),
                [self = shared_from_this()](HttpResponse response) {
                  net::post(self->stream_.get_executor(),
                            [self, response = std::move(response)]() mutable {
                              self->Send(std::move(response));
                            });
                });
}

void HttpSession::HandlePreflight(const HttpRequest& request) {
  const absl::string_view origin = HeaderOf(request, http::field::origin);
  if (!edge_.cors.Allowed(origin) ||
      request.find(http::field::access_control_request_method) ==
          request.end()) {
    origin_.clear();
    return Send(PlainResponse(request.version(), http::status::forbidden,
                              "origin not allowed", {{"Vary", "Origin"}}));
  }
  HttpResponse res{http::status::no_content, request.version()};
  for (const auto& [k, v] : edge_.cors.PreflightHeaders(origin)) res.set(k, v);
  origin_.clear();  // the preflight headers are complete
  Send(std::move(res));
}

void HttpSession::HandleDevToken(const HttpRequest& request) {
  const DevTokenAnswer answer = MintDevToken(*edge_.dev_token, request.body(),
                                             absl::ToUnixSeconds(absl::Now()));
  HttpResponse res{static_cast<http::status>(answer.http_status),
                   request.version()};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.set(http::field::vary, "Origin");
  res.body() = answer.json;
  res.prepare_payload();
  Send(std::move(res));
}

void HttpSession::HandleStatic(const HttpRequest& request) {
  auto file = edge_.static_files->Load(
      View(request.target()), HeaderOf(request, http::field::if_none_match),
      /*read_body=*/!head_);
  if (!file.ok()) {
    return Send(
        PlainResponse(request.version(), http::status::not_found, "not found"));
  }
  HttpResponse res{
      file->not_modified ? http::status::not_modified : http::status::ok,
      request.version()};
  res.set(http::field::content_type, file->content_type);
  res.set(http::field::cache_control, file->cache_control);
  res.set(http::field::etag, file->etag);
  res.set("X-Content-Type-Options", "nosniff");
  res.set(http::field::vary, "Origin");
  if (!file->not_modified) {
    res.body() = std::move(file->body);
    res.prepare_payload();
    if (head_) res.content_length(file->size);
  }
  Send(std::move(res));
}

void HttpSession::Send(HttpResponse response) {
  response.keep_alive(keep_alive_);
  if (!origin_.empty() &&
      response.find(http::field::access_control_allow_origin) ==
          response.end()) {
    for (const auto& [k, v] : edge_.cors.ResponseHeaders(origin_)) {
      response.set(k, v);
    }
  }
  if (head_) {
    // A HEAD answer has the headers of the GET answer and no body.
    const auto length = response.has_content_length()
                            ? response[http::field::content_length]
                            : beast::string_view();
    const std::string keep(length);
    response.body().clear();
    if (!keep.empty()) response.set(http::field::content_length, keep);
  }
  auto res = std::make_shared<HttpResponse>(std::move(response));
  stream_.expires_after(edge_.settings.body_timeout);
  http::async_write(
      stream_, *res,
      [self = shared_from_this(), res](beast::error_code ec, size_t) {
        self->Answered();
        if (!ec && self->drain_close_) return self->DrainAndClose();
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

void HttpSession::ReleaseBodyBudget() {
  if (body_reserved_ > 0) {
    edge_.body_bytes.fetch_sub(body_reserved_);
    body_reserved_ = 0;
  }
}

void HttpSession::DrainAndClose() {
  ReleaseBodyBudget();
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
  stream_.expires_after(std::chrono::seconds(1));
  buffer_.clear();
  auto self = shared_from_this();
  auto drained = std::make_shared<size_t>(0);
  auto loop = std::make_shared<std::function<void()>>();
  *loop = [self, drained, loop] {
    self->stream_.async_read_some(
        self->buffer_.prepare(16384),
        [self, drained, loop](beast::error_code ec, size_t n) {
          *drained += n;
          self->buffer_.consume(self->buffer_.size());
          if (ec || *drained >= kDrainBytes) {
            self->Close();
            *loop = nullptr;  // breaks the cycle
            return;
          }
          (*loop)();
        });
  };
  (*loop)();
}

void HttpSession::Close() {
  beast::error_code ec;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

}  // namespace turnstile::gateway
