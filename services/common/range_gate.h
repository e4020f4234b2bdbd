// Typed wrapper of the range gate scripts (lua/range_*.lua, DESIGN.md §11):
// resources booked over integer unit ranges [from, to) — net-cafe machines
// by slot index of a venue-day, train seats by leg index of a run — one gate
// per gate key (the venue-day or run), keys under the hash tag
// {rng:<gate_key>}. Init rebuilds a gate from PostgreSQL, Hold / Release /
// Commit are the Try / Cancel / Confirm side of one TCC branch (all or
// nothing over a group of items, idempotent per owner), Read returns the
// booked ranges for availability answers and CountFree the number of
// resources free over a window (remaining seats). Each call runs
// one EVALSHA; ReadBatch pipelines many Reads and CountFrees on one
// connection (the availability readers). The reply parsers are exposed for
// unit tests. Key layout and reply formats: lua/README.md.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/common/gate_scripts.h"
#include "services/common/redis_client.h"

namespace turnstile {

// Bounds enforced by the scripts (lua/lib/gate.lua).
inline constexpr int kRangeMaxUnits = 256;     // units per resource
inline constexpr int kRangeMaxItems = 50;      // items per hold/release/commit
inline constexpr int kRangeMaxReadIds = 1000;  // resources per Read
inline constexpr int kRangeMaxFreeIds = 2000;  // resources per CountFree
inline constexpr int kRangeMaxInit = 200000;   // entries per Init

// One requested range: units [from, to) of a resource, 0 <= from < to <=
// units of the gate.
struct RangeItem {
  std::string resource_id;
  int32_t from = 0;
  int32_t to = 0;
  bool operator==(const RangeItem& o) const {
    return resource_id == o.resource_id && from == o.from && to == o.to;
  }
};

enum class GateRangeState { kHeld, kSold };

// A booked range as the gate stores it.
struct GateRange {
  std::string resource_id;
  int32_t from = 0;
  int32_t to = 0;
  GateRangeState state = GateRangeState::kHeld;
  std::string owner;      // "<gid>:<branch_id>"
  int64_t expiry_ms = 0;  // held: until then (free after); sold: 0
  // Init only: the owner's user for Hold's per-user limit ("" = keep the
  // user the gate knows for the owner, if any). Read leaves it empty.
  std::string user_id;
};

// Answer of Hold / Release / Commit.
struct RangeGateResult {
  GateStatus status = GateStatus::kInvalidArgument;
  // hold: items held (DUPLICATE: as recorded); release: the owner's hold
  // entries deleted; commit: items sold (DUPLICATE: as recorded).
  int64_t items = 0;
  // hold: the hold's expiry (DUPLICATE of a committed owner: 0; EXPIRED: the
  // Redis time).
  int64_t expiry_ms = 0;
  int64_t reclaimed = 0;  // commit: items sold the owner no longer held
  // TAKEN: the requested items that are taken; NOT_OWNER (commit): the items
  // left alone because another owner bought an overlapping range.
  std::vector<RangeItem> conflicts;
  // USER_LIMIT (hold): the user's live items on the gate and the limit.
  int64_t user_items = 0;
  int64_t user_limit = 0;
  std::string message;  // INVALID_ARGUMENT only
};

struct RangeInitSpec {
  GateInitMode mode = GateInitMode::kInit;
  int64_t expected_ver = 0;  // kRepair only (0 = gate absent)
  int32_t units = 0;         // 1..kRangeMaxUnits
  // The booked ranges (HELD and SOLD bookings); those of one resource must
  // not overlap.
  std::vector<GateRange> ranges;
};

struct RangeInitResult {
  GateStatus status = GateStatus::kInvalidArgument;
  int64_t ver = 0;
  // OK: entries written; EXISTS / CONFLICT: resources with entries now.
  int64_t count = 0;
  std::string message;
};

struct RangeSnapshot {
  GateStatus status = GateStatus::kNotInitialized;  // OK or NOT_INITIALIZED
  int64_t ver = 0;                                  // pass to a kRepair Init
  int32_t units = 0;
  int64_t now_ms = 0;  // Redis time of the snapshot
  // Sold ranges and live holds (lapsed holds are left out: they are free),
  // grouped by resource, sorted by `from` within one.
  std::vector<GateRange> ranges;
  std::string message;
};

// Answer of CountFree.
struct RangeFreeCount {
  GateStatus status = GateStatus::kInvalidArgument;  // OK / NOT_INITIALIZED
  int64_t free = 0;    // resources free over the whole window
  int64_t now_ms = 0;  // Redis time of the answer
  std::string message;
};

// One read-only call of a pipelined batch (RangeGate::ReadBatch): a
// CountFree of `resource_ids` over [from, to) if `count_free`, else a Read
// of `resource_ids` (empty: every resource of the gate).
struct RangeReadCall {
  std::string gate_key;
  bool count_free = false;
  int32_t from = 0;  // CountFree only
  int32_t to = 0;    // CountFree only
  std::vector<std::string> resource_ids;
  bool operator==(const RangeReadCall& o) const = default;
};

// The answer of one RangeReadCall: `status` is the call's transport or
// reply failure (as Read / CountFree would return it); when it is OK,
// `snapshot` (Read) or `count` (CountFree) holds the answer.
struct RangeReadAnswer {
  absl::Status status;
  RangeSnapshot snapshot;
  RangeFreeCount count;
};

class RangeGate {
 public:
  explicit RangeGate(RedisClient* redis, GateOptions options = {});

