// The content of a Try as one canonical string, so that a repeated Try can be
// told from a different Try that reuses the same branch (DESIGN.md §3.6: a
// repeat answers with the first result only if it asks for the same thing).
// Each participant lists its Try's fields in a fixed order with sorted
// collections (services/*/validation.h); the barrier stores a hash of the
// string on the 'try' row (sql/common/tcc_barrier_try_content.sql) and
// refuses a repeat whose string differs (FAILED_PRECONDITION TRY_MISMATCH).
// Pure code, no I/O.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace turnstile {

class TryContent {
 public:
  // Appends one field as name=<length>:<value>; so that no value can forge a
  // field boundary, whatever characters it holds.
  TryContent& Add(absl::string_view name, absl::string_view value) {
    absl::StrAppend(&text_, name, "=", value.size(), ":", value, ";");
    return *this;
  }
  TryContent& Add(absl::string_view name, int64_t value) {
    return Add(name, absl::StrCat(value));
  }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

}  // namespace turnstile
