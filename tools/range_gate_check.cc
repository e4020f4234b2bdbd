#include "tools/range_gate_check.h"

#include <map>
#include <pqxx/pqxx>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/common/pg_pool.h"
#include "tools/invariant_rows.h"

namespace turnstile::tools {
namespace {

std::string Entry(const std::string& resource, int64_t from, int64_t to,
                  bool sold, const std::string& owner) {
  return absl::StrCat(resource, " [", from, ",", to, ") ",
                      sold ? "SOLD " : "HELD ", owner);
}

}  // namespace

absl::StatusOr<CheckResult> CheckRangeGates(const std::string& booking_conninfo,
                                            RangeGate& gate) {
  std::map<std::string, std::set<std::string>> want;  // gate key -> entries
  try {
    pqxx::connection conn(booking_conninfo);
    for (const auto& r :
         Rows(conn,
              "SELECT gate_key, resource_id, lower(during), upper(during), "
              "state, gid::text || ':' || branch_id FROM booking")) {
      want[r[0]].insert(Entry(r[1], std::stoll(r[2]), std::stoll(r[3]),
                              r[4] == "SOLD", r[5]));
    }
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
  TextRows differences;
  int64_t entries = 0;
  for (const auto& [gate_key, rows] : want) {
    auto snapshot = gate.Read(gate_key);
    if (!snapshot.ok()) return snapshot.status();
    if (snapshot->status != GateStatus::kOk) {
      differences.push_back({gate_key, "gate missing"});
      continue;
    }
    std::set<std::string> have;
    for (const GateRange& range : snapshot->ranges) {
      have.insert(Entry(range.resource_id, range.from, range.to,
                        range.state == GateRangeState::kSold, range.owner));
    }
    entries += static_cast<int64_t>(have.size());
    for (const std::string& e : rows) {
      if (!have.count(e)) differences.push_back({gate_key, "missing " + e});
    }
    for (const std::string& e : have) {
      if (!rows.count(e)) differences.push_back({gate_key, "extra " + e});
    }
  }
  return FromViolations(
      "range gates: sold ranges and holds = SOLD and HELD bookings",
      differences, absl::StrCat(want.size(), " gates, ", entries, " entries"));
}

}  // namespace turnstile::tools
