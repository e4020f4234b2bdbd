// UUIDv7 global transaction ids (DESIGN.md §3.1): time-ordered, random tail.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace turnstile {

// A new UUIDv7 in canonical lower-case form.
std::string NewUuidV7();

// True if `text` is a canonical 36-char UUID (any version, either case).
bool IsUuid(absl::string_view text);

}  // namespace turnstile
