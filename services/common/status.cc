#include "services/common/status.h"

#include "absl/strings/cord.h"
#include "turnstile/v1/common.pb.h"

namespace turnstile {
namespace {
constexpr char kReasonUrl[] = "type.googleapis.com/turnstile.v1.ErrorInfo";
}

absl::Status Error(absl::StatusCode code, absl::string_view reason,
                   absl::string_view message) {
  absl::Status status(code, message);
  if (!reason.empty()) status.SetPayload(kReasonUrl, absl::Cord(reason));
  return status;
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

std::string ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonUrl);
  return payload ? std::string(*payload) : std::string();
}

grpc::Status ToGrpc(const absl::Status& status, absl::string_view domain) {
  if (status.ok()) return grpc::Status::OK;
  turnstile::v1::ErrorInfo info;
  info.set_reason(ReasonOf(status));
  info.set_domain(std::string(domain));
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()), info.SerializeAsString());
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  turnstile::v1::ErrorInfo info;
  std::string reason;
  if (!status.error_details().empty() &&
      info.ParseFromString(status.error_details())) {
    reason = info.reason();
  }
  return Error(static_cast<absl::StatusCode>(status.error_code()), reason,
               status.error_message());
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
