// The booking branch's phases across the range gate and PostgreSQL (tcc.h);
// the allocating Tries are in tcc_allocate.cc.
#include "services/booking/tcc.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "prometheus/counter.h"
#include "services/booking/validation.h"
#include "services/common/gate_commit_log.h"
#include "services/common/gate_metrics.h"
#include "services/common/process.h"
#include "services/common/status.h"

namespace turnstile::booking {
namespace {

// Every range gate call by call and answer; REDIS_ERROR, NOT_OWNER,
// CANCELLED or COMMITTED after a PostgreSQL decision mean drift the
// reconciler repairs.
prometheus::Family<prometheus::Counter>& GateCalls() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_booking_gate_calls_total")
                            .Help("Booking range gate calls by call and result")
                            .Register(Metrics());
  return family;
}

template <typename R>
void CountCall(const char* call, const absl::StatusOr<R>& r) {
  CountGateCall(GateCalls(), call, r);
}

bool IsRetryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

GateOwner OwnerOf(const std::string& owner) {
  const size_t colon = owner.find(':');
  return {absl::string_view(owner).substr(0, colon),
          absl::string_view(owner).substr(colon + 1)};
}

std::string DescribeItems(const std::vector<RangeItem>& items) {
  return absl::StrJoin(items, ", ", [](std::string* out, const RangeItem& i) {
    absl::StrAppend(out, i.resource_id, " [", i.from, ",", i.to, ")");
  });
}

std::vector<RangeItem> ItemsOf(const HoldCommand& command) {
  std::vector<RangeItem> items;
  for (const HoldItem& item : command.items) {
    items.push_back({item.resource_id, item.range.from, item.range.to});
  }
  return items;
}

}  // namespace

std::vector<RangeItem> ItemsOf(const std::vector<BookingRow>& rows) {
  std::vector<RangeItem> items;
  for (const BookingRow& row : rows) {
    items.push_back({row.resource_id, row.range.from, row.range.to});
  }
  return items;
}

BookingTcc::BookingTcc(BookingStore* store, RangeGate* gate,
                       BookingReconciler* reconciler, TccOptions options,
                       DayLimits* day_limits)
    : store_(store),
      gate_(gate),
      reconciler_(reconciler),
      options_(options),
      day_limits_(day_limits) {}

absl::StatusOr<HoldResult> BookingTcc::WithinDayLimits(
    const HoldCommand& probe,
    const std::function<absl::StatusOr<HoldResult>()>& hold) {
  if (day_limits_ == nullptr || !day_limits_->enabled()) return hold();
  const std::string owner = BranchOwner(probe.gid, probe.branch_id);
  auto taken = day_limits_->Take(
      probe, owner, probe.deadline_ms + options_.hold_margin.count());
  if (!taken.ok()) return taken.status();
  auto result = hold();
  // A retryable failure keeps them for the retry (or the Cancel); the
  // first Try of a TRY_MISMATCH owns them.
  if (*taken && !result.ok() && !IsRetryable(result.status()) &&
      ReasonOf(result.status()) != "TRY_MISMATCH") {
    day_limits_->Release(probe.day, owner, "try_refused");
  }
  return result;
}

absl::StatusOr<RangeSnapshot> BookingTcc::ReadGate(
    const std::string& gate_key, const std::vector<std::string>& ids) {
  // More candidates than one read may name: read the whole gate.
  const bool all = ids.size() > static_cast<size_t>(kRangeMaxReadIds);
  auto read = [&] {
    return all ? gate_->Read(gate_key) : gate_->Read(gate_key, ids);
  };
  auto snapshot = read();
  if (snapshot.ok() && snapshot->status == GateStatus::kNotInitialized) {
    if (auto s = reconciler_->EnsureGate(gate_key); !s.ok()) return s;
    snapshot = read();
  }
  if (!snapshot.ok()) return snapshot.status();
  if (snapshot->status != GateStatus::kOk) {
    return Error(absl::StatusCode::kUnavailable, "GATE_NOT_INITIALIZED",
                 absl::StrCat("range gate ", gate_key, ": ",
                              std::string(GateStatusName(snapshot->status)),
                              " ", snapshot->message));
  }
  return snapshot;
}

