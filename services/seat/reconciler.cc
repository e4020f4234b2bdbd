#include "services/seat/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/common/uuid.h"
#include "services/common/validate.h"

namespace turnstile::seat {
namespace {

prometheus::Family<prometheus::Counter>& Fixes() {
  static auto& family =
      prometheus::BuildCounter()
          .Name("turnstile_reconcile_fixes_total")
          .Help(
              "Gate differences the reconciler repaired, by kind "
              "(gate_rebuilt counts whole gates rebuilt from PostgreSQL)")
          .Register(Metrics());
  return family;
}

prometheus::Family<prometheus::Counter>& Passes() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_reconcile_events_total")
                            .Help("Events reconciled, by result")
                            .Register(Metrics());
  return family;
}

std::string Describe(const GateSeat* seat, int64_t now_ms) {
  if (seat == nullptr) return "free";
  if (seat->state == GateSeatState::kSold) {
    return absl::StrCat("sold to ", seat->owner);
  }
  return absl::StrCat(
      seat->expiry_ms <= now_ms ? "lapsed hold of " : "held by ", seat->owner);
}

std::string Describe(const TakenSeat& seat) {
  return absl::StrCat(seat.state == SeatState::kSold ? "SOLD to " : "HELD by ",
                      seat.owner);
}

}  // namespace

void ReconcileReport::Merge(const ReconcileReport& other, size_t max_listed) {
  events_checked += other.events_checked;
  keys_rebuilt += other.keys_rebuilt;
  fixes += other.fixes;
  for (const std::string& line : other.differences) {
    if (differences.size() >= max_listed) break;
    differences.push_back(line);
  }
}

