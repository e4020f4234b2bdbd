// Typed wrapper of the day-limit gate scripts (lua/limit_*.lua, issue 10
// item 5): counted uses of limited counters of one day -- tickets per
// identity document per day, bookings per user per day -- under the hash tag
// {lim:<YYYY-MM-DD>}, so that one document's tickets on several runs of a
// day meet in one gate. The booking Try takes its counters before the range
// hold (Take), the Cancel gives them back (Release), the Confirm records
// them sold (Commit), and the reconciler rebuilds a day from PostgreSQL
// (Init), which stays the judge: the gate only turns away, early and
// without a PostgreSQL round trip, buyers PostgreSQL would refuse. Each
// call runs one EVALSHA; the reply parsers are exposed for unit tests. Key
// layout and reply formats: lua/README.md.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/common/gate_scripts.h"
#include "services/common/redis_client.h"

namespace turnstile {

// Bounds enforced by the scripts (lua/lib/gate.lua).
inline constexpr int kLimitMaxCounters = 12;  // counters per take/commit
inline constexpr int kLimitMaxUnits = 50;     // units of one counter per call
inline constexpr int kLimitMaxInit = 200000;  // uses per Init
inline constexpr int kLimitMaxRead = 1000;    // counters per Read

// One counter of a Take (with its limit, 1..10^6) or a Commit (limit unused).
struct LimitCounter {
  std::string name;  // e.g. "doc:<doc>:<day>", 1-200 chars of the id set
  int32_t units = 0;
  int32_t limit = 0;
};

// Answer of Take / Release / Commit.
struct LimitGateResult {
  GateStatus status = GateStatus::kInvalidArgument;
  int64_t counters = 0;  // counters taken / released / recorded
  // USER_LIMIT: the counter that would pass its limit (index into the
  // Take's counters), its live use and its limit.
  int32_t index = -1;
  int64_t used = 0;
  int64_t limit = 0;
  int64_t now_ms = 0;  // EXPIRED: the Redis time
  std::string message;
};

// One use as PostgreSQL has it: owner "<gid>:<branch_id>", counter, units,
// and the hold's expiry (0 = sold).
struct LimitUse {
  std::string owner;
  std::string counter;
  int64_t units = 0;
  int64_t expiry_ms = 0;
};

struct LimitInitResult {
  GateStatus status = GateStatus::kInvalidArgument;
  int64_t ver = 0;
  int64_t counters = 0;
  std::string message;
};

struct LimitSnapshot {
  GateStatus status = GateStatus::kNotInitialized;  // OK / NOT_INITIALIZED
  int64_t ver = 0;
  int64_t now_ms = 0;
  // Counters with a live use (sold, or held until after now_ms), by name.
  std::vector<std::pair<std::string, int64_t>> used;
  // Read of every counter only: the owners that hold until after now_ms.
  std::vector<std::string> holders;
  std::string message;
};

class LimitGate {
 public:
  explicit LimitGate(RedisClient* redis, GateOptions options = {});

  // Takes every counter for `owner` until expiry_ms, or none (USER_LIMIT,
  // EXPIRED, NOT_INITIALIZED). The gate's keys expire at expire_at_ms (the
  // day is over for good). DUPLICATE: the owner holds already.
  absl::StatusOr<LimitGateResult> Take(absl::string_view day,
                                       const GateOwner& owner,
                                       absl::Span<const LimitCounter> counters,
                                       int64_t expiry_ms, int64_t expire_at_ms);
  // Gives the owner's held uses back (NOT_FOUND: it holds nothing).
  absl::StatusOr<LimitGateResult> Release(absl::string_view day,
                                          const GateOwner& owner);
  // Records the owner's uses of `counters` sold for good.
  absl::StatusOr<LimitGateResult> Commit(
      absl::string_view day, const GateOwner& owner,
      absl::Span<const LimitCounter> counters, int64_t expire_at_ms);
  // Replaces the day's uses with `uses` (kInit: only if absent; kRepair:
  // only if the gate's ver is expected_ver), keeping the live holds of
  // owners not in `uses` (Tries in flight) unless they are `decided`
  // (PostgreSQL has their Confirm or Cancel; at most 10000).
  absl::StatusOr<LimitInitResult> Init(
      absl::string_view day, GateInitMode mode, int64_t expected_ver,
      int64_t expire_at_ms, absl::Span<const LimitUse> uses,
      absl::Span<const std::string> decided = {});
  // The live use of `counters` (at most kLimitMaxRead), or of every counter
  // if empty (bulk timeout).
  absl::StatusOr<LimitSnapshot> Read(
      absl::string_view day, absl::Span<const std::string> counters = {});

 private:
  RedisClient* const redis_;
  const GateOptions options_;
};

absl::StatusOr<LimitGateResult> ParseLimitTakeReply(const redisReply& reply);
absl::StatusOr<LimitGateResult> ParseLimitCountReply(const redisReply& reply);
absl::StatusOr<LimitInitResult> ParseLimitInitReply(const redisReply& reply);
absl::StatusOr<LimitSnapshot> ParseLimitReadReply(const redisReply& reply);

}  // namespace turnstile
