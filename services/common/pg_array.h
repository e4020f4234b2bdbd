// PostgreSQL array literals for statement parameters (libpqxx 6.4 has no
// array conversion): pass the string and cast it, e.g. $1::text[].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace turnstile {

// A text[] literal. Every element is double-quoted (so that "NULL" or ""
// stay text) with '"' and '\' escaped.
std::string TextArray(const std::vector<std::string>& values);

// An integer array literal (int[] or bigint[], by the cast).
template <typename Int>
std::string IntegerArray(const std::vector<Int>& values) {
  return absl::StrCat("{", absl::StrJoin(values, ","), "}");
}

// A bigint[] literal.
inline std::string BigintArray(const std::vector<int64_t>& values) {
  return IntegerArray(values);
}

}  // namespace turnstile
