// The booking range reconciler (reconciler.h).
#include "services/booking/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "services/booking/day_limits.h"
#include "services/booking/translate.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/common/uuid.h"
#include "services/common/validate.h"

namespace turnstile::booking {
namespace {

// The seat reconciler's families (same names, so that the dashboards and
// TurnstileReconcileDriftRepaired, which sums over `kind`, cover booking
// gates too): kind "gate_rebuilt" for whole gates rebuilt, "range_drift"
// for entries repaired in a gate that existed.
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
                            .Help("Gates reconciled, by result")
                            .Register(Metrics());
  return family;
}

absl::Status GateError(const char* call, const std::string& gate_key,
                       GateStatus status, const std::string& message) {
  return Error(absl::StatusCode::kInternal, "GATE_ERROR",
               absl::StrCat(call, " ", gate_key, ": ",
                            std::string(GateStatusName(status)), " ", message));
}

}  // namespace

void ReconcileReport::Merge(const ReconcileReport& other, size_t max_listed) {
  gates_checked += other.gates_checked;
  gates_rebuilt += other.gates_rebuilt;
  fixes += other.fixes;
  in_flight += other.in_flight;
  for (const std::string& line : other.differences) {
    if (differences.size() >= max_listed) break;
    differences.push_back(line);
  }
}

std::vector<std::pair<std::string, std::string>> BranchesOfOwners(
    const std::vector<std::string>& owners) {
  std::set<std::pair<std::string, std::string>> out;
  for (const std::string& owner : owners) {
    const size_t colon = owner.find(':');
    if (colon == std::string::npos) continue;
    std::string gid = owner.substr(0, colon);
    std::string branch = owner.substr(colon + 1);
    if (!IsUuid(gid) || !CheckBranchId("branch", branch).ok()) continue;
    std::transform(gid.begin(), gid.end(), gid.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    out.emplace(std::move(gid), std::move(branch));
  }
  return {out.begin(), out.end()};
}

std::vector<std::pair<std::string, std::string>> LiveRangeOwners(
    const RangeSnapshot& gate) {
  std::vector<std::string> owners;
  for (const GateRange& r : gate.ranges) {
    if (r.state == GateRangeState::kHeld && r.expiry_ms > gate.now_ms) {
      owners.push_back(r.owner);
    }
  }
  return BranchesOfOwners(owners);
}

BookingReconciler::BookingReconciler(BookingStore* store, RangeGate* gate,
                                     BookingCatalog* catalog,
                                     ReconcileOptions options)
    : store_(store), gate_(gate), catalog_(catalog), options_(options) {}

BookingReconciler::~BookingReconciler() { Stop(); }

absl::StatusOr<int32_t> BookingReconciler::UnitsOf(
    const std::string& gate_key) {
  if (absl::StartsWith(gate_key, "r:")) {
    auto run = catalog_->GetRun(gate_key.substr(2));
    if (!run.ok()) return run.status();
    return (*run)->legs;
  }
  if (absl::StartsWith(gate_key, "v:")) {
    const std::string rest = gate_key.substr(2);
    const size_t colon = rest.rfind(':');
    if (colon != std::string::npos && colon > 0) {
      auto day = ParseDay("gate_key", rest.substr(colon + 1));
      if (day.ok()) {
        auto venue = catalog_->GetVenue(rest.substr(0, colon));
        if (!venue.ok()) return venue.status();
        return (*venue)->slot_count;
      }
    }
  }
  return InvalidArgument(absl::StrCat(
      "gate_key ", gate_key, " is neither v:<venue>:<YYYY-MM-DD> nor r:<run>"));
}

void BookingReconciler::Record(const std::string& gate_key,
                               const RangePlan& plan, ReconcileReport* report) {
  report->in_flight = plan.in_flight;
  if (plan.rebuild) {
    report->gates_rebuilt = 1;
    Fixes().Add({{"kind", "gate_rebuilt"}}).Increment();
    spdlog::warn("event=gate_rebuilt gate={} held={} sold={}", gate_key,
                 plan.held, plan.sold);
  } else {
    report->fixes = static_cast<int64_t>(plan.differences.size());
    for (const std::string& line : plan.differences) {
      Fixes().Add({{"kind", "range_drift"}}).Increment();
      spdlog::warn("event=gate_fixed gate={} detail=\"{}\"", gate_key, line);
    }
  }
  for (const std::string& line : plan.differences) {
    if (report->differences.size() >= options_.max_listed) break;
    report->differences.push_back(line);
  }
}

absl::StatusOr<ReconcileReport> BookingReconciler::ReconcileGate(
    const std::string& gate_key) {
  thread_local std::mt19937 rng(std::random_device{}());
  auto units = UnitsOf(gate_key);
  if (!units.ok()) return units.status();
  ReconcileReport report;
  report.gates_checked = 1;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    // The gate first, PostgreSQL after it (reconcile_plan.h).
    auto snapshot = gate_->Read(gate_key);
    if (!snapshot.ok()) return snapshot.status();
    if (snapshot->status != GateStatus::kOk &&
        snapshot->status != GateStatus::kNotInitialized) {
      return GateError("range_read", gate_key, snapshot->status,
                       snapshot->message);
    }
    auto pg = store_->GateRows(gate_key, LiveRangeOwners(*snapshot));
    if (!pg.ok()) return pg.status();
    const RangePlan plan = PlanRangeGate(gate_key, *units, *snapshot, *pg,
                                         pg->decided_at_ms, options_.plan);
    if (!plan.changed()) {
      report.in_flight = plan.in_flight;
      Passes().Add({{"result", "clean"}}).Increment();
      return report;
    }
    RangeInitSpec spec = plan.target;
    spec.mode = plan.rebuild ? GateInitMode::kInit : GateInitMode::kRepair;
    spec.expected_ver = plan.rebuild ? 0 : snapshot->ver;
    auto written = gate_->Init(gate_key, spec);
    if (!written.ok()) return written.status();
    if (written->status == GateStatus::kOk) {
      Record(gate_key, plan, &report);
      Passes().Add({{"result", "fixed"}}).Increment();
      return report;
    }
    if (written->status != GateStatus::kConflict &&
        written->status != GateStatus::kExists) {
      return GateError("range_init", gate_key, written->status,
                       written->message);
    }
    // The gate moved (a hold, release, commit, or another rebuild): again.
    spdlog::debug("event=reconcile_conflict gate={} attempt={}", gate_key,
                  attempt);
    std::uniform_int_distribution<int> jitter(0, 5 * attempt);
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
  }
  Passes().Add({{"result", "busy"}}).Increment();
  return Error(absl::StatusCode::kUnavailable, "GATE_BUSY",
               absl::StrCat("the gate ", gate_key, " changed during all ",
                            options_.max_attempts, " reconcile attempts"));
}

