// The coordinator's Prometheus metrics, registered once in the process
// registry (Metrics()): what an operator watches to see throughput (begun,
// committed, aborted), delivery health (confirms/cancels delivered and
// failed, stuck branches, overdue transactions), the recovery loop's pulse
// and the group-commit lever (batch sizes). The gauges read from the log
// (stuck, overdue, open, oldest) are refreshed by the recovery loop and are
// the same on every replica; alert on their max, not their sum.
#pragma once

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"

namespace turnstile::coordinator {

struct CoordinatorMetrics {
  prometheus::Counter& begun;
  prometheus::Counter& committed;
  prometheus::Counter& aborted_user;      // Abort RPC (any reason)
  prometheus::Counter& aborted_deadline;  // deadline passed (loop or Commit)
  prometheus::Counter& finished_confirmed;
  prometheus::Counter& finished_cancelled;
  prometheus::Counter& confirms_delivered;
  prometheus::Counter& confirms_failed;
  prometheus::Counter& cancels_delivered;
  prometheus::Counter& cancels_failed;
  prometheus::Counter& branches_became_stuck;  // crossed the attempt limit
  prometheus::Gauge& stuck_branches;           // currently stuck (from SQL)
  prometheus::Gauge& oldest_undelivered_age;   // seconds (from SQL)
  prometheus::Gauge& overdue_transactions;     // from SQL
  prometheus::Gauge& open_trying;              // open_transactions{state}
  prometheus::Gauge& open_confirming;
  prometheus::Gauge& open_cancelling;
  prometheus::Counter& gc_batches;
  prometheus::Counter& gc_batches_failed;
  prometheus::Counter& gc_ops;
  prometheus::Histogram& gc_batch_size;
  prometheus::Histogram& gc_batch_seconds;
  prometheus::Counter& recovery_claimed;
  prometheus::Gauge& recovery_last_pass;  // unix seconds of the last good pass
  prometheus::Counter& retention_deleted;
};

// The process-wide instance (created on first use).
CoordinatorMetrics& M();

}  // namespace turnstile::coordinator
