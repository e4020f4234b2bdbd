// PostgreSQL array literals for statement parameters (libpqxx 6.4 has no
// array conversion): pass the string and cast it, e.g. $1::text[].
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace turnstile {

// A text[] literal. Every element is double-quoted (so that "NULL" or ""
// stay text) with '"' and '\' escaped.
std::string TextArray(const std::vector<std::string>& values);

// A bigint[] literal.
std::string BigintArray(const std::vector<int64_t>& values);

}  // namespace turnstile
