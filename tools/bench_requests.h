// The request files of the gateway benchmark (issue 8). turnstile-bench
// --scenario=gateway-prep writes, for each phase and each path, exactly the
// requests to send, so that the gateway run (wrk with
// scripts/bench/grpc_web.lua) and the direct run (turnstile-bench
// --scenario=gateway-direct) send the same orders, differing only in their
// idempotency keys, and each request is sent once.
//
// Format: the line kRequestFileMagic, then per request four fields, each a
// 4-byte big-endian length followed by that many bytes: the gRPC path
// ("/turnstile.v1.Order/PlaceOrder"), the user, the bearer token (empty in
// a direct file) and the gRPC-web body: one uncompressed data frame (flag
// 0, 4-byte big-endian length, the serialized request). Length-prefixed
// binary rather than text because Lua reads it with string.byte and
// string.sub alone. Pure code, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace turnstile::bench {

inline constexpr absl::string_view kRequestFileMagic =
    "turnstile-bench-requests 1\n";

struct PreparedRequest {
  std::string path;   // gRPC method path
  std::string user;   // the buyer (the token's sub)
  std::string token;  // compact JWT, "" for the direct path
  std::string body;   // one gRPC-web data frame
};

// `message` as one uncompressed gRPC-web (and gRPC) data frame.
std::string GrpcWebFrame(absl::string_view message);

// The message of a body holding exactly one uncompressed data frame;
// INVALID_ARGUMENT otherwise.
absl::StatusOr<absl::string_view> GrpcWebFrameMessage(absl::string_view body);

// Appends `request` to `file`, which must already start with
// kRequestFileMagic.
void AppendRequest(const PreparedRequest& request, std::string* file);

// Every request of a file; INVALID_ARGUMENT (naming the record) for a
// missing magic line or a truncated record.
absl::StatusOr<std::vector<PreparedRequest>> ParseRequestFile(
    absl::string_view data);

}  // namespace turnstile::bench
