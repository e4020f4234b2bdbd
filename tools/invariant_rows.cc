#include "tools/invariant_rows.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace turnstile::tools {

TextRows Rows(pqxx::connection& conn, const std::string& sql) {
  pqxx::nontransaction tx(conn);
  std::vector<std::vector<std::string>> out;
  for (const auto& row : tx.exec(sql)) {
    std::vector<std::string> values;
    for (const auto& field : row) {
      values.push_back(field.is_null() ? "" : field.c_str());
    }
    out.push_back(std::move(values));
  }
  return out;
}

CheckResult FromViolations(std::string name, const TextRows& rows,
                           std::string ok_detail) {
  CheckResult r{std::move(name), rows.empty(), std::move(ok_detail)};
  if (!rows.empty()) {
    std::vector<std::string> shown;
    for (size_t i = 0; i < rows.size() && i < 5; ++i) {
      shown.push_back(absl::StrJoin(rows[i], "/"));
    }
    r.detail = absl::StrCat(rows.size(), " violation(s), e.g. ",
                            absl::StrJoin(shown, "; "));
  }
  return r;
}

std::map<std::string, std::string> ToMap(const TextRows& rows) {
  std::map<std::string, std::string> m;
  for (const auto& r : rows) m[r[0]] = r[1];
  return m;
}

TextRows Diff(const std::map<std::string, std::string>& a,
              const std::map<std::string, std::string>& b) {
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  std::vector<std::vector<std::string>> out;
  for (const auto& k : keys) {
    const std::string va = a.count(k) ? a.at(k) : "0";
    const std::string vb = b.count(k) ? b.at(k) : "0";
    if (va != vb) out.push_back({k, va, vb});
  }
  return out;
}

}  // namespace turnstile::tools
