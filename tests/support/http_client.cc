#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace turnstile::testing {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

HttpResult HttpCall(
    int port, const std::string& method, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& body, int timeout_ms) {
  HttpResult result;
  try {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::milliseconds(timeout_ms));
    stream.connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"),
                                          static_cast<unsigned short>(port)));
    http::request<http::string_body> req{http::string_to_verb(method), target,
                                         11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    result.status = res.result_int();
    for (const auto& field : res) {
      result.headers[absl::AsciiStrToLower(std::string(field.name_string()))] =
          std::string(field.value());
    }
    result.body = res.body();
  } catch (const std::exception&) {
  }
  return result;
}

std::string GrpcWebFrame(const std::string& message) {
  std::string frame(5, '\0');
  const uint32_t n = static_cast<uint32_t>(message.size());
  frame[1] = static_cast<char>(n >> 24);
  frame[2] = static_cast<char>(n >> 16);
  frame[3] = static_cast<char>(n >> 8);
  frame[4] = static_cast<char>(n);
  return frame + message;
}

std::string GrpcWebMessage(const HttpResult& result) {
  const std::string& body = result.body;
  if (body.size() < 5 || (static_cast<uint8_t>(body[0]) & 0x80) != 0) {
    return "";
  }
  const uint32_t len =
      (static_cast<uint32_t>(static_cast<uint8_t>(body[1])) << 24) |
      (static_cast<uint32_t>(static_cast<uint8_t>(body[2])) << 16) |
      (static_cast<uint32_t>(static_cast<uint8_t>(body[3])) << 8) |
      static_cast<uint8_t>(body[4]);
  return body.substr(5, len);
}

HttpResult GrpcWebCall(
    int port, const std::string& method, const std::string& message,
    const std::string& token, int timeout_ms,
    const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"content-type", "application/grpc-web+proto"}, {"x-grpc-web", "1"}};
  if (!token.empty()) headers.emplace_back("authorization", "Bearer " + token);
  headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
  return HttpCall(port, "POST", method, headers, GrpcWebFrame(message),
                  timeout_ms);
}

int GrpcStatusOf(const HttpResult& result) {
  int code = -1;
  if (auto it = result.headers.find("grpc-status");
      it != result.headers.end()) {
    if (absl::SimpleAtoi(it->second, &code)) return code;
  }
  // The trailer frame: the last frame, flag 0x80.
  const std::string& b = result.body;
  size_t pos = 0;
  while (pos + 5 <= b.size()) {
    const uint32_t len = (static_cast<uint8_t>(b[pos + 1]) << 24) |
                         (static_cast<uint8_t>(b[pos + 2]) << 16) |
                         (static_cast<uint8_t>(b[pos + 3]) << 8) |
                         static_cast<uint8_t>(b[pos + 4]);
    if (static_cast<uint8_t>(b[pos]) & 0x80) {
      for (absl::string_view line :
           absl::StrSplit(absl::string_view(b).substr(pos + 5, len), "\r\n")) {
        if (absl::StartsWith(line, "grpc-status:")) {
          (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(12)),
                                 &code);
        }
      }
    }
    pos += 5 + len;
  }
  return code;
}

int ConnectTcp(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace turnstile::testing
