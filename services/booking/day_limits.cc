// The day-limit gate in the booking phases (day_limits.h).
#include "services/booking/day_limits.h"

#include <spdlog/spdlog.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "prometheus/counter.h"
#include "services/booking/quota.h"
#include "services/booking/reconciler.h"
#include "services/common/gate_metrics.h"
#include "services/common/process.h"
#include "services/common/status.h"

namespace turnstile::booking {
namespace {

// Every day-limit gate call by call and answer.
prometheus::Family<prometheus::Counter>& LimitCalls() {
  static auto& family =
      prometheus::BuildCounter()
          .Name("turnstile_booking_limit_calls_total")
          .Help("Booking day-limit gate calls by call and result")
          .Register(Metrics());
  return family;
}

// Rebuild passes by result: clean, rebuilt (absent), repaired (different),
// busy (the gate kept changing), error.
prometheus::Family<prometheus::Counter>& LimitPasses() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_booking_limit_reconcile_total")
                            .Help("Day-limit gate rebuild passes by result")
                            .Register(Metrics());
  return family;
}

template <typename R>
void CountCall(const char* call, const absl::StatusOr<R>& r) {
  CountGateCall(LimitCalls(), call, r);
}

GateOwner OwnerOf(const std::string& owner) {
  const size_t colon = owner.find(':');
  return {absl::string_view(owner).substr(0, colon),
          absl::string_view(owner).substr(colon + 1)};
}

constexpr int kMaxAttempts = 8;
constexpr size_t kMaxDecided = 10000;  // limit_init's bound

}  // namespace

DayLimits::DayLimits(BookingStore* store, LimitGate* gate, QuotaLimits limits,
                     std::chrono::milliseconds hold_margin)
    : store_(store), gate_(gate), limits_(limits), hold_margin_(hold_margin) {}

absl::StatusOr<bool> DayLimits::Take(const HoldCommand& command,
                                     const std::string& owner,
                                     int64_t expiry_ms) {
  if (!enabled()) return false;
  const std::vector<LimitCounter> counters =
      DayLimitCounters(QuotaTakes(command), limits_);
  if (counters.empty()) return false;
  const std::string day = LimitDay(command.day);
  const int64_t expire_at = LimitExpireAtMs(command.day);
  auto taken = gate_->Take(day, OwnerOf(owner), counters, expiry_ms, expire_at);
  if (taken.ok() && taken->status == GateStatus::kNotInitialized) {
    CountCall("take", taken);
    if (auto s = EnsureDay(command.day); !s.ok()) return s;
    taken = gate_->Take(day, OwnerOf(owner), counters, expiry_ms, expire_at);
  }
  CountCall("take", taken);
  if (!taken.ok()) return taken.status();
  switch (taken->status) {
    case GateStatus::kOk:
      return true;
    case GateStatus::kDuplicate:
      return false;
    case GateStatus::kUserLimit: {
      GateRefusals().Add({{"reason", "USER_LIMIT"}}).Increment();
      const LimitCounter& c = counters[taken->index];
      const std::string kind = c.name.substr(0, c.name.find(':'));
      // The store's answer for the same limit (store.cc HoldAll).
      return WithMetadata(
          Refused("USER_LIMIT",
                  absl::StrCat("the ", kind, " limit of ", taken->limit,
                               " bookings would be passed (", taken->used,
                               " booked or held that day)")),
          {{"quota", kind}, {"limit", absl::StrCat(taken->limit)}});
    }
    case GateStatus::kExpired:
      return Error(
          absl::StatusCode::kAborted, "TXN_DEADLINE",
          absl::StrCat("the transaction deadline has passed (hold "
                       "expiry ",
                       expiry_ms, " <= Redis time ", taken->now_ms, ")"));
    default:
      return TryStatus(taken->status, taken->message);
  }
}

void DayLimits::Release(absl::CivilDay day, const std::string& owner,
                        const char* why) {
  if (!enabled()) return;
  auto released = gate_->Release(LimitDay(day), OwnerOf(owner));
  CountCall("release", released);
  if (!released.ok()) {
    spdlog::error(
        "event=limit_release_failed owner={} day={} why={} error=\"{}\"", owner,
        LimitDay(day), why, released.status().ToString());
    return;
  }
  spdlog::debug("event=limit_released owner={} why={} result={}", owner, why,
                std::string(GateStatusName(released->status)));
}

