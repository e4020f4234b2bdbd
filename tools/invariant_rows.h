// The small vocabulary the invariant checks (invariants.cc,
// invariants_booking.cc) are written in: a query's rows as strings, a check
// that passes when a query finds no violation, and two-column rows compared
// as maps of key -> count.
#pragma once

#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "tools/invariants.h"

namespace turnstile::tools {

using TextRows = std::vector<std::vector<std::string>>;

// Rows of `sql` as vectors of strings (NULL -> "").
TextRows Rows(pqxx::connection& conn, const std::string& sql);

// A check that passes when `rows` (the violations) is empty; on failure the
// detail shows how many and the first five.
CheckResult FromViolations(std::string name, const TextRows& rows,
                           std::string ok_detail);

// Map key -> value from two-column rows.
std::map<std::string, std::string> ToMap(const TextRows& rows);

// Keys whose values differ between `a` and `b` (a missing key counts as
// "0"), as rows {key, a's, b's}.
TextRows Diff(const std::map<std::string, std::string>& a,
              const std::map<std::string, std::string>& b);

}  // namespace turnstile::tools
