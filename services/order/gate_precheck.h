// The order service's sold-out pre-check (issue 3, DESIGN.md §5): before a
// global transaction is begun, the stock gate of every stock line is read
// and a buyer of a SKU with fewer units left than asked is refused at once
// (FAILED_PRECONDITION SOLD_OUT): no coordinator write, no SQL anywhere. The
// pre-check only ever refuses; it never lets anything through that the Try
// path would not check again, so it needs no locking. Any doubt means "go
// on": no gate for the SKU, Redis unreachable (then the check pauses for a
// second so that an outage costs one failed read per second, not one per
// order), or a buyer who already holds or bought the SKU (PlaceOrder is
// idempotent: the request may be a repeat of one that succeeded and must get
// its order back, not SOLD_OUT). A sold-out reading of a SKU is reused for a
// few milliseconds (PrecheckOptions::sold_out_cache), so that the losers of
// a flash sale cost one Redis round trip each (their own units) instead of
// two; units released meanwhile become visible to the pre-check that much
// later (the Try path never sees stale data).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "services/order/flow_ports.h"
#include "services/order/validation.h"

namespace turnstile::order {

struct PrecheckOptions {
  // How long to skip the pre-check after Redis could not be reached.
  std::chrono::milliseconds pause_after_error{1000};
  // How long a reading "fewer units left than asked" is reused (0 = never).
  std::chrono::milliseconds sold_out_cache{50};
};

// What one Check decided (also the metric label).
enum class PrecheckOutcome {
  kPass,            // every line has enough units left (or no stock line)
  kSoldOut,         // refused
  kNoGate,          // some SKU has no gate: left to the Try path
  kPossibleRepeat,  // sold out, but the buyer holds/bought the SKU already
  kSkippedError,    // Redis failed: left to the Try path
  kSkippedPaused,   // within the pause after a failure
};
const char* PrecheckOutcomeName(PrecheckOutcome outcome);

class GatePrecheck {
 public:
  GatePrecheck(StockGateReader& reader, PrecheckOptions options = {});

  // OK to go on with the transaction, or FAILED_PRECONDITION SOLD_OUT.
  // `outcome` (optional) receives the decision.
  absl::Status Check(const PlaceOrderInput& input,
                     PrecheckOutcome* outcome = nullptr);

 private:
  absl::Status Decide(const PlaceOrderInput& input, PrecheckOutcome* outcome);
  void PauseAfter(const absl::Status& error);
  // The gate's remaining units of `sku_id`, from the sold-out cache when a
  // fresh low reading exists (then *cached = true), else from Redis.
  absl::StatusOr<std::optional<int64_t>> Remaining(const std::string& sku_id,
                                                   bool* cached);

  struct LowReading {
    int64_t remaining = 0;
    int64_t until = 0;  // steady_clock ticks
  };

  StockGateReader& reader_;
  const PrecheckOptions options_;
  // steady_clock ticks until which the check is skipped (0 = not paused).
  std::atomic<int64_t> paused_until_{0};
  // std::shared_mutex rather than absl::Mutex: Debian's absl runs the
  // Mutex deadlock detector on every lock, measurable on this hot path.
  std::shared_mutex mu_;
  // Readings of sold-out SKUs (remaining below some order's quantity),
  // guarded by mu_; entries are replaced when stale, so the map holds at
  // most the SKUs that have sold out in the process's life.
  absl::flat_hash_map<std::string, LowReading> low_;
};

}  // namespace turnstile::order
