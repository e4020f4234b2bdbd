// The gRPC-web wire format (grpc/grpc PROTOCOL-WEB.md) as pure functions:
// which flavour a content type names, the request body turned into the one
// message of a unary call (base64 of the text flavour decoded, padding
// allowed between chunks), the response encoded as a data frame plus one
// trailer frame (flag 0x80), and grpc-timeout parsed into a duration. No
// I/O: the HTTP session calls these, so every framing rule is unit-tested
// without a socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace turnstile::gateway {

enum class WebFormat {
  kBinary,  // application/grpc-web, application/grpc-web+proto
  kText,    // application/grpc-web-text[+proto]: base64 of the binary body
};

// The format of a request content type (parameters after ';' ignored,
// case-insensitive), or nullopt if it is no gRPC-web protobuf type (JSON
// and other codecs are not spoken: the message is forwarded as raw bytes).
std::optional<WebFormat> ParseContentType(absl::string_view content_type);

// The content type of the response to a request of `request_type`: the
// client's own spelling of the same flavour.
std::string ResponseContentType(WebFormat format,
                                absl::string_view request_type);

inline constexpr uint8_t kTrailerFlag = 0x80;
inline constexpr uint8_t kCompressedFlag = 0x01;
inline constexpr size_t kFrameHeaderBytes = 5;

// Decodes the text flavour: standard base64 in chunks that may each end in
// '=' padding ("AAAA==BBBB" is two chunks). INVALID_ARGUMENT with reason
// BAD_BASE64 on anything else. `out` is reused.
absl::Status DecodeBase64Chunks(absl::string_view text, std::string* out);

// The message of a unary request body (binary, already decoded): exactly
// one uncompressed data frame, whose length fits the body. Returns a view
// into `body`. INVALID_ARGUMENT reason BAD_FRAME for a truncated header, a
// length beyond the body, bytes after the frame, a trailer frame or more
// than one message; UNIMPLEMENTED reason COMPRESSION_UNSUPPORTED for a
// compressed frame (no grpc-encoding is accepted).
absl::StatusOr<absl::string_view> UnaryRequestMessage(absl::string_view body);

// Appends the 5-byte frame header (flag, big-endian length) to `out`.
void AppendFrameHeader(uint8_t flag, uint32_t length, std::string* out);

// The trailer block of a frame with flag 0x80: "key: value\r\n" per entry,
// keys lower-case.
std::string TrailerBlock(
    const std::vector<std::pair<std::string, std::string>>& trailers);

// grpc-message is percent-encoded (gRPC's HTTP/2 spec): bytes outside
// printable ASCII and '%' become %XX.
std::string PercentEncodeMessage(absl::string_view message);

// Standard base64 with padding (text-flavour responses) and without
// padding (binary header values, e.g. grpc-status-details-bin).
std::string Base64(absl::string_view bytes);
std::string Base64Unpadded(absl::string_view bytes);

// grpc-timeout ("<1-8 digits><H|M|S|m|u|n>") as a duration; nullopt if the
// value is malformed (the call is then refused, not run without deadline).
std::optional<std::chrono::nanoseconds> ParseGrpcTimeout(
    absl::string_view value);

}  // namespace turnstile::gateway
