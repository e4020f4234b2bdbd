#include "services/common/status.h"

#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/internal_error.h"

namespace turnstile {
namespace {

// Payload type URLs: the same as the Any type URLs on the wire, so a payload
// is exactly the Any value ToGrpc sends.
constexpr char kErrorInfoUrl[] = "type.googleapis.com/google.rpc.ErrorInfo";
constexpr char kRetryInfoUrl[] = "type.googleapis.com/google.rpc.RetryInfo";
constexpr char kRequestInfoUrl[] = "type.googleapis.com/google.rpc.RequestInfo";

// What a RESOURCE_EXHAUSTED without its own delay (gRPC's thread quota, a
// forwarded foreign one) advises: short, so a client backs off a little.
constexpr std::chrono::milliseconds kDefaultRetryDelay(100);

template <typename Message>
bool PayloadOf(const absl::Status& status, const char* url, Message* out) {
  auto payload = status.GetPayload(url);
  return payload && out->ParseFromString(std::string(*payload));
}

template <typename Message>
void SetPayload(absl::Status& status, const char* url, const Message& m) {
  status.SetPayload(url, absl::Cord(m.SerializeAsString()));
}

google::rpc::ErrorInfo InfoOf(const absl::Status& status) {
  google::rpc::ErrorInfo info;
  PayloadOf(status, kErrorInfoUrl, &info);
  return info;
}

void SetDuration(std::chrono::milliseconds d, google::protobuf::Duration* out) {
  out->set_seconds(d.count() / 1000);
  out->set_nanos(static_cast<int32_t>((d.count() % 1000) * 1000000));
}

std::chrono::milliseconds ToMillis(const google::protobuf::Duration& d) {
  return std::chrono::milliseconds(d.seconds() * 1000 + d.nanos() / 1000000);
}

// Copies every payload of `from` into `to`.
void CopyPayloads(const absl::Status& from, absl::Status& to) {
  from.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    to.SetPayload(url, payload);
  });
}

bool IsInternalKind(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal ||
         code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss;
}

// What a client is told instead of a gRPC library's own text.
absl::string_view GenericTransportMessage(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
      return "a service this call depends on is unavailable; retry";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "a service this call depends on did not answer in time";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "a service this call depends on is overloaded; retry";
    case grpc::StatusCode::CANCELLED:
      return "the call was cancelled";
    default:
      return "a call to another service failed";
  }
}

}  // namespace

absl::Status Error(absl::StatusCode code, absl::string_view reason,
                   absl::string_view message) {
  absl::Status status(code, message);
  if (!reason.empty() && !status.ok()) {
    google::rpc::ErrorInfo info;
    info.set_reason(std::string(reason));
    SetPayload(status, kErrorInfoUrl, info);
  }
  return status;
}

absl::Status Error(absl::StatusCode code, absl::string_view reason,
                   absl::string_view message, ErrorFacts facts) {
  return WithMetadata(Error(code, reason, message), facts);
}

absl::Status InvalidArgument(absl::string_view message) {
  return Error(absl::StatusCode::kInvalidArgument, "INVALID_ARGUMENT", message);
}

absl::Status NotFound(absl::string_view message) {
  return Error(absl::StatusCode::kNotFound, "NOT_FOUND", message);
}

absl::Status Refused(absl::string_view reason, absl::string_view message) {
  return Error(absl::StatusCode::kFailedPrecondition, reason, message);
}

absl::Status Overloaded(absl::string_view reason, absl::string_view message,
                        std::chrono::milliseconds retry_after) {
  return WithRetryDelay(
      Error(absl::StatusCode::kResourceExhausted, reason, message),
      retry_after);
}

absl::Status WithRetryDelay(absl::Status status,
                            std::chrono::milliseconds retry_after) {
  if (status.ok()) return status;
  google::rpc::RetryInfo retry;
  SetDuration(retry_after, retry.mutable_retry_delay());
  SetPayload(status, kRetryInfoUrl, retry);
  return status;
}

absl::Status WithMetadata(absl::Status status, ErrorFacts facts) {
  if (status.ok() || facts.size() == 0) return status;
  google::rpc::ErrorInfo info = InfoOf(status);
  for (const auto& [key, value] : facts) {
    (*info.mutable_metadata())[std::string(key)] = std::string(value);
  }
  SetPayload(status, kErrorInfoUrl, info);
  return status;
}

