#include "services/inventory/reconciler.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "services/common/backoff.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/inventory/reconcile_plan.h"

namespace turnstile::inventory {
namespace {

prometheus::Counter& FixesCounter() {
  static auto& counter =
      prometheus::BuildCounter()
          .Name("turnstile_reconcile_fixes_total")
          .Help(
              "Differences between the Redis gate and PostgreSQL fixed by "
              "the reconciler (a rebuilt gate counts one)")
          .Register(Metrics())
          .Add({});
  return counter;
}

prometheus::Counter& RebuiltCounter() {
  static auto& counter =
      prometheus::BuildCounter()
          .Name("turnstile_reconcile_keys_rebuilt_total")
          .Help("Redis gates found missing and rebuilt from PostgreSQL")
          .Register(Metrics())
          .Add({});
  return counter;
}

prometheus::Family<prometheus::Counter>& Runs() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_reconcile_runs_total")
                            .Help("Reconciliations of one SKU, by result")
                            .Register(Metrics());
  return family;
}

// Splits "<gid>:<branch_id>" (ids never hold a colon before the branch).
GateOwner OwnerOf(const std::string& owner) {
  const size_t colon = owner.find(':');
  const absl::string_view view(owner);
  if (colon == std::string::npos) return {view, ""};
  return {view.substr(0, colon), view.substr(colon + 1)};
}

}  // namespace

Reconciler::Reconciler(InventoryStore* store, StockGate* gate,
                       ReconcilerOptions options)
    : store_(store), gate_(gate), options_(options) {}

Reconciler::~Reconciler() { Stop(); }

std::shared_ptr<Reconciler::SkuLock> Reconciler::LockOf(
    const std::string& sku_id) {
  std::lock_guard<std::mutex> lock(locks_mu_);
  auto& slot = locks_[sku_id];
  if (!slot) slot = std::make_shared<SkuLock>();
  return slot;
}

void Reconciler::Forget(const std::string& sku_id) {
  std::lock_guard<std::mutex> lock(locks_mu_);
  locks_.erase(sku_id);
}

absl::Status Reconciler::ReconcileOne(const std::string& sku_id,
                                      ReconcileReport* report) {
  const std::shared_ptr<SkuLock> sku = LockOf(sku_id);
  absl::Status status;
  {
    std::lock_guard<std::mutex> lock(sku->mu);
    ++sku->started;
    status = ReconcileLocked(sku_id, report);
  }
  if (status.code() == absl::StatusCode::kNotFound) Forget(sku_id);
  return status;
}

void Reconciler::Note(ReconcileReport* report,
                      const std::string& difference) const {
  ++report->fixes;
  FixesCounter().Increment();
  spdlog::warn("event=gate_fixed diff=\"{}\"", difference);
  if (report->differences.size() < options_.max_listed) {
    report->differences.push_back(difference);
  } else if (report->differences.size() == options_.max_listed) {
    report->differences.push_back("... more differences (see the log)");
  }
}

absl::Status Reconciler::ReconcileLocked(const std::string& sku_id,
                                         ReconcileReport* report) {
  for (int round = 0; round < options_.max_rounds; ++round) {
    // The gate first, PostgreSQL after: see reconcile_plan.h.
    auto gate = gate_->Read(sku_id);
    if (!gate.ok()) return gate.status();
    if (gate->status != GateStatus::kOk &&
        gate->status != GateStatus::kNotInitialized) {
      return Error(
          absl::StatusCode::kInternal, "GATE_UNEXPECTED",
          absl::StrCat("stock_read of ", sku_id, " answered ",
                       GateStatusName(gate->status), " ", gate->message));
    }
    std::vector<std::string> owners;
    for (const GateReservation& r : gate->reservations) {
      owners.push_back(r.owner);
    }
    auto truth = store_->ReadStockTruth(sku_id, owners);
    if (!truth.ok()) return truth.status();
    StockPlan plan = PlanStockGate(sku_id, *gate, *truth,
                                   {options_.stale, options_.settle_grace});

    // Settle decided reservations through the scripts (first round only: if
    // one did not apply, the repair below leaves it out anyway).
    if (round == 0 && !plan.settlements.empty()) {
      for (const GateSettlement& s : plan.settlements) {
        const bool commit = s.kind == GateSettlement::Kind::kCommit;
        auto done = commit ? gate_->Commit(sku_id, OwnerOf(s.owner))
                           : gate_->Release(sku_id, OwnerOf(s.owner));
        if (!done.ok()) return done.status();
        if (done->status == GateStatus::kOk) {
          Note(report, absl::StrCat("sku ", sku_id, ": ",
                                    commit ? "committed" : "released",
                                    " open reservation ", s.owner, " (",
                                    done->quantity, " units): ", s.why));
        } else {
          spdlog::info(
              "event=gate_settle_skipped sku={} owner={} op={} "
              "answer={}",
              sku_id, s.owner, commit ? "commit" : "release",
              std::string(GateStatusName(done->status)));
        }
      }
      continue;  // the gate changed: read it again
    }
    if (!plan.rebuild && plan.differences.empty()) {
      Runs().Add({{"result", "clean"}}).Increment();
      return absl::OkStatus();
    }

    StockInitSpec spec = std::move(plan.target);
    spec.mode = GateInitMode::kRepair;
    spec.expected_ver = plan.rebuild ? 0 : gate->ver;
    auto init = gate_->Init(sku_id, spec);
    if (!init.ok()) return init.status();
    if (init->status == GateStatus::kConflict) {
      // A Try, Confirm or Cancel moved the gate since the read.
      Runs().Add({{"result", "conflict"}}).Increment();
      std::this_thread::sleep_for(BackoffDelay(
          {std::chrono::milliseconds(1), std::chrono::milliseconds(50)},
          round + 1));
      continue;
    }
    if (init->status != GateStatus::kOk) {
      return Error(
          absl::StatusCode::kInternal, "GATE_REPAIR_FAILED",
          absl::StrCat("stock_init of ", sku_id, " answered ",
                       GateStatusName(init->status), " ", init->message));
    }
    if (plan.rebuild) {
      ++report->keys_rebuilt;
      RebuiltCounter().Increment();
    }
    for (const std::string& d : plan.differences) Note(report, d);
    Runs().Add({{"result", plan.rebuild ? "rebuilt" : "repaired"}}).Increment();
    spdlog::info(
        "event=gate_reconciled sku={} rebuilt={} differences={} "
        "remaining={} in_flight={} in_flight_units={} settling={} ver={}",
        sku_id, plan.rebuild, plan.differences.size(), init->remaining,
        plan.in_flight, plan.in_flight_units, plan.settling, init->ver);
    return absl::OkStatus();
  }
  return Error(absl::StatusCode::kUnavailable, "RECONCILE_CONTENDED",
               absl::StrCat("the gate of ", sku_id, " kept changing during ",
                            options_.max_rounds, " reconcile rounds"));
}

