#include "tools/bench_requests.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace turnstile::bench {
namespace {

constexpr size_t kFrameHeaderBytes = 5;

void AppendU32(uint32_t v, std::string* out) {
  out->push_back(static_cast<char>((v >> 24) & 0xff));
  out->push_back(static_cast<char>((v >> 16) & 0xff));
  out->push_back(static_cast<char>((v >> 8) & 0xff));
  out->push_back(static_cast<char>(v & 0xff));
}

uint32_t ReadU32(absl::string_view data, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) {
    v = (v << 8) | static_cast<unsigned char>(data[at + i]);
  }
  return v;
}

void AppendField(absl::string_view field, std::string* out) {
  AppendU32(static_cast<uint32_t>(field.size()), out);
  out->append(field.data(), field.size());
}

// The field at `*at`, advancing past it; false if truncated.
bool ReadField(absl::string_view data, size_t* at, std::string* field) {
  if (data.size() - *at < 4) return false;
  const uint32_t n = ReadU32(data, *at);
  if (data.size() - *at - 4 < n) return false;
  field->assign(data.data() + *at + 4, n);
  *at += 4 + n;
  return true;
}

}  // namespace

std::string GrpcWebFrame(absl::string_view message) {
  std::string out;
  out.reserve(kFrameHeaderBytes + message.size());
  out.push_back('\0');
  AppendU32(static_cast<uint32_t>(message.size()), &out);
  out.append(message.data(), message.size());
  return out;
}

absl::StatusOr<absl::string_view> GrpcWebFrameMessage(absl::string_view body) {
  if (body.size() < kFrameHeaderBytes) {
    return absl::InvalidArgumentError("body shorter than a frame header");
  }
  if (body[0] != '\0') {
    return absl::InvalidArgumentError("not an uncompressed data frame");
  }
  if (ReadU32(body, 1) != body.size() - kFrameHeaderBytes) {
    return absl::InvalidArgumentError("frame length does not match the body");
  }
  return body.substr(kFrameHeaderBytes);
}

void AppendRequest(const PreparedRequest& request, std::string* file) {
  AppendField(request.path, file);
  AppendField(request.user, file);
  AppendField(request.token, file);
  AppendField(request.body, file);
}

absl::StatusOr<std::vector<PreparedRequest>> ParseRequestFile(
    absl::string_view data) {
  if (data.substr(0, kRequestFileMagic.size()) != kRequestFileMagic) {
    return absl::InvalidArgumentError("not a turnstile-bench request file");
  }
  std::vector<PreparedRequest> out;
  size_t at = kRequestFileMagic.size();
  while (at < data.size()) {
    PreparedRequest r;
    if (!ReadField(data, &at, &r.path) || !ReadField(data, &at, &r.user) ||
        !ReadField(data, &at, &r.token) || !ReadField(data, &at, &r.body)) {
      return absl::InvalidArgumentError(
          absl::StrCat("request ", out.size(), " is truncated"));
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace turnstile::bench