absl::Status BookingReconciler::ReconcileLimits(
    std::optional<absl::CivilDay> day, ReconcileReport* report) {
  if (day_limits_ == nullptr || !day_limits_->enabled()) {
    return absl::OkStatus();
  }
  auto limits = day.has_value() ? day_limits_->ReconcileDay(*day)
                                : day_limits_->ReconcileRecent();
  if (!limits.ok()) return limits.status();
  ReconcileReport lines;
  for (const std::string& d : limits->differences) {
    lines.differences.push_back(absl::StrCat("limit ", d));
  }
  report->Merge(lines, options_.max_listed);
  return absl::OkStatus();
}

absl::StatusOr<ReconcileReport> BookingReconciler::ReconcileVenue(
    const std::string& venue_id, std::optional<absl::CivilDay> day) {
  auto venue = catalog_->GetVenue(venue_id);
  if (!venue.ok()) return venue.status();
  if (day.has_value()) {
    auto report = ReconcileGate(VenueDayGate(venue_id, *day));
    if (!report.ok()) return report;
    if (auto s = ReconcileLimits(day, &*report); !s.ok()) return s;
    return report;
  }
  auto keys = store_->GateKeys();
  if (!keys.ok()) return keys.status();
  ReconcileReport total;
  const std::string prefix = absl::StrCat("v:", venue_id, ":");
  for (const std::string& key : *keys) {
    if (!absl::StartsWith(key, prefix)) continue;
    auto report = ReconcileGate(key);
    if (!report.ok()) return report.status();
    total.Merge(*report, options_.max_listed);
  }
  return total;
}

absl::StatusOr<ReconcileReport> BookingReconciler::ReconcileRun(
    const std::string& run_id) {
  auto report = ReconcileGate(RunGate(run_id));
  if (!report.ok()) return report;
  auto run = catalog_->GetRun(run_id);
  if (!run.ok()) return run.status();
  if (auto s = ReconcileLimits((*run)->run.service_date, &*report); !s.ok()) {
    return s;
  }
  return report;
}

absl::StatusOr<ReconcileReport> BookingReconciler::ReconcileAll() {
  auto keys = store_->GateKeys();
  if (!keys.ok()) return keys.status();
  ReconcileReport total;
  absl::Status first_error;
  for (const std::string& key : *keys) {
    auto report = ReconcileGate(key);
    if (!report.ok()) {
      Passes().Add({{"result", "error"}}).Increment();
      spdlog::error("event=reconcile_failed gate={} error=\"{}\"", key,
                    report.status().ToString());
      if (first_error.ok()) first_error = report.status();
      continue;
    }
    total.Merge(*report, options_.max_listed);
  }
  if (auto s = ReconcileLimits(std::nullopt, &total);
      !s.ok() && first_error.ok()) {
    first_error = s;
  }
  if (!first_error.ok()) return first_error;
  return total;
}

absl::Status BookingReconciler::EnsureGate(const std::string& gate_key) {
  const auto asked = std::chrono::steady_clock::now();
  std::lock_guard lock(init_mu_);
  if (auto it = rebuilt_at_.find(gate_key);
      it != rebuilt_at_.end() && it->second >= asked) {
    return absl::OkStatus();  // rebuilt while this caller waited
  }
  auto report = ReconcileGate(gate_key);
  if (!report.ok()) return report.status();
  if (rebuilt_at_.size() > 10000) rebuilt_at_.clear();  // bound; rare path
  rebuilt_at_[gate_key] = std::chrono::steady_clock::now();
  spdlog::info("event=gate_ensured gate={} rebuilt={}", gate_key,
               report->gates_rebuilt);
  return absl::OkStatus();
}

void BookingReconciler::StartPeriodic(std::chrono::seconds interval) {
  periodic_.Start(interval, [this] {
    const auto start = std::chrono::steady_clock::now();
    auto report = ReconcileAll();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    if (!report.ok()) {
      spdlog::warn("event=reconcile_pass_failed ms={} error=\"{}\"", ms,
                   report.status().ToString());
    } else if (report->fixes > 0 || report->gates_rebuilt > 0) {
      spdlog::warn("event=reconcile_pass gates={} rebuilt={} fixes={} ms={}",
                   report->gates_checked, report->gates_rebuilt, report->fixes,
                   ms);
    } else {
      spdlog::debug("event=reconcile_pass gates={} ms={}",
                    report->gates_checked, ms);
    }
  });
}

void BookingReconciler::Stop() { periodic_.Stop(); }

}  // namespace turnstile::booking
