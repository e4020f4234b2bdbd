#include "txn-coordinator/metrics.h"

#include <string>

#include "services/common/process.h"

namespace turnstile::coordinator {
namespace {

prometheus::Counter& Counter(const std::string& name, const std::string& help,
                             const prometheus::Labels& labels = {}) {
  return prometheus::BuildCounter()
      .Name(name)
      .Help(help)
      .Register(Metrics())
      .Add(labels);
}

prometheus::Gauge& Gauge(const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(Metrics()).Add(
      {});
}

}  // namespace

CoordinatorMetrics& M() {
  static auto* m = [] {
    auto& decided =
        prometheus::BuildCounter()
            .Name("turnstile_coordinator_transactions_decided_total")
            .Help("Decisions made, by outcome and cause")
            .Register(Metrics());
    auto& finished =
        prometheus::BuildCounter()
            .Name("turnstile_coordinator_transactions_finished_total")
            .Help("Transactions whose every branch acknowledged, by state")
            .Register(Metrics());
    auto& deliveries =
        prometheus::BuildCounter()
            .Name("turnstile_coordinator_deliveries_total")
            .Help("Confirm/Cancel calls to participants, by phase and result")
            .Register(Metrics());
    auto& open = prometheus::BuildGauge()
                     .Name("turnstile_coordinator_open_transactions")
                     .Help("Transactions not yet final in the log, by state")
                     .Register(Metrics());
    auto& gc_size = prometheus::BuildHistogram()
                        .Name("turnstile_coordinator_group_commit_batch_size")
                        .Help("Operations per group-commit transaction")
                        .Register(Metrics());
    auto& gc_time =
        prometheus::BuildHistogram()
            .Name("turnstile_coordinator_group_commit_batch_seconds")
            .Help("Time to run and commit one group-commit transaction")
            .Register(Metrics());
    return new CoordinatorMetrics{
        Counter("turnstile_coordinator_transactions_begun_total",
                "Global transactions begun (new, not repeats)"),
        decided.Add({{"outcome", "commit"}, {"cause", "commit"}}),
        decided.Add({{"outcome", "abort"}, {"cause", "abort"}}),
        decided.Add({{"outcome", "abort"}, {"cause", "deadline"}}),
        finished.Add({{"state", "CONFIRMED"}}),
        finished.Add({{"state", "CANCELLED"}}),
        deliveries.Add({{"phase", "confirm"}, {"result", "ok"}}),
        deliveries.Add({{"phase", "confirm"}, {"result", "failed"}}),
        deliveries.Add({{"phase", "cancel"}, {"result", "ok"}}),
        deliveries.Add({{"phase", "cancel"}, {"result", "failed"}}),
        Counter("turnstile_coordinator_branches_became_stuck_total",
                "Branches whose delivery attempts exceeded the stuck limit"),
        Gauge("turnstile_coordinator_stuck_branches",
              "Undelivered branches of decided transactions that failed more "
              "than the attempt limit, or failed and were decided more than "
              "--stuck_after_ms ago"),
        Gauge("turnstile_coordinator_oldest_undelivered_branch_age_seconds",
              "Time since the decision of the oldest CONFIRMING/CANCELLING "
              "transaction (0 if none)"),
        Gauge("turnstile_coordinator_overdue_transactions",
              "Transactions not final although their deadline plus "
              "--overdue_horizon_ms has passed"),
        open.Add({{"state", "TRYING"}}),
        open.Add({{"state", "CONFIRMING"}}),
        open.Add({{"state", "CANCELLING"}}),
        Counter("turnstile_coordinator_group_commit_batches_total",
                "Group-commit transactions run"),
        Counter("turnstile_coordinator_group_commit_batches_failed_total",
                "Group-commit transactions that failed (ops got UNAVAILABLE)"),
        Counter("turnstile_coordinator_group_commit_ops_total",
                "Operations written through group commit"),
        gc_size.Add(
            {}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64,
                                                        128, 256, 512}),
        gc_time.Add({},
                    prometheus::Histogram::BucketBoundaries{
                        0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1,
                        0.25, 0.5, 1}),
        Counter("turnstile_coordinator_recovery_claimed_total",
                "Transactions claimed by the recovery loop"),
        Gauge("turnstile_coordinator_recovery_last_pass_timestamp_seconds",
              "Unix time at which this replica's recovery loop last "
              "completed a pass without a database error"),
        Counter("turnstile_coordinator_retention_deleted_total",
                "Finished transactions removed by retention"),
    };
  }();
  return *m;
}

}  // namespace turnstile::coordinator
