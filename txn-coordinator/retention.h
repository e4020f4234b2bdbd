// Retention (DESIGN.md §3.5): finished transactions (CONFIRMED/CANCELLED)
// older than --retention_hours are deleted in bulk batches every few minutes;
// their branches go with them (ON DELETE CASCADE).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "txn-coordinator/log_store.h"

namespace turnstile::coordinator {

struct RetentionOptions {
  std::chrono::hours keep{72};
  std::chrono::milliseconds every{std::chrono::minutes(5)};
  int batch = 1000;
};

class Retention {
 public:
  Retention(RetentionOptions options, LogStore* log);
  ~Retention();  // Stop()

  void Start();
  void Stop();
  // Deletes everything due now, batch by batch; returns the count.
  int64_t RunOnce();

 private:
  const RetentionOptions options_;
  LogStore* log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace turnstile::coordinator
