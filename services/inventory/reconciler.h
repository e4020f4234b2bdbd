// The stock reconciler (issue 3 item 4): rebuilds the Redis gate of a SKU
// from PostgreSQL when it is missing (Redis restarted empty, FLUSHALL) and
// repairs drift, counting and logging every difference it fixes. It runs at
// start-up, every --reconcile_interval_s, on demand (Inventory.Reconcile) and
// for one SKU when a Try finds its gate missing.
//
// Correct while Tries run: it reads the gate snapshot first and PostgreSQL
// after (one repeatable-read snapshot), plans with PlanStockGate (units in
// flight stay taken, so no unit PostgreSQL has locked is handed out twice),
// settles decided reservations through the scripts, and writes the repair
// with stock_init 'repair' against the snapshot's ver: any gate change since
// the read (a reserve, commit, release) makes it CONFLICT, and it starts over.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/gate_scripts.h"
#include "services/inventory/store.h"

namespace turnstile::inventory {

struct ReconcilerOptions {
  // An open gate reservation PostgreSQL has no trace of after this long is
  // a stranded Try (crash between Redis and PostgreSQL) and is released.
  // Must exceed the longest Try (client deadline plus its retries).
  std::chrono::milliseconds stale{60000};
  // PostgreSQL decisions younger than this are left to the service's own
  // gate call (see reconcile_plan.h).
  std::chrono::milliseconds settle_grace{5000};
  // Rounds per SKU (a round ends in CONFLICT when the gate moved) before
  // giving up with UNAVAILABLE.
  int max_rounds = 20;
  // Differences listed in one report (all are counted and logged).
  size_t max_listed = 200;
  // SKU ids read per page while walking all SKUs.
  int page_size = 500;
};

struct ReconcileReport {
  int64_t skus_checked = 0;
  int64_t keys_rebuilt = 0;  // gates that were missing and were rebuilt
  int64_t fixes = 0;         // differences fixed (a rebuild counts one)
  // The differences fixed, human-readable (at most max_listed, then one
  // line saying how many more).
  std::vector<std::string> differences;
};

class Reconciler {
 public:
  Reconciler(InventoryStore* store, StockGate* gate,
             ReconcilerOptions options = {});
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  // Every SKU, in id order. Stops at the first error that means Redis or
  // PostgreSQL is down; a SKU that fails otherwise (a gate key of the wrong
  // type, a gate that kept changing) is listed in the report as not
  // reconciled, logged, and skipped, so that one damaged or very hot gate
  // does not block all the others.
  absl::StatusOr<ReconcileReport> ReconcileAll();
  // One SKU; NOT_FOUND if PostgreSQL does not know it.
  absl::StatusOr<ReconcileReport> ReconcileSku(const std::string& sku_id);
  // For a Try that found no gate: reconciles `sku_id` unless another caller
  // finished reconciling it while this one waited (a crowd of Tries after a
  // FLUSHALL rebuilds the gate once). NOT_FOUND if the SKU does not exist.
  absl::Status EnsureGate(const std::string& sku_id);

  // Runs ReconcileAll every `interval` on a background thread until Stop().
  void StartPeriodic(std::chrono::seconds interval);
  void Stop();

 private:
  struct SkuLock {
    std::mutex mu;  // held for the whole reconciliation of the SKU
    // Reconciliations started (incremented with mu held).
    std::atomic<uint64_t> started{0};
  };
  std::shared_ptr<SkuLock> LockOf(const std::string& sku_id);
  // Drops the lock of an id PostgreSQL does not know, so that Tries naming
  // random ids do not grow the map (holders keep their copy alive).
  void Forget(const std::string& sku_id);
  // Runs ReconcileLocked under the SKU's lock.
  absl::Status ReconcileOne(const std::string& sku_id, ReconcileReport* report);
  // Reconciles one SKU into `report`; the caller holds its SkuLock.
  absl::Status ReconcileLocked(const std::string& sku_id,
                               ReconcileReport* report);
  void Note(ReconcileReport* report, const std::string& difference) const;

  InventoryStore* const store_;
  StockGate* const gate_;
  const ReconcilerOptions options_;

  std::mutex locks_mu_;
  std::map<std::string, std::shared_ptr<SkuLock>> locks_;

  std::mutex loop_mu_;
  std::condition_variable loop_cv_;
  bool stopping_ = false;
  std::thread loop_;
};

}  // namespace turnstile::inventory
