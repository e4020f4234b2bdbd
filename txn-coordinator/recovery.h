// The recovery loop (DESIGN.md §3.5), every poll interval:
//  (a) TRYING transactions past their deadline become CANCELLING (reason
//      DEADLINE) by a conditional UPDATE that skips rows others hold, leased
//      to this process and handed to the driver;
//  (b) due CONFIRMING/CANCELLING work (next_attempt_at <= now) is claimed with
//      FOR UPDATE SKIP LOCKED and a lease, so several replicas share it, and
//      handed to the driver.
// At start-up the same loop resumes whatever an earlier process left
// unfinished. Every pass that reaches the database without error stamps
// turnstile_coordinator_recovery_last_pass_timestamp_seconds (so an alert
// sees a replica whose loop stopped even when there is no work), and now and
// then it refreshes the gauges read from the log (LogStore::ReadGauges:
// stuck branches, overdue and open transactions).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "txn-coordinator/driver.h"
#include "txn-coordinator/log_store.h"

namespace turnstile::coordinator {

struct RecoveryOptions {
  std::chrono::milliseconds poll{200};
  int batch = 100;  // rows per statement
  std::chrono::milliseconds stuck_gauge_every{5000};
  // A branch that failed and whose transaction was decided this long ago
  // counts as stuck (--stuck_after_ms), even below the attempt limit.
  std::chrono::milliseconds stuck_after{300000};
  // A non-final transaction this long past its deadline is overdue
  // (--overdue_horizon_ms).
  std::chrono::milliseconds overdue_horizon{600000};
};

class Recovery {
 public:
  Recovery(RecoveryOptions options, LogStore* log, Driver* driver);
  ~Recovery();  // Stop()

  // Starts the loop thread (first pass at once).
  void Start();
  // Stops claiming and joins the thread.
  void Stop();
  // One pass; returns how many transactions it handed to the driver.
  int Tick();
  // Reads the log's gauges and sets the metrics; false on a database error.
  bool RefreshGauges();

 private:
  void Loop();

  const RecoveryOptions options_;
  LogStore* log_;
  Driver* driver_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point next_gauge_{};
  std::thread thread_;
};

}  // namespace turnstile::coordinator