void DayLimits::Commit(const BranchBookings& sold, const std::string& owner) {
  if (!enabled() || sold.rows.empty()) return;
  const std::vector<LimitCounter> counters = DayLimitCounters(
      QuotaGives(sold.user_id, sold.gate_key, sold.day, sold.rows), limits_);
  if (counters.empty()) return;
  auto done = gate_->Commit(LimitDay(sold.day), OwnerOf(owner), counters,
                            LimitExpireAtMs(sold.day));
  CountCall("commit", done);
  if (!done.ok()) {
    spdlog::error("event=limit_commit_failed owner={} day={} error=\"{}\"",
                  owner, LimitDay(sold.day), done.status().ToString());
  }
}

absl::StatusOr<DayLimitReport> DayLimits::ReconcileDay(absl::CivilDay day) {
  DayLimitReport report;
  report.days_checked = 1;
  const std::string name = LimitDay(day);
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    auto snapshot = gate_->Read(name);  // before PostgreSQL: see the header
    if (!snapshot.ok()) return snapshot.status();
    const bool absent = snapshot->status == GateStatus::kNotInitialized;
    // The gate's holders PostgreSQL has decided (a Try that took its
    // counters and died before its rows): their holds go.
    std::vector<std::string> holders = snapshot->holders;
    if (holders.size() > kMaxDecided) holders.resize(kMaxDecided);
    auto pg = store_->DayRows(day, BranchesOfOwners(holders));
    if (!pg.ok()) return pg.status();
    const std::vector<LimitUse> uses =
        DayLimitUses(pg->rows, day, limits_, hold_margin_.count());
    std::set<std::string> in_pg;
    for (const LimitUse& use : uses) in_pg.insert(use.owner);
    std::vector<std::string> dropped;
    for (const std::string& owner : pg->decided_owners) {
      if (!in_pg.count(owner)) dropped.push_back(owner);
    }
    const std::vector<std::string> differences =
        LimitDifferences(snapshot->used, LiveTotals(uses, snapshot->now_ms));
    if (!absent && differences.empty() && dropped.empty()) {
      LimitPasses().Add({{"result", "clean"}}).Increment();
      return report;
    }
    auto written =
        gate_->Init(name, GateInitMode::kRepair, absent ? 0 : snapshot->ver,
                    LimitExpireAtMs(day), uses);
    if (!written.ok()) return written.status();
    if (written->status == GateStatus::kConflict) continue;
    if (written->status != GateStatus::kOk) {
      return Error(absl::StatusCode::kInternal, "GATE_ERROR",
                   absl::StrCat("limit_init ", name, ": ",
                                std::string(GateStatusName(written->status)),
                                " ", written->message));
    }
    report.days_written = 1;
    for (const std::string& d : differences) {
      report.differences.push_back(absl::StrCat(name, ": ", d));
    }
    LimitPasses()
        .Add({{"result", absent ? "rebuilt" : "repaired"}})
        .Increment();
    spdlog::log(absent ? spdlog::level::info : spdlog::level::warn,
                "event=limit_gate_{} day={} uses={} differences={}",
                absent ? "rebuilt" : "repaired", name, uses.size(),
                differences.size());
    return report;
  }
  LimitPasses().Add({{"result", "busy"}}).Increment();
  return Error(absl::StatusCode::kUnavailable, "GATE_BUSY",
               absl::StrCat("the day-limit gate of ", name, " kept changing"));
}

absl::StatusOr<DayLimitReport> DayLimits::ReconcileRecent() {
  DayLimitReport total;
  if (!enabled()) return total;
  const absl::CivilDay today =
      absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  auto days = store_->DaysSince(today - 1);
  if (!days.ok()) return days.status();
  absl::Status first_error;
  for (absl::CivilDay day : *days) {
    auto report = ReconcileDay(day);
    if (!report.ok()) {
      LimitPasses().Add({{"result", "error"}}).Increment();
      spdlog::error("event=limit_reconcile_failed day={} error=\"{}\"",
                    LimitDay(day), report.status().ToString());
      if (first_error.ok()) first_error = report.status();
      continue;
    }
    total.days_checked += report->days_checked;
    total.days_written += report->days_written;
    for (auto& d : report->differences) total.differences.push_back(d);
  }
  if (!first_error.ok()) return first_error;
  return total;
}

absl::Status DayLimits::EnsureDay(absl::CivilDay day) {
  std::lock_guard lock(ensure_mu_);
  // Another caller may have rebuilt it while this one waited: the pass
  // then finds it present and clean (or repairs a difference).
  auto report = ReconcileDay(day);
  return report.ok() ? absl::OkStatus() : report.status();
}

}  // namespace turnstile::booking
