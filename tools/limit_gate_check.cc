#include "tools/limit_gate_check.h"

#include <map>
#include <pqxx/pqxx>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/pg_pool.h"
#include "tools/invariant_rows.h"

namespace turnstile::tools {
namespace {

std::string KindOf(const std::string& counter) {
  return counter.substr(0, counter.find(':'));
}

}  // namespace

absl::StatusOr<CheckResult> CheckLimitGates(const std::string& booking_conninfo,
                                            LimitGate& gate) {
  std::map<std::string, std::map<std::string, int64_t>> want;  // day -> use
  std::vector<std::string> days;
  try {
    pqxx::connection conn(booking_conninfo);
    for (const auto& r :
         Rows(conn, "SELECT DISTINCT day::text FROM booking ORDER BY 1")) {
      days.push_back(r[0]);
    }
    for (const auto& r :
         Rows(conn,
              "SELECT right(quota_key, 10), quota_key, used FROM booking_quota "
              "WHERE used > 0 AND split_part(quota_key, ':', 1) IN "
              "('doc', 'user-day')")) {
      want[r[0]][r[1]] = std::stoll(r[2]);
    }
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
  TextRows differences;
  int present = 0;
  int64_t counters = 0;
  for (const std::string& day : days) {
    auto snapshot = gate.Read(day);
    if (!snapshot.ok()) return snapshot.status();
    if (snapshot->status != GateStatus::kOk) continue;
    ++present;
    const std::map<std::string, int64_t>& truth = want[day];
    std::set<std::string> kinds;
    for (const auto& [name, used] : snapshot->used) {
      ++counters;
      kinds.insert(KindOf(name));
      const auto it = truth.find(name);
      const int64_t pg = it == truth.end() ? 0 : it->second;
      if (pg != used) {
        differences.push_back(
            {day, absl::StrCat(name, " gate ", used, ", postgres ", pg)});
      }
    }
    std::set<std::string> have;
    for (const auto& [name, used] : snapshot->used) have.insert(name);
    for (const auto& [name, used] : truth) {
      if (kinds.count(KindOf(name)) && !have.count(name)) {
        differences.push_back(
            {day, absl::StrCat(name, " gate 0, postgres ", used)});
      }
    }
  }
  return FromViolations("day-limit gates: counts = booking_quota", differences,
                        absl::StrCat(days.size(), " days, ", present,
                                     " gates, ", counters, " counters"));
}

}  // namespace turnstile::tools