bool ParseOwner(const std::string& owner, std::string* gid,
                std::string* branch_id) {
  const size_t colon = owner.find(':');
  if (colon == std::string::npos) return false;
  std::string g = owner.substr(0, colon);
  std::string b = owner.substr(colon + 1);
  if (!IsUuid(g) || !CheckBranchId("branch", b).ok()) return false;
  std::transform(g.begin(), g.end(), g.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  *gid = std::move(g);
  *branch_id = std::move(b);
  return true;
}

std::vector<std::pair<std::string, std::string>> LiveHoldOwners(
    const SeatSnapshot& gate) {
  std::set<std::pair<std::string, std::string>> owners;
  for (const GateSeat& seat : gate.seats) {
    if (seat.state != GateSeatState::kHeld || seat.expiry_ms <= gate.now_ms) {
      continue;
    }
    std::string gid, branch;
    if (ParseOwner(seat.owner, &gid, &branch)) owners.emplace(gid, branch);
  }
  return {owners.begin(), owners.end()};
}

RepairPlan PlanRepair(const std::string& event_id, const SeatSnapshot& gate,
                      const EventGateState& pg, int64_t held_floor_ms) {
  RepairPlan plan;
  plan.rebuild = gate.status != GateStatus::kOk;
  const int64_t now = gate.now_ms;
  std::unordered_map<std::string, const GateSeat*> current;
  for (const GateSeat& seat : gate.seats) current[seat.seat_id] = &seat;
  const std::set<std::string> finished(pg.finished_owners.begin(),
                                       pg.finished_owners.end());

  auto fix = [&](const std::string& seat_id, const std::string& kind,
                 const std::string& what) {
    if (plan.rebuild) return;
    plan.kinds.push_back(kind);
    plan.differences.push_back(
        absl::StrCat(event_id, "/", seat_id, " ", kind, ": ", what));
  };

  // Every seat PostgreSQL has taken is taken in the gate, by its owner.
  for (const TakenSeat& seat : pg.seats) {
    const GateSeat* cur = nullptr;
    if (auto it = current.find(seat.seat_id); it != current.end()) {
      cur = it->second;
      current.erase(it);
    }
    GateSeat want;
    want.seat_id = seat.seat_id;
    want.owner = seat.owner;
    if (seat.state == SeatState::kSold) {
      ++plan.sold;
      want.state = GateSeatState::kSold;
      want.expiry_ms = 0;
      if (cur && cur->state == GateSeatState::kSold &&
          cur->owner == seat.owner) {
        plan.desired.push_back(*cur);
        continue;
      }
      fix(seat.seat_id,
          cur == nullptr                       ? "sold_missing"
          : cur->state == GateSeatState::kHeld ? "sold_but_held"
                                               : "sold_to_other",
          absl::StrCat("gate ", Describe(cur, now), ", PostgreSQL ",
                       Describe(seat)));
    } else {
      ++plan.held;
      want.state = GateSeatState::kHeld;
      if (cur && cur->state == GateSeatState::kHeld &&
          cur->owner == seat.owner && cur->expiry_ms > now) {
        plan.desired.push_back(*cur);
        continue;
      }
      // Its own expiry if still ahead; a hold PostgreSQL keeps past it (the
      // Cancel is late) stays blocked for the floor, and longer if need be
      // by the next pass.
      want.expiry_ms =
          seat.expires_ms > now ? seat.expires_ms : now + held_floor_ms;
      std::string kind = "held_missing";
      if (cur && cur->state == GateSeatState::kSold) {
        kind = "held_but_sold";
      } else if (cur && cur->owner == seat.owner) {
        kind = "hold_lapsed";
      } else if (cur && cur->expiry_ms > now) {
        kind = "held_by_other";
      }
      fix(seat.seat_id, kind,
          absl::StrCat("gate ", Describe(cur, now), ", PostgreSQL ",
                       Describe(seat)));
    }
    plan.desired.push_back(std::move(want));
  }

  // Gate entries for seats PostgreSQL has AVAILABLE: only holds in flight
  // stay.
  std::vector<const GateSeat*> rest;
  for (const auto& [id, seat] : current) rest.push_back(seat);
  std::sort(rest.begin(), rest.end(), [](const GateSeat* a, const GateSeat* b) {
    return a->seat_id < b->seat_id;
  });
  for (const GateSeat* seat : rest) {
    const std::string was =
        absl::StrCat("gate ", Describe(seat, now), ", PostgreSQL AVAILABLE");
    if (seat->state == GateSeatState::kSold) {
      fix(seat->seat_id, "sold_but_free", was);
      continue;
    }
    if (seat->expiry_ms <= now) {
      fix(seat->seat_id, "lapsed_hold", was);
      continue;
    }
    std::string gid, branch;
    if (!ParseOwner(seat->owner, &gid, &branch)) {
      fix(seat->seat_id, "bad_owner", was);
      continue;
    }
    if (finished.count(absl::StrCat(gid, ":", branch))) {
      fix(seat->seat_id, "finished_hold",
          absl::StrCat(was, ", branch already decided"));
      continue;
    }
    plan.desired.push_back(*seat);  // a Try on its way to PostgreSQL
  }
  return plan;
}

Reconciler::Reconciler(SeatStore* store, SeatGate* gate,
                       ReconcileOptions options)
    : store_(store), gate_(gate), options_(options) {}

Reconciler::~Reconciler() { Stop(); }

void Reconciler::Record(const std::string& event_id, const RepairPlan& plan,
                        ReconcileReport* report) {
  if (plan.rebuild) {
    report->keys_rebuilt = 1;
    Fixes().Add({{"kind", "gate_rebuilt"}}).Increment();
    const std::string line = absl::StrCat(
        event_id, " gate_rebuilt: gate missing, rebuilt from PostgreSQL with ",
        plan.held, " held and ", plan.sold, " sold seats");
    report->differences.push_back(line);
    spdlog::warn("event=gate_rebuilt event_id={} held={} sold={}", event_id,
                 plan.held, plan.sold);
    return;
  }
  report->fixes = static_cast<int64_t>(plan.differences.size());
  for (size_t i = 0; i < plan.differences.size(); ++i) {
    Fixes().Add({{"kind", plan.kinds[i]}}).Increment();
    spdlog::warn("event=gate_fixed event_id={} kind={} detail=\"{}\"", event_id,
                 plan.kinds[i], plan.differences[i]);
    if (report->differences.size() < options_.max_listed) {
      report->differences.push_back(plan.differences[i]);
    }
  }
}

absl::StatusOr<ReconcileReport> Reconciler::ReconcileEvent(
    const std::string& event_id) {
  thread_local std::mt19937 rng(std::random_device{}());
  ReconcileReport report;
  report.events_checked = 1;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    auto snapshot = gate_->Read(event_id);
    if (!snapshot.ok()) return snapshot.status();
    if (snapshot->status != GateStatus::kOk &&
        snapshot->status != GateStatus::kNotInitialized) {
      return Error(absl::StatusCode::kInternal, "GATE_ERROR",
                   absl::StrCat("seat_read ", event_id, ": ",
                                std::string(GateStatusName(snapshot->status)),
                                " ", snapshot->message));
    }
    auto pg = store_->ReadGateState(event_id, LiveHoldOwners(*snapshot));
    if (!pg.ok()) return pg.status();
    const RepairPlan plan =
        PlanRepair(event_id, *snapshot, *pg, options_.held_floor.count());
    if (!plan.changed()) {
      Passes().Add({{"result", "clean"}}).Increment();
      return report;
    }
    SeatInitSpec spec;
    spec.mode = GateInitMode::kRepair;
    spec.expected_ver = snapshot->status == GateStatus::kOk ? snapshot->ver : 0;
    spec.seats = plan.desired;
    auto written = gate_->Init(event_id, spec);
    if (!written.ok()) return written.status();
    if (written->status == GateStatus::kOk) {
      Record(event_id, plan, &report);
      Passes().Add({{"result", "fixed"}}).Increment();
      return report;
    }
    if (written->status != GateStatus::kConflict) {
      return Error(absl::StatusCode::kInternal, "GATE_ERROR",
                   absl::StrCat("seat_init ", event_id, ": ",
                                std::string(GateStatusName(written->status)),
                                " ", written->message));
    }
    // The gate moved under us (a hold, release or commit): start over.
    spdlog::debug("event=reconcile_conflict event_id={} attempt={}", event_id,
                  attempt);
    std::uniform_int_distribution<int> jitter(0, 5 * attempt);
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
  }
  Passes().Add({{"result", "busy"}}).Increment();
  return Error(absl::StatusCode::kUnavailable, "GATE_BUSY",
               absl::StrCat("the gate of ", event_id, " changed during all ",
                            options_.max_attempts, " reconcile attempts"));
}

