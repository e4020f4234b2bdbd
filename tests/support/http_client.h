// A minimal blocking HTTP/1.1 client for gateway tests (Boost.Beast): one
// request on a fresh connection, or raw bytes on a socket that the test
// keeps open (slow clients, connection bounds).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace turnstile::testing {

struct HttpResult {
  int status = 0;  // 0 = no answer (connection closed or refused)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// POST/GET/... `target` on 127.0.0.1:port with `headers` and `body`.
HttpResult HttpCall(
    int port, const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& body = "", int timeout_ms = 5000);

// A gRPC-web unary call: the message framed, binary content type; returns
// the HTTP result (grpc-status in headers for trailers-only answers).
// `extra_headers` are sent too (e.g. traceparent, grpc-timeout).
HttpResult GrpcWebCall(
    int port, const std::string& method, const std::string& message,
    const std::string& token, int timeout_ms = 5000,
    const std::vector<std::pair<std::string, std::string>>& extra_headers = {});

// `message` in one gRPC-web data frame (flag byte, big-endian length).
std::string GrpcWebFrame(const std::string& message);

// The message of the first data frame of a gRPC-web answer ("" if none).
std::string GrpcWebMessage(const HttpResult& result);

// The grpc-status of a gRPC-web answer (trailers-only header or trailer
// frame), -1 if none.
int GrpcStatusOf(const HttpResult& result);

// A connected TCP socket to 127.0.0.1:port (-1 on failure); the caller
// closes it.
int ConnectTcp(int port);

}  // namespace turnstile::testing