absl::StatusOr<ReconcileReport> Reconciler::ReconcileSku(
    const std::string& sku_id) {
  ReconcileReport report;
  if (auto s = ReconcileOne(sku_id, &report); !s.ok()) return s;
  report.skus_checked = 1;
  return report;
}

absl::Status Reconciler::EnsureGate(const std::string& sku_id) {
  const std::shared_ptr<SkuLock> sku = LockOf(sku_id);
  // The caller saw the gate missing before this read. A run that starts
  // after it reads the gate after that, so if one started (and, once the
  // lock is ours, finished) meanwhile, it has done the work.
  const uint64_t seen = sku->started.load();
  absl::Status status;
  {
    std::lock_guard<std::mutex> lock(sku->mu);
    if (sku->started.load() != seen) return absl::OkStatus();
    ++sku->started;
    ReconcileReport report;
    status = ReconcileLocked(sku_id, &report);
  }
  if (status.code() == absl::StatusCode::kNotFound) Forget(sku_id);
  return status;
}

absl::StatusOr<ReconcileReport> Reconciler::ReconcileAll() {
  ReconcileReport report;
  std::string after;
  for (;;) {
    auto ids = store_->ListSkuIds(after, options_.page_size);
    if (!ids.ok()) return ids.status();
    for (const std::string& id : *ids) {
      auto s = ReconcileOne(id, &report);
      // Redis or PostgreSQL down: every other SKU would fail the same way.
      if ((s.code() == absl::StatusCode::kUnavailable &&
           ReasonOf(s) != "RECONCILE_CONTENDED") ||
          s.code() == absl::StatusCode::kDeadlineExceeded) {
        return s;
      }
      ++report.skus_checked;
      if (!s.ok()) {
        Runs().Add({{"result", "error"}}).Increment();
        spdlog::error("event=reconcile_sku_failed sku={} error=\"{}\"", id,
                      std::string(s.message()));
        const std::string line =
            absl::StrCat("sku ", id, ": NOT reconciled: ", s.message());
        if (report.differences.size() < options_.max_listed) {
          report.differences.push_back(line);
        }
      }
    }
    if (static_cast<int>(ids->size()) < options_.page_size) break;
    after = ids->back();
  }
  return report;
}

void Reconciler::StartPeriodic(std::chrono::seconds interval) {
  if (interval.count() <= 0 || loop_.joinable()) return;
  loop_ = std::thread([this, interval] {
    std::unique_lock<std::mutex> lock(loop_mu_);
    while (!loop_cv_.wait_for(lock, interval, [this] { return stopping_; })) {
      lock.unlock();
      const auto started = std::chrono::steady_clock::now();
      auto report = ReconcileAll();
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
      if (report.ok()) {
        spdlog::info(
            "event=reconcile_done trigger=periodic skus={} rebuilt={} "
            "fixes={} ms={}",
            report->skus_checked, report->keys_rebuilt, report->fixes, ms);
      } else {
        spdlog::warn("event=reconcile_failed trigger=periodic error=\"{}\"",
                     std::string(report.status().message()));
      }
      lock.lock();
    }
  });
}

void Reconciler::Stop() {
  {
    std::lock_guard<std::mutex> lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (loop_.joinable()) loop_.join();
}

}  // namespace turnstile::inventory