absl::StatusOr<ReconcileReport> Reconciler::ReconcileAll() {
  auto events = store_->EventIds();
  if (!events.ok()) return events.status();
  ReconcileReport total;
  absl::Status first_error;
  for (const std::string& event_id : *events) {
    auto report = ReconcileEvent(event_id);
    if (!report.ok()) {
      Passes().Add({{"result", "error"}}).Increment();
      spdlog::error("event=reconcile_failed event_id={} error=\"{}\"", event_id,
                    report.status().ToString());
      if (first_error.ok()) first_error = report.status();
      continue;
    }
    total.Merge(*report, options_.max_listed);
  }
  if (!first_error.ok()) return first_error;
  return total;
}

absl::Status Reconciler::EnsureGate(const std::string& event_id) {
  const auto asked = std::chrono::steady_clock::now();
  std::lock_guard lock(init_mu_);
  if (auto it = rebuilt_at_.find(event_id);
      it != rebuilt_at_.end() && it->second >= asked) {
    return absl::OkStatus();  // rebuilt while this caller waited
  }
  auto report = ReconcileEvent(event_id);
  if (!report.ok()) return report.status();
  const auto now = std::chrono::steady_clock::now();
  if (rebuilt_at_.size() > 10000) rebuilt_at_.clear();  // bound; rare path
  rebuilt_at_[event_id] = now;
  spdlog::info("event=gate_ensured event_id={} rebuilt={}", event_id,
               report->keys_rebuilt);
  return absl::OkStatus();
}

absl::Status Reconciler::InitNewEvent(const std::string& event_id) {
  SeatInitSpec spec;
  spec.mode = GateInitMode::kForce;
  auto written = gate_->Init(event_id, spec);
  if (!written.ok()) return written.status();
  if (written->status != GateStatus::kOk) {
    return Error(absl::StatusCode::kInternal, "GATE_ERROR",
                 absl::StrCat("seat_init ", event_id, ": ",
                              std::string(GateStatusName(written->status)), " ",
                              written->message));
  }
  return absl::OkStatus();
}

void Reconciler::StartPeriodic(std::chrono::seconds interval) {
  periodic_.Start(interval, [this] {
    const auto start = std::chrono::steady_clock::now();
    auto report = ReconcileAll();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    if (!report.ok()) {
      spdlog::warn("event=reconcile_pass_failed ms={} error=\"{}\"", ms,
                   report.status().ToString());
    } else if (report->fixes > 0 || report->keys_rebuilt > 0) {
      spdlog::warn("event=reconcile_pass events={} rebuilt={} fixes={} ms={}",
                   report->events_checked, report->keys_rebuilt, report->fixes,
                   ms);
    } else {
      spdlog::debug("event=reconcile_pass events={} ms={}",
                    report->events_checked, ms);
    }
  });
}

void Reconciler::Stop() { periodic_.Stop(); }

}  // namespace turnstile::seat
