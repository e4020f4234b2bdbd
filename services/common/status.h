// Error conventions shared by every service (DESIGN.md §6): an absl::Status
// carries a machine-readable reason as a payload; at the gRPC edge it becomes
// a grpc::Status whose error_details hold a serialized turnstile.v1.ErrorInfo.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace turnstile {

// A status with `code`, `message` and the machine-readable `reason`.
absl::Status Error(absl::StatusCode code, absl::string_view reason,
                   absl::string_view message);

// Shorthands for the common cases.
absl::Status InvalidArgument(absl::string_view message);
absl::Status NotFound(absl::string_view message);
absl::Status Refused(absl::string_view reason, absl::string_view message);

// The reason attached to `status`, or "" if none.
std::string ReasonOf(const absl::Status& status);

// Converts at the gRPC edge; `domain` names the producing service.
grpc::Status ToGrpc(const absl::Status& status, absl::string_view domain);
absl::Status FromGrpc(const grpc::Status& status);

// True for errors worth retrying (UNAVAILABLE, DEADLINE_EXCEEDED, ...).
bool IsTransient(const absl::Status& status);

}  // namespace turnstile
