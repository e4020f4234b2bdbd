#include "services/inventory/reconcile_plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

namespace turnstile::inventory {
namespace {

struct Held {
  int64_t quantity = 0;
  std::string user_id;
  bool operator==(const Held& o) const {
    return quantity == o.quantity && user_id == o.user_id;
  }
};

std::string Describe(const Held& held) {
  return absl::StrCat(held.quantity, " units of user ", held.user_id);
}

}  // namespace

StockPlan PlanStockGate(const std::string& sku_id, const StockSnapshot& gate,
                        const StockTruth& truth, const PlanOptions& options) {
  StockPlan plan;
  const std::string prefix = absl::StrCat("sku ", sku_id, ": ");

  // Settle what PostgreSQL has decided; keep what is still in flight.
  std::vector<GateReservation> in_flight;
  std::vector<GateReservation> selling;            // SOLD within the grace
  std::map<std::string, std::string> dropped_why;  // owner -> why
  if (gate.status == GateStatus::kOk) {
    for (const GateReservation& r : gate.reservations) {
      const auto it = truth.owners.find(r.owner);
      const OwnerFacts facts =
          it == truth.owners.end() ? OwnerFacts{} : it->second;
      std::string why;
      auto kind = GateSettlement::Kind::kRelease;
      const bool decided = facts.state == "SOLD" || facts.state == "RELEASED" ||
                           facts.cancelled || facts.tried;
      if (facts.state == "LOCKED") {
        continue;  // part of truth.locked
      } else if (decided &&
                 facts.decided_ms_ago < options.settle_grace.count()) {
        // The service settles it itself in a moment. Sold: its units are
        // gone in both. Otherwise PostgreSQL has them back already, the gate
        // not yet: they count as in flight.
        ++plan.settling;
        if (facts.state == "SOLD") {
          selling.push_back(r);
        } else {
          in_flight.push_back(r);
          plan.in_flight_units += r.quantity;
        }
        continue;
      } else if (facts.state == "SOLD") {
        kind = GateSettlement::Kind::kCommit;
        why = "SOLD in PostgreSQL";
      } else if (facts.state == "RELEASED") {
        why = "RELEASED in PostgreSQL";
      } else if (facts.cancelled) {
        why = "branch cancelled in PostgreSQL before its Try";
      } else if (facts.tried) {
        why = "its Try committed in PostgreSQL without this SKU";
      } else if (gate.now_ms - r.created_ms > options.stale.count()) {
        why = absl::StrCat("no PostgreSQL reservation after ",
                           (gate.now_ms - r.created_ms) / 1000,
                           " s (stranded Try)");
      } else {
        in_flight.push_back(r);
        plan.in_flight_units += r.quantity;
        continue;
      }
      plan.settlements.push_back({kind, r.owner, why});
      dropped_why[r.owner] = why;
    }
  }
  plan.in_flight = static_cast<int64_t>(in_flight.size());

  // The target: PostgreSQL plus what is in flight.
  StockInitSpec& target = plan.target;
  target.remaining =
      std::max<int64_t>(0, truth.available - plan.in_flight_units);
  target.per_user_limit = truth.per_user_limit;
  std::map<std::string, int64_t> users;
  for (const auto& [user, units] : truth.user_units) users[user] += units;
  std::map<std::string, Held> res;
  std::map<std::string, int64_t> reserved;  // user -> units in res
  for (const LockedLine& line : truth.locked) {
    res[line.owner] = {line.quantity, line.user_id};
    reserved[line.user_id] += line.quantity;
  }
  for (const GateReservation& r : in_flight) {
    res[r.owner] = {r.quantity, r.user_id};
    reserved[r.user_id] += r.quantity;
    users[r.user_id] += r.quantity;
  }
  for (const GateReservation& r : selling) {
    res[r.owner] = {r.quantity, r.user_id};
    reserved[r.user_id] += r.quantity;
  }
  // stock_init requires users to cover their reservations; PostgreSQL
  // guarantees it (user_purchase counts LOCKED + SOLD), this keeps a damaged
  // database from blocking the repair.
  for (const auto& [user, units] : reserved) {
    users[user] = std::max(users[user], units);
  }
  for (const auto& [user, units] : users) {
    if (units > 0) target.user_units.emplace_back(user, units);
  }
  for (const auto& [owner, held] : res) {
    target.reservations.push_back({owner, held.quantity, held.user_id, 0});
  }

  if (gate.status != GateStatus::kOk) {
    plan.rebuild = true;
    plan.differences.push_back(absl::StrCat(
        prefix, "gate missing, rebuilt from PostgreSQL: remaining ",
        target.remaining, ", limit ", target.per_user_limit, ", ",
        target.user_units.size(), " users, ", target.reservations.size(),
        " open reservations"));
    return plan;
  }

  if (gate.remaining != target.remaining) {
    plan.differences.push_back(absl::StrCat(
        prefix, "remaining ", gate.remaining, " -> ", target.remaining,
        " (PostgreSQL available ", truth.available, ", in flight ",
        plan.in_flight_units, ")"));
  }
  if (gate.per_user_limit != target.per_user_limit) {
    plan.differences.push_back(absl::StrCat(prefix, "per-user limit ",
                                            gate.per_user_limit, " -> ",
                                            target.per_user_limit));
  }
  std::map<std::string, int64_t> gate_users(gate.user_units.begin(),
                                            gate.user_units.end());
  std::set<std::string> all_users;
  for (const auto& [user, _] : gate_users) all_users.insert(user);
  for (const auto& [user, _] : users) all_users.insert(user);
  for (const std::string& user : all_users) {
    const auto g = gate_users.find(user);
    const auto t = users.find(user);
    const int64_t have = g == gate_users.end() ? 0 : g->second;
    const int64_t want = t == users.end() ? 0 : t->second;
    if (have != want) {
      plan.differences.push_back(
          absl::StrCat(prefix, "user ", user, " units ", have, " -> ", want));
    }
  }
  std::map<std::string, Held> gate_res;
  for (const GateReservation& r : gate.reservations) {
    gate_res[r.owner] = {r.quantity, r.user_id};
  }
  for (const auto& [owner, held] : gate_res) {
    const auto t = res.find(owner);
    if (t == res.end()) {
      const auto why = dropped_why.find(owner);
      plan.differences.push_back(absl::StrCat(
          prefix, "reservation ", owner, " (", Describe(held), ") dropped: ",
          why == dropped_why.end() ? "not LOCKED in PostgreSQL" : why->second));
    } else if (!(t->second == held)) {
      plan.differences.push_back(absl::StrCat(prefix, "reservation ", owner,
                                              " ", Describe(held), " -> ",
                                              Describe(t->second)));
    }
  }
  for (const auto& [owner, held] : res) {
    if (gate_res.count(owner) == 0) {
      plan.differences.push_back(absl::StrCat(prefix, "reservation ", owner,
                                              " (", Describe(held),
                                              ") added: LOCKED in PostgreSQL"));
    }
  }
  return plan;
}

}  // namespace turnstile::inventory