BookingTcc::GateStep BookingTcc::GateHold(const HoldCommand& command,
                                          const std::string& owner,
                                          int64_t expiry_ms,
                                          ResourceKind kind) {
  const std::vector<RangeItem> items = ItemsOf(command);
  // The per-user-run limit in the gate too (PostgreSQL's booking_quota
  // stays the judge): run gates only, and only when there is a limit.
  const int32_t run_limit = command.limits.per_user_run;
  const bool counted =
      run_limit > 0 && absl::StartsWith(command.gate_key, "r:");
  const absl::string_view user =
      counted ? absl::string_view(command.user_id) : absl::string_view();
  auto held = gate_->Hold(command.gate_key, OwnerOf(owner), items, expiry_ms,
                          user, counted ? run_limit : 0);
  if (held.ok() && held->status == GateStatus::kNotInitialized) {
    // Redis lost the gate: rebuild it from PostgreSQL now rather than
    // refuse every buyer until the next periodic pass.
    CountCall("hold", held);
    spdlog::debug("event=gate_missing gate={} gid={}", command.gate_key,
                  command.gid);
    if (auto s = reconciler_->EnsureGate(command.gate_key); !s.ok()) {
      return {s};
    }
    held = gate_->Hold(command.gate_key, OwnerOf(owner), items, expiry_ms, user,
                       counted ? run_limit : 0);
  }
  CountCall("hold", held);
  if (!held.ok()) return {held.status()};
  if (held->status == GateStatus::kOk ||
      held->status == GateStatus::kDuplicate) {
    return {absl::OkStatus(), false,
            held->status == GateStatus::kDuplicate && held->expiry_ms == 0};
  }
  GateRefusals()
      .Add({{"reason", std::string(GateStatusName(held->status))}})
      .Increment();
  std::string message = held->message;
  if (held->status == GateStatus::kTaken) {
    message = absl::StrCat("not available: ", DescribeItems(held->conflicts));
  } else if (held->status == GateStatus::kCancelled) {
    message = absl::StrCat("branch ", command.gid, "/", command.branch_id,
                           " was already cancelled");
  } else if (held->status == GateStatus::kUserLimit) {
    // The store's answer for the same limit (store.cc HoldAll).
    return {WithMetadata(
        Refused("USER_LIMIT",
                absl::StrCat("the user-run limit of ", held->user_limit,
                             " bookings would be passed (", held->user_items,
                             " booked or held on this run)")),
        {{"quota", "user-run"}, {"limit", absl::StrCat(held->user_limit)}})};
  } else if (held->status == GateStatus::kExpired) {
    message = absl::StrCat("the transaction deadline has passed (hold expiry ",
                           expiry_ms, " <= Redis time ", held->expiry_ms, ")");
  }
  return {RangeTryStatus(held->status, TakenReason(kind), message),
          held->status == GateStatus::kTaken};
}

absl::StatusOr<HoldResult> BookingTcc::HoldItems(HoldCommand command,
                                                 ResourceKind kind,
                                                 bool* taken_in_gate) {
  *taken_in_gate = false;
  command = SortedItems(std::move(command));
  if (auto s = ValidateHold(command); !s.ok()) return s;
  const int64_t expiry_ms = command.deadline_ms + options_.hold_margin.count();
  const std::string owner = BranchOwner(command.gid, command.branch_id);
  const GateStep step = GateHold(command, owner, expiry_ms, kind);
  if (!step.status.ok()) {
    *taken_in_gate = step.taken;
    return step.status;
  }
  auto hold = store_->Hold(command);
  if (hold.ok()) {
    Forget(owner, nullptr);
    return hold;
  }
  if (IsRetryable(hold.status())) {
    if (!step.committed) {
      Remember(owner,
               {command.gate_key, command.day, ItemsOf(command), expiry_ms});
    }
    spdlog::warn(
        "event=gate_hold_kept gid={} branch={} gate={} reason={} error=\"{}\"",
        command.gid, command.branch_id, command.gate_key,
        ReasonOf(hold.status()), std::string(hold.status().message()));
    return hold.status();
  }
  if (ReasonOf(hold.status()) == "TRY_MISMATCH") {
    // The gate's hold of this owner is the first Try's: leave it.
    return hold.status();
  }
  Forget(owner, nullptr);
  GateRelease(command.gate_key, owner, ItemsOf(command), "try_refused");
  return hold.status();
}

std::mutex& BookingTcc::BranchLock(const std::string& owner) {
  return branch_locks_[std::hash<std::string>()(owner) % branch_locks_.size()];
}

absl::StatusOr<HoldResult> BookingTcc::HoldSlot(const TryRef& ref,
                                                const CachedVenue& venue,
                                                const SlotTry& slot) {
  std::lock_guard branch(BranchLock(BranchOwner(ref.gid, ref.branch_id)));
  const absl::CivilDay day = slot.placement.venue_day;
  HoldCommand base;
  base.gid = ref.gid;
  base.branch_id = ref.branch_id;
  base.user_id = ref.user_id;
  base.gate_key = VenueDayGate(venue.venue.venue_id, day);
  base.day = day;
  base.deadline_ms = ref.deadline_ms;
  base.limits = options_.limits;
  HoldCommand probe = base;  // the day limits count machines, not which
  probe.items.resize(slot.machine_ids.empty()
                         ? static_cast<size_t>(slot.machines)
                         : slot.machine_ids.size());
  return WithinDayLimits(probe,
                         [&] { return HoldSlotItems(venue, slot, base); });
}

