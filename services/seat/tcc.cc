#include "services/seat/tcc.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "prometheus/counter.h"
#include "services/common/gate_commit_log.h"
#include "services/common/gate_metrics.h"
#include "services/common/process.h"
#include "services/common/status.h"

namespace turnstile::seat {
namespace {

// Every gate call by call and answer; REDIS_ERROR, NOT_OWNER, CANCELLED or
// COMMITTED after a PostgreSQL decision mean drift the reconciler repairs.
prometheus::Family<prometheus::Counter>& GateCalls() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_seat_gate_calls_total")
                            .Help("Seat gate calls by call and result")
                            .Register(Metrics());
  return family;
}

void CountCall(const char* call, const absl::StatusOr<SeatGateResult>& r) {
  CountGateCall(GateCalls(), call, r);
}

// Retryable by the caller of the Try (the order service retries these), and
// possibly in doubt: the gate hold stays for the retry.
bool IsRetryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string BranchOwner(const std::string& gid, const std::string& branch_id) {
  std::string lower = gid;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return absl::StrCat(lower, ":", branch_id);
}

SeatTcc::SeatTcc(SeatStore* store, SeatGate* gate, SeatCatalog* catalog,
                 Reconciler* reconciler, TccOptions options)
    : store_(store),
      gate_(gate),
      catalog_(catalog),
      reconciler_(reconciler),
      options_(options) {}

absl::StatusOr<SeatGateResult> SeatTcc::GateHold(const HoldCommand& command,
                                                 const std::string& owner) {
  const size_t colon = owner.find(':');
  const GateOwner gate_owner{absl::string_view(owner).substr(0, colon),
                             absl::string_view(owner).substr(colon + 1)};
  auto held = gate_->Hold(command.event_id, gate_owner, command.seat_ids,
                          command.expiry_ms);
  if (held.ok() && held->status == GateStatus::kNotInitialized) {
    // Redis lost the gate (restart, FLUSHALL): rebuild it from PostgreSQL
    // now rather than refuse every buyer until the next periodic pass.
    CountCall("hold", held);
    spdlog::debug("event=gate_missing event_id={} gid={}", command.event_id,
                  command.gid);
    if (auto s = reconciler_->EnsureGate(command.event_id); !s.ok()) return s;
    held = gate_->Hold(command.event_id, gate_owner, command.seat_ids,
                       command.expiry_ms);
  }
  CountCall("hold", held);
  return held;
}

absl::StatusOr<Hold> SeatTcc::HoldSeats(HoldCommand command,
                                        int64_t deadline_ms) {
  command.expiry_ms = deadline_ms + options_.hold_margin.count();
  command.deadline_ms = deadline_ms;
  // Unknown seats first: the request can never succeed, whoever holds what.
  if (auto s = catalog_->Check(command.event_id, command.seat_ids); !s.ok()) {
    return s;
  }
  const std::string owner = BranchOwner(command.gid, command.branch_id);
  auto gate = GateHold(command, owner);
  if (!gate.ok()) return gate.status();
  if (gate->status != GateStatus::kOk &&
      gate->status != GateStatus::kDuplicate) {
    GateRefusals()
        .Add({{"reason", std::string(GateStatusName(gate->status))}})
        .Increment();
    std::string message = gate->message;
    if (gate->status == GateStatus::kSeatTaken) {
      message = absl::StrCat("seats not available: ",
                             absl::StrJoin(gate->conflicts, ", "));
    } else if (gate->status == GateStatus::kCancelled) {
      message = absl::StrCat("branch ", command.gid, "/", command.branch_id,
                             " was already cancelled");
    } else if (gate->status == GateStatus::kExpired) {
      message = absl::StrCat(
          "the transaction deadline has passed (hold expiry ",
          command.expiry_ms, " <= Redis time ", gate->expiry_ms, ")");
    }
    return TryStatus(gate->status, message);
  }

  auto hold = store_->HoldSeats(command);
  if (hold.ok()) {
    Forget(owner, nullptr);
    return hold;
  }
  const GateOwner gate_owner{
      absl::string_view(owner).substr(0, owner.find(':')), command.branch_id};
  if (IsRetryable(hold.status())) {
    // (A repeat of a Try whose branch the gate has already sold has nothing
    // to remember.)
    const bool committed =
        gate->status == GateStatus::kDuplicate && gate->expiry_ms == 0;
    if (!committed) {
      Remember(owner, {command.event_id, command.seat_ids, command.expiry_ms});
    }
    spdlog::warn(
        "event=gate_hold_kept gid={} branch={} event_id={} reason={} "
        "error=\"{}\"",
        command.gid, command.branch_id, command.event_id,
        ReasonOf(hold.status()), std::string(hold.status().message()));
    return hold.status();
  }
  if (ReasonOf(hold.status()) == "TRY_MISMATCH") {
    // The gate's hold of this owner is the first Try's (the gate answered
    // DUPLICATE): releasing this call's seats would free the first Try's.
    return hold.status();
  }
  Forget(owner, nullptr);
  GateRelease(command.event_id, gate_owner, command.seat_ids, "try_refused");
  return hold.status();
}

absl::StatusOr<bool> SeatTcc::Confirm(const std::string& gid,
                                      const std::string& branch_id) {
  auto done = store_->Confirm(gid, branch_id);
  if (!done.ok()) return done.status();
  const std::string owner = BranchOwner(gid, branch_id);
  Forget(owner, nullptr);
  if (done->seat_ids.empty()) return done->applied;
  const GateOwner gate_owner{absl::string_view(owner).substr(0, gid.size()),
                             branch_id};
  auto sold = gate_->Commit(done->event_id, gate_owner, done->seat_ids);
  CountCall("commit", sold);
  LogGateCommit(gid, branch_id, done->event_id,
                sold.ok() ? absl::StatusOr<GateCommitAnswer>(GateCommitAnswer{
                                sold->status, sold->reclaimed,
                                absl::StrJoin(sold->conflicts, ",")})
                          : sold.status());
  return done->applied;
}

absl::StatusOr<bool> SeatTcc::Cancel(const std::string& gid,
                                     const std::string& branch_id) {
  auto done = store_->Cancel(gid, branch_id);
  if (!done.ok()) return done.status();
  const std::string owner = BranchOwner(gid, branch_id);
  const GateOwner gate_owner{absl::string_view(owner).substr(0, gid.size()),
                             branch_id};
  Pending kept;
  const bool was_kept = Forget(owner, &kept);
  if (!done->seat_ids.empty()) {
    GateRelease(done->event_id, gate_owner, done->seat_ids, "cancel");
  } else if (was_kept) {
    // Nothing in PostgreSQL, but this process left a gate hold after a
    // failed Try: release it (and so refuse a late Try in the gate too).
    GateRelease(kept.event_id, gate_owner, kept.seat_ids, "cancel_kept");
  }
  // Otherwise (empty rollback, no kept hold) the event is unknown here; a
  // late Try is refused by the PostgreSQL barrier, which then releases the
  // gate hold it took and records the release in the gate.
  return done->applied;
}

void SeatTcc::GateRelease(const std::string& event_id, const GateOwner& owner,
                          const std::vector<std::string>& seat_ids,
                          const char* why) {
  auto released = gate_->Release(event_id, owner, seat_ids);
  CountCall("release", released);
  if (!released.ok()) {
    spdlog::error(
        "event=gate_release_failed gid={} branch={} event_id={} why={} "
        "error=\"{}\"",
        std::string(owner.gid), std::string(owner.branch_id), event_id, why,
        released.status().ToString());
    return;
  }
  if (released->status == GateStatus::kNotOwner ||
      released->status == GateStatus::kCommitted) {
    spdlog::warn(
        "event=gate_release_drift gid={} branch={} event_id={} why={} "
        "result={} skipped={}",
        std::string(owner.gid), std::string(owner.branch_id), event_id, why,
        std::string(GateStatusName(released->status)),
        absl::StrJoin(released->conflicts, ","));
    return;
  }
  spdlog::debug("event=gate_released gid={} branch={} why={} result={} n={}",
                std::string(owner.gid), std::string(owner.branch_id), why,
                std::string(GateStatusName(released->status)), released->seats);
}

void SeatTcc::Remember(const std::string& owner, Pending pending) {
  std::lock_guard lock(mu_);
  if (pending_.size() >= options_.max_pending && !pending_.count(owner)) {
    const int64_t now = NowMs();
    for (auto it = pending_.begin(); it != pending_.end();) {
      it = it->second.expiry_ms <= now ? pending_.erase(it) : std::next(it);
    }
    // Still full: forget the oldest by key order; its hold lapses at expiry.
    if (pending_.size() >= options_.max_pending) {
      pending_.erase(pending_.begin());
    }
  }
  pending_[owner] = std::move(pending);
  pending_size_ = pending_.size();
}

bool SeatTcc::Forget(const std::string& owner, Pending* out) {
  if (pending_size_.load() == 0) return false;
  std::lock_guard lock(mu_);
  auto it = pending_.find(owner);
  if (it == pending_.end()) return false;
  if (out) *out = std::move(it->second);
  pending_.erase(it);
  pending_size_ = pending_.size();
  return true;
}

}  // namespace turnstile::seat
