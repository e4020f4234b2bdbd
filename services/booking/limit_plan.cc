// The day-limit gate's side of the booking quota (limit_plan.h).
#include "services/booking/limit_plan.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/booking/model.h"

namespace turnstile::booking {

std::string LimitDay(absl::CivilDay day) { return absl::FormatCivilTime(day); }

int64_t LimitExpireAtMs(absl::CivilDay day) {
  return absl::ToUnixMillis(absl::FromCivil(day + 3, absl::UTCTimeZone()));
}

std::vector<LimitCounter> DayLimitCounters(const std::vector<QuotaUse>& uses,
                                           const QuotaLimits& limits) {
  std::vector<LimitCounter> out;
  for (const QuotaUse& use : uses) {
    int limit = 0;
    if (use.kind == "doc") {
      limit = limits.per_doc_day;
    } else if (use.kind == "user-day") {
      limit = limits.per_user_day;
    }
    if (limit <= 0) continue;
    out.push_back({use.key, use.units, limit});
  }
  return out;
}

std::vector<LimitUse> DayLimitUses(const std::vector<DayBookingRow>& rows,
                                   absl::CivilDay day,
                                   const QuotaLimits& limits,
                                   int64_t hold_margin_ms) {
  // Rows of one branch share user and gate (one Try); grouping by all
  // three keeps the counts exact all the same.
  struct Branch {
    std::vector<BookingRow> rows;
    bool held = false;
    int64_t deadline_ms = 0;
  };
  std::map<std::tuple<std::string, std::string, std::string>, Branch> branches;
  for (const DayBookingRow& row : rows) {
    Branch& b = branches[{BranchOwner(row.gid, row.branch_id), row.user_id,
                          row.gate_key}];
    b.rows.push_back(row.booking);
    if (row.booking.state == BookingState::kHeld) {
      b.held = true;
      b.deadline_ms = std::max(b.deadline_ms, row.deadline_ms);
    }
  }
  std::map<std::pair<std::string, std::string>, LimitUse> uses;
  for (const auto& [key, branch] : branches) {
    const auto& [owner, user, gate_key] = key;
    for (const LimitCounter& c : DayLimitCounters(
             QuotaGives(user, gate_key, day, branch.rows), limits)) {
      LimitUse& use = uses[{owner, c.name}];
      use.owner = owner;
      use.counter = c.name;
      use.units += c.units;
      // A branch's rows are all HELD or all SOLD; mixed (a Confirm half
      // seen) counts as held, which lapses rather than sticks.
      use.expiry_ms = branch.held ? branch.deadline_ms + hold_margin_ms : 0;
    }
  }
  std::vector<LimitUse> out;
  out.reserve(uses.size());
  for (auto& [key, use] : uses) out.push_back(std::move(use));
  return out;
}

std::vector<std::pair<std::string, int64_t>> LiveTotals(
    const std::vector<LimitUse>& uses, int64_t now_ms) {
  std::map<std::string, int64_t> totals;
  for (const LimitUse& use : uses) {
    if (use.expiry_ms == 0 || use.expiry_ms > now_ms) {
      totals[use.counter] += use.units;
    }
  }
  return {totals.begin(), totals.end()};
}

std::vector<std::string> LimitDifferences(
    const std::vector<std::pair<std::string, int64_t>>& gate,
    const std::vector<std::pair<std::string, int64_t>>& truth) {
  std::map<std::string, std::pair<int64_t, int64_t>> both;
  for (const auto& [name, n] : gate) both[name].first = n;
  for (const auto& [name, n] : truth) both[name].second = n;
  std::vector<std::string> out;
  for (const auto& [name, n] : both) {
    if (n.first != n.second) {
      out.push_back(
          absl::StrCat(name, " gate ", n.first, ", postgres ", n.second));
    }
  }
  return out;
}

}  // namespace turnstile::booking