  absl::StatusOr<RangeInitResult> Init(absl::string_view gate_key,
                                       const RangeInitSpec& spec);
  // Holds every item until `expiry_ms` (epoch, Redis clock: the transaction
  // deadline plus a margin) or none. With a `user_id`, the hold counts
  // against the user's live items on the gate: USER_LIMIT if they would pass
  // `user_limit` (0 = counted, never refused).
  absl::StatusOr<RangeGateResult> Hold(absl::string_view gate_key,
                                       const GateOwner& owner,
                                       absl::Span<const RangeItem> items,
                                       int64_t expiry_ms,
                                       absl::string_view user_id = {},
                                       int32_t user_limit = 0);
  // Deletes the owner's holds overlapping `items` (the branch's bookings).
  absl::StatusOr<RangeGateResult> Release(absl::string_view gate_key,
                                          const GateOwner& owner,
                                          absl::Span<const RangeItem> items);
  // Sells `items` to the owner for good.
  absl::StatusOr<RangeGateResult> Commit(absl::string_view gate_key,
                                         const GateOwner& owner,
                                         absl::Span<const RangeItem> items);
  // The booked ranges of `resource_ids` (at most kRangeMaxReadIds, distinct),
  // or of every resource if empty (bulk timeout).
  absl::StatusOr<RangeSnapshot> Read(
      absl::string_view gate_key,
      absl::Span<const std::string> resource_ids = {});
  // How many of `resource_ids` (1..kRangeMaxFreeIds, distinct) are free on
  // every unit of [from, to): remaining seats / free machines, read only.
  absl::StatusOr<RangeFreeCount> CountFree(
      absl::string_view gate_key, int32_t from, int32_t to,
      absl::Span<const std::string> resource_ids);
  // The calls pipelined: all the CountFrees in one write and one read on
  // one connection, all the Reads in another (two round trips at most).
  // One answer per call, in order; each the same as the call made alone.
  std::vector<RangeReadAnswer> ReadBatch(
      absl::Span<const RangeReadCall* const> calls);

 private:
  RedisClient* redis_;
  GateOptions options_;
};

// The Try-side meaning of a Hold answer: as TryStatus, with TAKEN ->
// FAILED_PRECONDITION `taken_reason` (SLOT_TAKEN or SEAT_TAKEN).
absl::Status RangeTryStatus(GateStatus status, absl::string_view taken_reason,
                            absl::string_view message = "");

// Reply parsers (exposed for unit tests): INTERNAL/REDIS_BAD_REPLY if the
// reply does not have the documented shape.
absl::StatusOr<RangeGateResult> ParseRangeHoldReply(const redisReply& reply);
absl::StatusOr<RangeGateResult> ParseRangeReleaseReply(const redisReply& reply);
absl::StatusOr<RangeGateResult> ParseRangeCommitReply(const redisReply& reply);
absl::StatusOr<RangeInitResult> ParseRangeInitReply(const redisReply& reply);
absl::StatusOr<RangeSnapshot> ParseRangeReadReply(const redisReply& reply);
absl::StatusOr<RangeFreeCount> ParseRangeFreeReply(const redisReply& reply);

}  // namespace turnstile
