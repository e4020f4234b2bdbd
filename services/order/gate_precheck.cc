#include "services/order/gate_precheck.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "services/common/process.h"
#include "services/common/status.h"

namespace turnstile::order {
namespace {

using SteadyClock = std::chrono::steady_clock;

prometheus::Family<prometheus::Counter>& Outcomes() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_order_precheck_total")
                            .Help(
                                "Sold-out pre-checks of the stock gate before "
                                "Begin, by outcome")
                            .Register(Metrics());
  return family;
}

prometheus::Counter& OutcomeCounter(PrecheckOutcome outcome) {
  // One lookup per label at start-up, not per request.
  static prometheus::Counter* counters[] = {
      &Outcomes().Add({{"outcome", "pass"}}),
      &Outcomes().Add({{"outcome", "sold_out"}}),
      &Outcomes().Add({{"outcome", "no_gate"}}),
      &Outcomes().Add({{"outcome", "possible_repeat"}}),
      &Outcomes().Add({{"outcome", "skipped_error"}}),
      &Outcomes().Add({{"outcome", "skipped_paused"}}),
  };
  return *counters[static_cast<int>(outcome)];
}

}  // namespace

const char* PrecheckOutcomeName(PrecheckOutcome outcome) {
  switch (outcome) {
    case PrecheckOutcome::kPass:
      return "pass";
    case PrecheckOutcome::kSoldOut:
      return "sold_out";
    case PrecheckOutcome::kNoGate:
      return "no_gate";
    case PrecheckOutcome::kPossibleRepeat:
      return "possible_repeat";
    case PrecheckOutcome::kSkippedError:
      return "skipped_error";
    case PrecheckOutcome::kSkippedPaused:
      return "skipped_paused";
  }
  return "unknown";
}

GatePrecheck::GatePrecheck(StockGateReader& reader, PrecheckOptions options)
    : reader_(reader), options_(options) {}

absl::Status GatePrecheck::Check(const PlaceOrderInput& input,
                                 PrecheckOutcome* outcome) {
  PrecheckOutcome decided = PrecheckOutcome::kPass;
  absl::Status status = Decide(input, &decided);
  OutcomeCounter(decided).Increment();
  if (outcome != nullptr) *outcome = decided;
  return status;
}

absl::Status GatePrecheck::Decide(const PlaceOrderInput& input,
                                  PrecheckOutcome* outcome) {
  const int64_t paused = paused_until_.load(std::memory_order_relaxed);
  if (paused != 0) {
    if (SteadyClock::now().time_since_epoch().count() < paused) {
      *outcome = PrecheckOutcome::kSkippedPaused;
      return absl::OkStatus();
    }
    int64_t expected = paused;  // the pause is over: clear it (once)
    paused_until_.compare_exchange_strong(expected, 0);
  }
  *outcome = PrecheckOutcome::kPass;
  for (const auto& line : input.lines) {
    if (line.kind() != LineKind::kSku) continue;  // seats, slots, legs
    bool cached = false;
    auto remaining = Remaining(line.sku_id, &cached);
    if (!remaining.ok()) {
      PauseAfter(remaining.status());
      *outcome = PrecheckOutcome::kSkippedError;
      return absl::OkStatus();
    }
    if (!remaining->has_value()) {
      *outcome = PrecheckOutcome::kNoGate;
      continue;
    }
    if (**remaining >= line.quantity) continue;
    // Only a fresh reading is cached: refreshing the entry from itself
    // would keep a busy sale from ever reading Redis again.
    if (!cached && options_.sold_out_cache.count() > 0) {
      const int64_t until = (SteadyClock::now() + options_.sold_out_cache)
                                .time_since_epoch()
                                .count();
      std::unique_lock lock(mu_);
      LowReading& low = low_[line.sku_id];
      if (low.until < until) low = {**remaining, until};
    }
    auto units = reader_.UserUnits(line.sku_id, input.user_id);
    if (!units.ok()) {
      PauseAfter(units.status());
      *outcome = PrecheckOutcome::kSkippedError;
      return absl::OkStatus();
    }
    if (*units > 0) {
      *outcome = PrecheckOutcome::kPossibleRepeat;
      return absl::OkStatus();
    }
    *outcome = PrecheckOutcome::kSoldOut;
    return WithMetadata(
        Refused("SOLD_OUT",
                absl::StrCat("fewer than ", line.quantity, " units of ",
                             line.sku_id, " are left")),
        {{"skuId", line.sku_id}, {"quantity", absl::StrCat(line.quantity)}});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<int64_t>> GatePrecheck::Remaining(
    const std::string& sku_id, bool* cached) {
  if (options_.sold_out_cache.count() > 0) {
    const int64_t now = SteadyClock::now().time_since_epoch().count();
    std::shared_lock lock(mu_);
    auto it = low_.find(sku_id);
    if (it != low_.end() && it->second.until > now) {
      *cached = true;
      return std::optional<int64_t>(it->second.remaining);
    }
  }
  return reader_.Remaining(sku_id);
}

void GatePrecheck::PauseAfter(const absl::Status& error) {
  // Only transport trouble pauses; anything else (a corrupted key) is
  // skipped for this order alone and logged.
  if (error.code() != absl::StatusCode::kUnavailable) {
    spdlog::warn("event=precheck_error error=\"{}\"", error.ToString());
    return;
  }
  const int64_t until = (SteadyClock::now() + options_.pause_after_error)
                            .time_since_epoch()
                            .count();
  int64_t current = paused_until_.load(std::memory_order_relaxed);
  if (current == 0 && paused_until_.compare_exchange_strong(current, until)) {
    spdlog::warn(
        "event=precheck_paused pause_ms={} error=\"{}\" note=\"orders go "
        "straight to the Try path until Redis answers again\"",
        options_.pause_after_error.count(), error.ToString());
  }
}

}  // namespace turnstile::order