absl::Status WithMessage(const absl::Status& status,
                         absl::string_view message) {
  if (status.ok()) return status;
  absl::Status out(status.code(), message);
  CopyPayloads(status, out);
  return out;
}

absl::Status WithCorrelationId(absl::Status status, absl::string_view id) {
  if (status.ok()) return status;
  google::rpc::RequestInfo request;
  request.set_request_id(std::string(id));
  SetPayload(status, kRequestInfoUrl, request);
  return status;
}

std::string ReasonOf(const absl::Status& status) {
  return InfoOf(status).reason();
}

std::map<std::string, std::string> MetadataOf(const absl::Status& status) {
  const google::rpc::ErrorInfo info = InfoOf(status);
  return {info.metadata().begin(), info.metadata().end()};
}

std::optional<std::chrono::milliseconds> RetryDelayOf(
    const absl::Status& status) {
  google::rpc::RetryInfo retry;
  if (!PayloadOf(status, kRetryInfoUrl, &retry) || !retry.has_retry_delay()) {
    return std::nullopt;
  }
  return ToMillis(retry.retry_delay());
}

std::string CorrelationIdOf(const absl::Status& status) {
  google::rpc::RequestInfo request;
  PayloadOf(status, kRequestInfoUrl, &request);
  return request.request_id();
}

grpc::Status ToGrpc(const absl::Status& in, absl::string_view domain) {
  if (in.ok()) return grpc::Status::OK;
  absl::Status status = in;
  // A raw INTERNAL (no reason: not one of ours, e.g. absl::InternalError
  // around some library's text) is concealed here. Our own reasoned ones
  // (ORDER_MISSING, a SQL function's turnstile:INTERNAL:...) are written to
  // be read and keep their message; concealed ones carry an id already.
  if (IsInternalKind(status.code()) && ReasonOf(status).empty() &&
      CorrelationIdOf(status).empty()) {
    status = Concealed(status.code(), ReasonOf(status), "internal error",
                       domain, status.message());
  }
  google::rpc::Status proto;
  proto.set_code(static_cast<int>(status.code()));
  proto.set_message(std::string(status.message()));
  google::rpc::ErrorInfo info = InfoOf(status);
  // Every error names a reason; one that had none is named by its code.
  if (info.reason().empty()) {
    info.set_reason(absl::StatusCodeToString(status.code()));
  }
  info.set_domain(std::string(domain));
  proto.add_details()->PackFrom(info);
  if (status.code() == absl::StatusCode::kResourceExhausted) {
    google::rpc::RetryInfo retry;
    SetDuration(RetryDelayOf(status).value_or(kDefaultRetryDelay),
                retry.mutable_retry_delay());
    proto.add_details()->PackFrom(retry);
  }
  if (const std::string id = CorrelationIdOf(status); !id.empty()) {
    google::rpc::RequestInfo request;
    request.set_request_id(id);
    proto.add_details()->PackFrom(request);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      proto.message(), proto.SerializeAsString());
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  google::rpc::Status proto;
  google::rpc::ErrorInfo info;
  bool has_info = false;
  if (!status.error_details().empty() &&
      proto.ParseFromString(status.error_details())) {
    for (const google::protobuf::Any& detail : proto.details()) {
      if (detail.UnpackTo(&info)) {
        has_info = true;
        break;
      }
    }
  }
  if (!has_info) {
    return Concealed(code, "", GenericTransportMessage(status.error_code()),
                     "grpc_call", status.error_message());
  }
  absl::Status out(code, status.error_message());
  info.clear_domain();
  SetPayload(out, kErrorInfoUrl, info);
  for (const google::protobuf::Any& detail : proto.details()) {
    google::rpc::RetryInfo retry;
    google::rpc::RequestInfo request;
    if (detail.UnpackTo(&retry)) {
      SetPayload(out, kRetryInfoUrl, retry);
    } else if (detail.UnpackTo(&request)) {
      SetPayload(out, kRequestInfoUrl, request);
    }
  }
  return out;
}

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return true;
    default:
      return false;
  }
}

}  // namespace turnstile
