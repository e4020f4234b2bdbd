// The reconciler's decision for one SKU, as a pure function of a Redis gate
// snapshot (stock_read) and PostgreSQL's truth read after it (so that every
// Try the snapshot shows in flight either has committed in that truth or has
// not). PostgreSQL is the truth; what Redis holds beyond it is reservations
// in flight: reserved in the gate, not yet committed in PostgreSQL. So the
// gate should hold
//   remaining = PostgreSQL available (sum over buckets) - units in flight,
//   users     = user_purchase + units in flight, per user,
//   res       = PostgreSQL LOCKED reservations + reservations in flight,
// and it must never hand out units that PostgreSQL has locked. An open gate
// reservation whose PostgreSQL line is SOLD or RELEASED is committed or
// released through the scripts (keeping their idempotency records); one that
// can never commit in PostgreSQL (its branch is cancelled, its Try committed
// without this SKU, or it is older than the stale horizon) is released. A
// PostgreSQL decision younger than the settle grace is left to the service,
// whose own stock_commit/stock_release follows it within moments: until then
// the reservation is kept as the gate has it, so that a reconciliation racing
// normal traffic finds nothing to fix. Unit tests drive this without Redis or
// PostgreSQL.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "services/common/gate_scripts.h"
#include "services/inventory/model.h"

namespace turnstile::inventory {

// An open gate reservation to settle through the scripts.
struct GateSettlement {
  enum class Kind { kCommit, kRelease };
  Kind kind = Kind::kRelease;
  std::string owner;  // "<gid>:<branch_id>"
  std::string why;    // human-readable, for the report
};

struct StockPlan {
  // The gate is absent (Redis lost it): build `target` with expected ver 0.
  bool rebuild = false;
  // Open reservations to commit or release first; the caller then reads the
  // gate again. If it cannot (or they did not apply), `target` already
  // leaves them out.
  std::vector<GateSettlement> settlements;
  // The gate as it should be (mode and expected_ver are the caller's).
  StockInitSpec target;
  // Every way the snapshot differs from `target`, human-readable; empty if
  // the gate is right.
  std::vector<std::string> differences;
  int64_t in_flight = 0;        // reservations in flight
  int64_t in_flight_units = 0;  // their units
  int64_t settling = 0;         // decided in PostgreSQL within the grace: kept
};

struct PlanOptions {
  // A gate reservation PostgreSQL has no trace of after this long is
  // stranded (its Try crashed between Redis and PostgreSQL) and released.
  std::chrono::milliseconds stale{60000};
  // PostgreSQL decisions younger than this are left to the service.
  std::chrono::milliseconds settle_grace{5000};
};

StockPlan PlanStockGate(const std::string& sku_id, const StockSnapshot& gate,
                        const StockTruth& truth, const PlanOptions& options);

}  // namespace turnstile::inventory
