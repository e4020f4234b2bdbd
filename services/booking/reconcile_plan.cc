#include "services/booking/reconcile_plan.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace turnstile::booking {
namespace {

std::string Span(int32_t from, int32_t to) {
  return absl::StrCat("[", from, ",", to, ")");
}

std::string Describe(const GateRange& r, int64_t now_ms) {
  if (r.state == GateRangeState::kSold) {
    return absl::StrCat("S ", Span(r.from, r.to), " of ", r.owner);
  }
  return absl::StrCat("H ", Span(r.from, r.to), " of ", r.owner, " for ",
                      (r.expiry_ms - now_ms) / 1000, " s");
}

std::string Describe(const GateRow& row) {
  return absl::StrCat(
      row.booking.state == BookingState::kSold ? "SOLD " : "HELD ",
      Span(row.booking.range.from, row.booking.range.to), " of ", row.owner);
}

bool Overlaps(const GateRange& a, const GateRange& b) {
  return a.resource_id == b.resource_id && a.from < b.to && b.from < a.to;
}

}  // namespace

RangePlan PlanRangeGate(const std::string& gate_key, int32_t units,
                        const RangeSnapshot& gate, const GateSnapshot& pg,
                        const DecisionTimes& decided_at,
                        const RangePlanOptions& options) {
  RangePlan plan;
  plan.rebuild = gate.status != GateStatus::kOk;
  plan.target.units = units;
  // Lapse and stale decisions use the gate's clock, as the scripts do.
  const int64_t now = gate.now_ms > 0 ? gate.now_ms : pg.now_ms;
  const std::set<std::string> finished(pg.finished_owners.begin(),
                                       pg.finished_owners.end());
  auto decided_recently = [&](const std::string& owner) {
    const auto it = decided_at.find(owner);
    return it != decided_at.end() &&
           pg.now_ms - it->second < options.settle_grace.count();
  };
  auto diff = [&](const std::string& resource, const std::string& what) {
    if (!plan.rebuild) {
      plan.differences.push_back(
          absl::StrCat(gate_key, "/", resource, " ", what));
    }
  };
  if (!plan.rebuild && gate.units != units) {
    plan.differences.push_back(
        absl::StrCat(gate_key, " units ", gate.units, " -> ", units));
  }

  // The gate's live entries, per resource (lapsed holds are free).
  std::map<std::string, std::vector<size_t>> current;
  std::vector<bool> used(gate.ranges.size(), false);
  if (!plan.rebuild) {
    for (size_t i = 0; i < gate.ranges.size(); ++i) {
      const GateRange& r = gate.ranges[i];
      if (r.state == GateRangeState::kHeld && r.expiry_ms <= now) continue;
      current[r.resource_id].push_back(i);
    }
  }
  std::map<std::string, std::vector<GateRange>> target;

  const bool users = options.run_users && absl::StartsWith(gate_key, "r:");

  // 1. Every PostgreSQL row, as the gate has it if it agrees.
  for (const GateRow& row : pg.rows) {
    GateRange want;
    if (users) want.user_id = row.user_id;
    want.resource_id = row.booking.resource_id;
    want.from = row.booking.range.from;
    want.to = row.booking.range.to;
    want.owner = row.owner;
    const bool sold = row.booking.state == BookingState::kSold;
    if (sold) {
      ++plan.sold;
      want.state = GateRangeState::kSold;
    } else {
      ++plan.held;
      want.state = GateRangeState::kHeld;
      const int64_t expiry = row.deadline_ms + options.hold_margin.count();
      want.expiry_ms =
          expiry > now ? expiry : now + options.hold_margin.count();
    }
    const GateRange* match = nullptr;
    for (size_t i : current[want.resource_id]) {
      const GateRange& r = gate.ranges[i];
      if (!used[i] && r.from == want.from && r.to == want.to &&
          r.owner == want.owner) {
        used[i] = true;
        match = &r;
        break;
      }
    }
    std::vector<GateRange>& entries = target[want.resource_id];
    if (match != nullptr && match->state == want.state) {
      entries.push_back(*match);
      entries.back().user_id = want.user_id;
      continue;
    }
    if (match != nullptr && sold && decided_recently(row.owner)) {
      ++plan.settling;  // its range_commit follows
      entries.push_back(*match);
      entries.back().user_id = want.user_id;
      continue;
    }
    diff(want.resource_id,
         absl::StrCat(match == nullptr ? "missing" : Describe(*match, now),
                      " -> PostgreSQL ", Describe(row)));
    entries.push_back(std::move(want));
  }

  // 2. The gate's other entries: only holds in flight (or settling) stay.
  for (const auto& [resource, indices] : current) {
    for (size_t i : indices) {
      if (used[i]) continue;
      const GateRange& r = gate.ranges[i];
      std::vector<GateRange>& entries = target[resource];
      const std::string was = Describe(r, now);
      if (r.state == GateRangeState::kSold) {
        diff(resource, absl::StrCat(was, " dropped: not SOLD in PostgreSQL"));
        continue;
      }
      if (r.to > units) {
        diff(resource, absl::StrCat(was, " dropped: beyond ", units, " units"));
        continue;
      }
      const auto clash =
          std::find_if(entries.begin(), entries.end(),
                       [&](const GateRange& t) { return Overlaps(t, r); });
      if (clash != entries.end()) {
        diff(resource, absl::StrCat(was, " dropped: overlaps ",
                                    Describe(*clash, now), " of PostgreSQL"));
        continue;
      }
      if (finished.count(r.owner) || decided_at.count(r.owner)) {
        if (decided_recently(r.owner)) {
          ++plan.settling;  // its range_release / range_commit follows
          entries.push_back(r);
        } else {
          diff(resource,
               absl::StrCat(was, " dropped: owner decided in PostgreSQL"));
        }
        continue;
      }
      const int64_t deadline = r.expiry_ms - options.hold_margin.count();
      if (now - deadline > options.stale.count()) {
        diff(resource, absl::StrCat(was, " dropped: no PostgreSQL booking ",
                                    (now - deadline) / 1000,
                                    " s after its deadline (stranded Try)"));
        continue;
      }
      ++plan.in_flight;  // a Try on its way to PostgreSQL
      entries.push_back(r);
    }
  }

  for (auto& [resource, entries] : target) {
    std::sort(
        entries.begin(), entries.end(),
        [](const GateRange& a, const GateRange& b) { return a.from < b.from; });
    for (GateRange& e : entries) plan.target.ranges.push_back(std::move(e));
  }
  if (plan.rebuild) {
    plan.differences.push_back(absl::StrCat(
        gate_key, " gate missing, rebuilt from PostgreSQL: ", plan.sold,
        " sold, ", plan.held, " held, ", units, " units"));
  }
  return plan;
}

}  // namespace turnstile::booking
