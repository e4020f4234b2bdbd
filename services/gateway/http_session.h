// One client connection of the gateway on Boost.Beast: HTTP/1.1 with
// keep-alive, requests read within the edge's bounds -- the whole header
// within --header_timeout_ms and --max_header_bytes, the body within
// --body_timeout_ms, the size bound and the process-wide budget of body
// bytes being buffered, an idle keep-alive connection closed after
// --idle_timeout_ms -- so a slow or silent client cannot hold a connection
// or memory. Each request is classified (request_kind.h) and answered: CORS
// preflight, gRPC-web call (grpc_web_handler.h), static file, the dev
// sign-in endpoint (dev_token.h), or a plain
// refusal. All handlers of a connection run on its strand; a forwarded
// call's answer is posted back to it. A refusal sent before the body was
// read closes the connection after draining what the client still sends,
// so the client reads the answer instead of a reset.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>
#include <string>

#include "services/gateway/edge.h"
#include "services/gateway/web_response.h"

namespace turnstile::gateway {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `ip` is the peer's address; the connection is already counted in
  // edge.limits (released when the session ends).
  HttpSession(boost::asio::ip::tcp::socket socket, Edge& edge, std::string ip);
  ~HttpSession();

  void Start();

 private:
  void ReadRequest();
  void WaitForNextRequest();
  void OnHeader(boost::beast::error_code ec);
  void OnBody(boost::beast::error_code ec);
  void Dispatch(HttpRequest request);
  void HandlePreflight(const HttpRequest& request);
  void HandleStatic(const HttpRequest& request);
  void HandleDevToken(const HttpRequest& request);
  // Answers a request whose body is too large (before or while reading it)
  // as the gRPC refusal MESSAGE_TOO_LARGE, then closes.
  void RefuseBody(const HttpRequest::header_type& header,
                  absl::string_view reason, absl::string_view message);
  void Send(HttpResponse response);
  // The request being answered has been written (or never will be).
  void Answered();
  void ReleaseBodyBudget();
  void Close();
  // Half-closes, discards what the client still sends (bounded), closes.
  void DrainAndClose();
  // The client address used for per-IP limits.
  std::string ClientIp(const HttpRequest& request) const;

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<
      boost::beast::http::request_parser<boost::beast::http::string_body>>
      parser_;
  Edge& edge_;
  const std::string ip_;
  bool keep_alive_ = false;
  bool first_ = true;
  bool answering_ = false;     // counted in edge_.active_requests
  bool head_ = false;          // answering a HEAD: no body on the wire
  bool drain_close_ = false;   // the body was not read: drain, then close
  std::string origin_;         // allowed Origin of the request, or ""
  int64_t body_reserved_ = 0;  // bytes held in edge_.body_bytes
};

}  // namespace turnstile::gateway
