#include "services/gateway/grpc_web_codec.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile::gateway {
namespace {

absl::Status BadFrame(absl::string_view what) {
  return Error(absl::StatusCode::kInvalidArgument, "BAD_FRAME",
               absl::StrCat("malformed gRPC-web request body: ", what));
}

int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::optional<WebFormat> ParseContentType(absl::string_view content_type) {
  absl::string_view type = content_type.substr(0, content_type.find(';'));
  type = absl::StripAsciiWhitespace(type);
  if (absl::EqualsIgnoreCase(type, "application/grpc-web") ||
      absl::EqualsIgnoreCase(type, "application/grpc-web+proto")) {
    return WebFormat::kBinary;
  }
  if (absl::EqualsIgnoreCase(type, "application/grpc-web-text") ||
      absl::EqualsIgnoreCase(type, "application/grpc-web-text+proto")) {
    return WebFormat::kText;
  }
  return std::nullopt;
}

std::string ResponseContentType(WebFormat format,
                                absl::string_view request_type) {
  const bool proto_suffix =
      absl::EndsWithIgnoreCase(absl::StripAsciiWhitespace(request_type.substr(
                                   0, request_type.find(';'))),
                               "+proto");
  if (format == WebFormat::kText) {
    return proto_suffix ? "application/grpc-web-text+proto"
                        : "application/grpc-web-text";
  }
  return proto_suffix ? "application/grpc-web+proto" : "application/grpc-web";
}

absl::Status DecodeBase64Chunks(absl::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size() / 4 * 3);
  uint32_t acc = 0;
  int have = 0;  // sextets in acc
  int pad = 0;   // '=' seen in the current quantum
  for (unsigned char c : text) {
    if (c == '=') {
      // Padding is only legal in the last two places of a quantum.
      if (have < 2 || have + pad >= 4) {
        return Error(absl::StatusCode::kInvalidArgument, "BAD_BASE64",
                     "malformed base64 in a grpc-web-text body");
      }
      ++pad;
      if (have + pad == 4) {
        if (have == 2) {
          out->push_back(static_cast<char>((acc >> 4) & 0xff));
        } else {
          out->push_back(static_cast<char>((acc >> 10) & 0xff));
          out->push_back(static_cast<char>((acc >> 2) & 0xff));
        }
        acc = 0;
        have = 0;
        pad = 0;
      }
      continue;
    }
    const int v = Base64Value(c);
    if (v < 0 || pad > 0) {
      return Error(absl::StatusCode::kInvalidArgument, "BAD_BASE64",
                   "malformed base64 in a grpc-web-text body");
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    if (++have == 4) {
      out->push_back(static_cast<char>((acc >> 16) & 0xff));
      out->push_back(static_cast<char>((acc >> 8) & 0xff));
      out->push_back(static_cast<char>(acc & 0xff));
      acc = 0;
      have = 0;
    }
  }
  if (have != 0 || pad != 0) {
    return Error(absl::StatusCode::kInvalidArgument, "BAD_BASE64",
                 "truncated base64 in a grpc-web-text body");
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::string_view> UnaryRequestMessage(absl::string_view body) {
  if (body.size() < kFrameHeaderBytes) {
    return BadFrame(body.empty() ? "empty body, expected one message frame"
                                 : "truncated frame header");
  }
  const auto flag = static_cast<uint8_t>(body[0]);
  const uint32_t length =
      (static_cast<uint32_t>(static_cast<uint8_t>(body[1])) << 24) |
      (static_cast<uint32_t>(static_cast<uint8_t>(body[2])) << 16) |
      (static_cast<uint32_t>(static_cast<uint8_t>(body[3])) << 8) |
      static_cast<uint32_t>(static_cast<uint8_t>(body[4]));
  if (flag & kTrailerFlag) return BadFrame("a request carries no trailers");
  if (flag & kCompressedFlag) {
    return Error(absl::StatusCode::kUnimplemented, "COMPRESSION_UNSUPPORTED",
                 "compressed gRPC-web frames are not accepted");
  }
  if (flag != 0) return BadFrame("unknown frame flags");
  const size_t rest = body.size() - kFrameHeaderBytes;
  if (length > rest) {
    return BadFrame(absl::StrCat("frame length ", length, " exceeds the ", rest,
                                 " bytes that follow"));
  }
  if (length < rest) {
    return BadFrame("bytes after the message (a unary call has one message)");
  }
  return body.substr(kFrameHeaderBytes, length);
}

void AppendFrameHeader(uint8_t flag, uint32_t length, std::string* out) {
  out->push_back(static_cast<char>(flag));
  out->push_back(static_cast<char>((length >> 24) & 0xff));
  out->push_back(static_cast<char>((length >> 16) & 0xff));
  out->push_back(static_cast<char>((length >> 8) & 0xff));
  out->push_back(static_cast<char>(length & 0xff));
}

std::string TrailerBlock(
    const std::vector<std::pair<std::string, std::string>>& trailers) {
  std::string block;
  for (const auto& [key, value] : trailers) {
    absl::StrAppend(&block, absl::AsciiStrToLower(key), ": ", value, "\r\n");
  }
  return block;
}

std::string PercentEncodeMessage(absl::string_view message) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(message.size());
  for (unsigned char c : message) {
    if (c >= 0x20 && c <= 0x7e && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string Base64(absl::string_view bytes) {
  return absl::Base64Escape(bytes);
}

std::string Base64Unpadded(absl::string_view bytes) {
  std::string out = absl::Base64Escape(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(
    absl::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  int64_t n = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  using std::chrono::nanoseconds;
  switch (value.back()) {
    case 'H':
      return std::chrono::duration_cast<nanoseconds>(std::chrono::hours(n));
    case 'M':
      return std::chrono::duration_cast<nanoseconds>(std::chrono::minutes(n));
    case 'S':
      return std::chrono::duration_cast<nanoseconds>(std::chrono::seconds(n));
    case 'm':
      return std::chrono::duration_cast<nanoseconds>(
          std::chrono::milliseconds(n));
    case 'u':
      return std::chrono::duration_cast<nanoseconds>(
          std::chrono::microseconds(n));
    case 'n':
      return nanoseconds(n);
    default:
      return std::nullopt;
  }
}

}  // namespace turnstile::gateway
