// Input validation at the edge of every service (DESIGN.md §6). Each check
// returns INVALID_ARGUMENT naming the field, or OK.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace turnstile {

// 1..max_len chars of [A-Za-z0-9_.:@-].
absl::Status CheckId(absl::string_view field, absl::string_view value,
                     size_t max_len = 64);
// 1..max_len printable chars (any UTF-8 >= 0x20).
absl::Status CheckText(absl::string_view field, absl::string_view value,
                       size_t max_len);
// Three upper-case ASCII letters.
absl::Status CheckCurrency(absl::string_view field, absl::string_view value);
// lo <= value <= hi.
absl::Status CheckRange(absl::string_view field, int64_t value, int64_t lo,
                        int64_t hi);
// A canonical UUID.
absl::Status CheckUuid(absl::string_view field, absl::string_view value);
// No fields this build does not know: a client still sending a removed field
// (e.g. the old user_id of the order API) is refused, not silently ignored.
absl::Status RejectUnknownFields(const google::protobuf::Message& request);
// branch_id: 1..64 chars of [a-z0-9_-].
absl::Status CheckBranchId(absl::string_view field, absl::string_view value);

}  // namespace turnstile
