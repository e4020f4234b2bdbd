// Error conventions shared by every service (DESIGN.md §6). Inside a process
// an error is an absl::Status whose payloads hold the machine-readable parts:
// a google.rpc.ErrorInfo (reason, metadata facts), a google.rpc.RetryInfo
// (retry delay, on overload) and a google.rpc.RequestInfo (the correlation id
// of a concealed internal failure). At the gRPC edge ToGrpc turns it into the
// gRPC standard -- grpc-status-details-bin is a serialized google.rpc.Status
// {code, message, details: [Any(ErrorInfo), Any(RetryInfo)?, ...]} -- so
// that any gRPC client library decodes it; FromGrpc reads it back, so a
// reason, its facts and a retry delay survive every hop of the mesh.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace turnstile {

// Facts about an error (ErrorInfo.metadata), e.g. {"skuId", "tee"}. Keys are
// lowerCamelCase, as in Google's APIs.
using ErrorFacts =
    std::initializer_list<std::pair<absl::string_view, absl::string_view>>;

// A status with `code`, `message` and the machine-readable `reason`
// (UPPER_SNAKE_CASE), optionally with facts.
absl::Status Error(absl::StatusCode code, absl::string_view reason,
                   absl::string_view message);
absl::Status Error(absl::StatusCode code, absl::string_view reason,
                   absl::string_view message, ErrorFacts facts);

// Shorthands for the common cases.
absl::Status InvalidArgument(absl::string_view message);
absl::Status NotFound(absl::string_view message);
absl::Status Refused(absl::string_view reason, absl::string_view message);
// RESOURCE_EXHAUSTED: the call was refused because a bounded queue or pool
// is full; the caller should retry after `retry_after` (RetryInfo).
absl::Status Overloaded(absl::string_view reason, absl::string_view message,
                        std::chrono::milliseconds retry_after);
// `status` telling the caller to retry after `retry_after` (RetryInfo), for
// codes other than RESOURCE_EXHAUSTED too (e.g. UNAVAILABLE). OK stays OK.
absl::Status WithRetryDelay(absl::Status status,
                            std::chrono::milliseconds retry_after);

// `status` with `facts` added to its metadata (later keys win). OK stays OK.
absl::Status WithMetadata(absl::Status status, ErrorFacts facts);
// `status` with another message and everything else (reason, facts, retry
// delay, correlation id) kept, e.g. to say which branch it came from.
absl::Status WithMessage(const absl::Status& status, absl::string_view message);
// `status` carrying the correlation id `id` (see internal_error.h).
absl::Status WithCorrelationId(absl::Status status, absl::string_view id);

// The reason attached to `status`, or "" if none.
std::string ReasonOf(const absl::Status& status);
// The facts attached to `status` (empty if none).
std::map<std::string, std::string> MetadataOf(const absl::Status& status);
// The retry delay attached to `status`, if any.
std::optional<std::chrono::milliseconds> RetryDelayOf(
    const absl::Status& status);
// The correlation id of a concealed failure, or "" if none.
std::string CorrelationIdOf(const absl::Status& status);

// Converts at the gRPC edge; `domain` names the answering service (e.g.
// "inventory.turnstile"). The domain is always the edge's own: a client of
// one API sees one domain for a reason whether the service decided it
// itself (the order pre-check's SOLD_OUT) or forwarded it from a participant
// (inventory's SOLD_OUT). An INTERNAL, UNKNOWN or DATA_LOSS status with
// neither a reason nor a correlation id (raw text from somewhere) is
// concealed here (logged with a new correlation id, a generic message
// sent), so such text cannot reach a client by accident. An error without a
// reason gets its code's name as reason; RESOURCE_EXHAUSTED always carries a
// RetryInfo.
grpc::Status ToGrpc(const absl::Status& status, absl::string_view domain);
// Reads code, message, reason, facts, retry delay and correlation id back.
// A status without google.rpc.Status details was made by the gRPC library
// (connection refused, deadline) or a foreign server: its text may name
// hosts, so it is logged with a correlation id and replaced by a generic
// message.
absl::Status FromGrpc(const grpc::Status& status);

// True for errors worth retrying (UNAVAILABLE, DEADLINE_EXCEEDED, ...).
bool IsTransient(const absl::Status& status);

}  // namespace turnstile