absl::StatusOr<HoldResult> BookingTcc::HoldLeg(const TryRef& ref,
                                               const CachedRun& run,
                                               const LegTry& leg) {
  std::lock_guard branch(BranchLock(BranchOwner(ref.gid, ref.branch_id)));
  const std::string& run_id = run.run.run_id;
  HoldCommand base;
  base.gid = ref.gid;
  base.branch_id = ref.branch_id;
  base.user_id = ref.user_id;
  base.gate_key = RunGate(run_id);
  base.day = run.run.service_date;
  base.deadline_ms = ref.deadline_ms;
  base.limits = options_.limits;
  HoldCommand probe = base;  // the day limits count documents, not seats
  for (const std::string& doc : leg.doc_ids) {
    probe.items.push_back({"", leg.legs, doc});
  }
  return WithinDayLimits(probe, [&] { return HoldLegItems(run, leg, base); });
}

absl::StatusOr<bool> BookingTcc::Confirm(const std::string& gid,
                                         const std::string& branch_id) {
  auto done = store_->Confirm(gid, branch_id);
  if (!done.ok()) return done.status();
  const std::string owner = BranchOwner(gid, branch_id);
  Forget(owner, nullptr);
  if (done->rows.empty() || done->gate_key.empty()) return done->applied;
  if (day_limits_ != nullptr) day_limits_->Commit(*done, owner);
  auto sold =
      gate_->Commit(done->gate_key, OwnerOf(owner), ItemsOf(done->rows));
  CountCall("commit", sold);
  LogGateCommit(gid, branch_id, done->gate_key,
                sold.ok() ? absl::StatusOr<GateCommitAnswer>(GateCommitAnswer{
                                sold->status, sold->reclaimed,
                                DescribeItems(sold->conflicts)})
                          : sold.status());
  return done->applied;
}

absl::StatusOr<bool> BookingTcc::Cancel(const std::string& gid,
                                        const std::string& branch_id) {
  auto done = store_->Cancel(gid, branch_id);
  if (!done.ok()) return done.status();
  const std::string owner = BranchOwner(gid, branch_id);
  Pending kept;
  const bool was_kept = Forget(owner, &kept);
  if (day_limits_ != nullptr) {
    if (!done->rows.empty()) {
      day_limits_->Release(done->day, owner, "cancel");
    } else if (was_kept) {
      day_limits_->Release(kept.day, owner, "cancel_kept");
    }
  }
  if (!done->rows.empty() && !done->gate_key.empty()) {
    GateRelease(done->gate_key, owner, ItemsOf(done->rows), "cancel");
  } else if (was_kept) {
    // Nothing in PostgreSQL, but this process left a gate hold after a
    // failed Try: release it (and so refuse a late Try in the gate too).
    GateRelease(kept.gate_key, owner, kept.items, "cancel_kept");
  }
  return done->applied;
}

void BookingTcc::GateRelease(const std::string& gate_key,
                             const std::string& owner,
                             const std::vector<RangeItem>& items,
                             const char* why) {
  auto released = gate_->Release(gate_key, OwnerOf(owner), items);
  CountCall("release", released);
  if (!released.ok()) {
    spdlog::error(
        "event=gate_release_failed owner={} gate={} why={} error=\"{}\"", owner,
        gate_key, why, released.status().ToString());
    return;
  }
  if (released->status == GateStatus::kNotOwner ||
      released->status == GateStatus::kCommitted) {
    spdlog::warn(
        "event=gate_release_drift owner={} gate={} why={} result={} "
        "skipped=\"{}\"",
        owner, gate_key, why, std::string(GateStatusName(released->status)),
        DescribeItems(released->conflicts));
    return;
  }
  spdlog::debug("event=gate_released owner={} why={} result={} n={}", owner,
                why, std::string(GateStatusName(released->status)),
                released->items);
}

void BookingTcc::Remember(const std::string& owner, Pending pending) {
  std::lock_guard lock(mu_);
  if (pending_.size() >= options_.max_pending && !pending_.count(owner)) {
    const int64_t now = NowMs();
    for (auto it = pending_.begin(); it != pending_.end();) {
      it = it->second.expiry_ms <= now ? pending_.erase(it) : std::next(it);
    }
    if (pending_.size() >= options_.max_pending) {
      pending_.erase(pending_.begin());  // its hold lapses at expiry
    }
  }
  pending_[owner] = std::move(pending);
  pending_size_ = pending_.size();
}

bool BookingTcc::Forget(const std::string& owner, Pending* out) {
  if (pending_size_.load() == 0) return false;
  std::lock_guard lock(mu_);
  auto it = pending_.find(owner);
  if (it == pending_.end()) return false;
  if (out) *out = std::move(it->second);
  pending_.erase(it);
  pending_size_ = pending_.size();
  return true;
}

}  // namespace turnstile::booking
