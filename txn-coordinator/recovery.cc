#include "txn-coordinator/recovery.h"

#include <spdlog/spdlog.h>

#include "services/common/trace_scope.h"
#include "txn-coordinator/metrics.h"

namespace turnstile::coordinator {

Recovery::Recovery(RecoveryOptions options, LogStore* log, Driver* driver)
    : options_(options), log_(log), driver_(driver) {
  // Registers the series now: a loop that never completes a pass then shows
  // a last-pass timestamp of 0 instead of no series at all.
  M();
}

Recovery::~Recovery() { Stop(); }

void Recovery::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Recovery::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Recovery::RefreshGauges() {
  auto gauges =
      log_->ReadGauges(options_.stuck_after, options_.overdue_horizon);
  if (!gauges.ok()) {
    spdlog::warn("event=recovery_gauges_failed error=\"{}\"",
                 std::string(gauges.status().message()));
    return false;
  }
  M().stuck_branches.Set(static_cast<double>(gauges->stuck_branches));
  M().oldest_undelivered_age.Set(gauges->oldest_undelivered_age_s);
  M().overdue_transactions.Set(static_cast<double>(gauges->overdue));
  M().open_trying.Set(static_cast<double>(gauges->trying));
  M().open_confirming.Set(static_cast<double>(gauges->confirming));
  M().open_cancelling.Set(static_cast<double>(gauges->cancelling));
  return true;
}

int Recovery::Tick() {
  int handed = 0;
  bool healthy = true;
  std::vector<std::string> traces;  // of each gid, for its log line
  auto expired = log_->CancelExpired(options_.batch, &traces);
  if (!expired.ok()) {
    healthy = false;
    spdlog::warn("event=recovery_deadline_failed error=\"{}\"",
                 std::string(expired.status().message()));
  } else {
    for (size_t i = 0; i < expired->size(); ++i) {
      const std::string& gid = (*expired)[i];
      const TraceScope scope(SpanInTrace(traces[i]), gid);
      M().aborted_deadline.Increment();
      spdlog::info("event=txn_deadline_cancelled gid={}", gid);
      driver_->Drive(gid);
      ++handed;
    }
  }

  const int room = std::min(options_.batch, driver_->Capacity());
  if (room > 0) {
    traces.clear();
    auto claimed = log_->ClaimDue(room, &traces);
    if (!claimed.ok()) {
      healthy = false;
      spdlog::warn("event=recovery_claim_failed error=\"{}\"",
                   std::string(claimed.status().message()));
    } else {
      M().recovery_claimed.Increment(static_cast<double>(claimed->size()));
      for (size_t i = 0; i < claimed->size(); ++i) {
        const std::string& gid = (*claimed)[i];
        const TraceScope scope(SpanInTrace(traces[i]), gid);
        spdlog::debug("event=txn_claimed gid={}", gid);
        driver_->Drive(gid);
        ++handed;
      }
    }
  }

  const auto now = std::chrono::steady_clock::now();
  if (now >= next_gauge_) {
    next_gauge_ = now + options_.stuck_gauge_every;
    if (!RefreshGauges()) healthy = false;
  }
  if (healthy) {
    M().recovery_last_pass.Set(
        std::chrono::duration<double>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
  }
  return handed;
}

void Recovery::Loop() {
  spdlog::info("event=recovery_started poll_ms={} owner={}",
               options_.poll.count(), log_->owner());
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    const int handed = Tick();
    lock.lock();
    // A full batch means more is waiting: go again without sleeping.
    if (handed >= options_.batch) continue;
    cv_.wait_for(lock, options_.poll, [&] { return stopping_; });
  }
}

}  // namespace turnstile::coordinator
