#include "services/common/validate.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/unknown_field_set.h"
#include "services/common/status.h"
#include "services/common/uuid.h"

namespace turnstile {
namespace {
bool IdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
         c == '@' || c == '-';
}
}  // namespace

absl::Status CheckId(absl::string_view field, absl::string_view value,
                     size_t max_len) {
  if (value.empty()) return InvalidArgument(absl::StrCat(field, " is empty"));
  if (value.size() > max_len) {
    return InvalidArgument(
        absl::StrCat(field, " is longer than ", max_len, " chars"));
  }
  for (char c : value) {
    if (!IdChar(c)) {
      return InvalidArgument(
          absl::StrCat(field, " may hold only [A-Za-z0-9_.:@-]"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t max_len) {
  if (value.empty()) return InvalidArgument(absl::StrCat(field, " is empty"));
  if (value.size() > max_len) {
    return InvalidArgument(
        absl::StrCat(field, " is longer than ", max_len, " bytes"));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgument(absl::StrCat(field, " has control characters"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckCurrency(absl::string_view field, absl::string_view value) {
  if (value.size() != 3 || !(value[0] >= 'A' && value[0] <= 'Z') ||
      !(value[1] >= 'A' && value[1] <= 'Z') ||
      !(value[2] >= 'A' && value[2] <= 'Z')) {
    return InvalidArgument(
        absl::StrCat(field, " must be an ISO 4217 code like EUR"));
  }
  return absl::OkStatus();
}

absl::Status CheckRange(absl::string_view field, int64_t value, int64_t lo,
                        int64_t hi) {
  if (value < lo || value > hi) {
    return InvalidArgument(
        absl::StrCat(field, " must be in [", lo, ", ", hi, "], got ", value));
  }
  return absl::OkStatus();
}

absl::Status CheckUuid(absl::string_view field, absl::string_view value) {
  if (!IsUuid(value)) {
    return InvalidArgument(absl::StrCat(field, " must be a UUID"));
  }
  return absl::OkStatus();
}

absl::Status CheckBranchId(absl::string_view field, absl::string_view value) {
  if (value.empty() || value.size() > 64) {
    return InvalidArgument(absl::StrCat(field, " must be 1-64 chars"));
  }
  for (char c : value) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-')) {
      return InvalidArgument(absl::StrCat(field, " may hold only [a-z0-9_-]"));
    }
  }
  return absl::OkStatus();
}

absl::Status RejectUnknownFields(const google::protobuf::Message& request) {
  const auto& unknown = request.GetReflection()->GetUnknownFields(request);
  if (unknown.empty()) return absl::OkStatus();
  return InvalidArgument(absl::StrCat(
      "field ", unknown.field(0).number(), " of ",
      request.GetDescriptor()->full_name(),
      " is not part of this API (removed, e.g. user_id: the acting user comes "
      "from the call's credentials, never from the request)"));
}

}  // namespace turnstile
