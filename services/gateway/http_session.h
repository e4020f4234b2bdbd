// One client connection of the gateway on Boost.Beast: HTTP/1.1 with
// keep-alive, requests read with the edge's bounds -- the whole header must
// arrive within --header_timeout_ms and fit --max_header_bytes, the body
// within --body_timeout_ms and the size bound, an idle keep-alive
// connection is closed after --idle_timeout_ms -- so a slow or silent
// client cannot hold a connection. Each request is dispatched: CORS
// preflight, gRPC-web call (grpc_web_handler.h), or static file. All
// handlers of a connection run on its strand; a forwarded call's answer is
// posted back to it.
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
  void Send(HttpResponse response);
  void Close();
  // The request being answered has been written (or never will be).
  void Answered();
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
  bool answering_ = false;  // counted in edge_.active_requests
};

}  // namespace turnstile::gateway
