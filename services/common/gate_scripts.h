// Typed wrappers of the Redis gate scripts (lua/, DESIGN.md §5): StockGate
// for SKUs (init, reserve, release, commit, read) and SeatGate for events
// (init, hold, release, commit, read). Each call builds its command in a
// reused per-thread buffer, runs one EVALSHA and parses the structured reply
// into a plain struct. The gate only answers; the caller decides what an
// answer means for its request (TryStatus maps the Try-side answers to the
// service error conventions). Key layout and reply formats: lua/README.md.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/redis_client.h"

namespace turnstile {

// The first element of every script reply.
enum class GateStatus {
  kOk,               // applied now
  kDuplicate,        // applied before by the same owner; nothing changed
  kCancelled,        // owner already released: Try refused / Confirm no-op
  kCommitted,        // owner already committed: release is a no-op
  kNotFound,         // nothing recorded for the owner (release: tombstoned)
  kSoldOut,          // stock: fewer units left than asked
  kUserLimit,        // stock: the per-user limit would be passed
  kSeatTaken,        // seats: some seat held by another owner or sold
  kNotOwner,         // seats: some seat skipped, another owner has it
  kTaken,            // ranges: some unit of an item held by another or sold
  kExpired,          // seats: the hold's expiry has already passed
  kNotInitialized,   // no gate for this SKU/event (Redis empty?)
  kExists,           // init: gate present, mode 'init' left it alone
  kConflict,         // init: gate changed since the given ver
  kInvalidArgument,  // bad argument; nothing changed (a caller bug)
};

absl::string_view GateStatusName(GateStatus status);
// The status named `name` (e.g. "SOLD_OUT"); false if unknown.
bool ParseGateStatus(absl::string_view name, GateStatus* status);

// The Try-side meaning of a reserve/hold answer, in the service error
// conventions: OK and DUPLICATE -> OK; SOLD_OUT, USER_LIMIT, SEAT_TAKEN ->
// FAILED_PRECONDITION with that reason; CANCELLED -> ABORTED
// BRANCH_CANCELLED; EXPIRED -> ABORTED TXN_DEADLINE; NOT_INITIALIZED ->
// UNAVAILABLE GATE_NOT_INITIALIZED;
// INVALID_ARGUMENT -> INVALID_ARGUMENT; anything else -> INTERNAL.
absl::Status TryStatus(GateStatus status, absl::string_view message = "");

// Owner of a gate record: the branch "<gid>:<branch_id>".
struct GateOwner {
  absl::string_view gid;
  absl::string_view branch_id;
};
std::string OwnerString(const GateOwner& owner);

struct GateOptions {
  // Life of the records that make release/commit/hold idempotent (and of the
  // release tombstones); they only need to outlive the coordinator's retries
  // of one branch. Memory is bounded by (finished branches per second) x ttl.
  std::chrono::milliseconds record_ttl{std::chrono::hours(24)};
  // Timeout of the O(n) init and read calls (reconciler only).
  std::chrono::milliseconds bulk_timeout{std::chrono::seconds(10)};
};

enum class GateInitMode { kInit, kRepair, kForce };

// --- stock ------------------------------------------------------------------

// Answer of stock reserve/release/commit.
struct StockGateResult {
  GateStatus status = GateStatus::kInvalidArgument;
  int64_t remaining = -1;   // units left (after the call if applied); -1 n/a
  int64_t user_units = -1;  // user's reserved+bought units; -1 not read
  int64_t quantity = 0;     // units of this owner's reservation (0: none)
  std::string message;      // INVALID_ARGUMENT only
};

// An open stock reservation (LOCKED in PostgreSQL).
struct GateReservation {
  std::string owner;  // "<gid>:<branch_id>"
  int64_t quantity = 0;
  std::string user_id;
  int64_t created_ms = 0;  // Redis time of the reserve (read only)
};

struct StockInitSpec {
  GateInitMode mode = GateInitMode::kInit;
  int64_t expected_ver = 0;  // kRepair only (0 = gate absent)
  int64_t remaining = 0;
  int64_t per_user_limit = 0;  // 0 = no limit
  // Units each user holds or bought (PostgreSQL user_purchase, > 0 only).
  std::vector<std::pair<std::string, int64_t>> user_units;
  std::vector<GateReservation> reservations;
};

struct StockInitResult {
  GateStatus status = GateStatus::kInvalidArgument;
  int64_t remaining = -1;  // after the call (OK) or current (EXISTS/CONFLICT)
  int64_t per_user_limit = -1;
  int64_t ver = 0;
  std::string message;
};

struct StockSnapshot {
  GateStatus status = GateStatus::kNotInitialized;  // OK or NOT_INITIALIZED
  int64_t remaining = 0;
  int64_t per_user_limit = 0;
  int64_t ver = 0;     // pass to a kRepair init
  int64_t now_ms = 0;  // Redis time of the snapshot
  std::vector<std::pair<std::string, int64_t>> user_units;
  std::vector<GateReservation> reservations;
  std::string message;
};

class StockGate {
 public:
  explicit StockGate(RedisClient* redis, GateOptions options = {});

  absl::StatusOr<StockInitResult> Init(absl::string_view sku_id,
                                       const StockInitSpec& spec);
  absl::StatusOr<StockGateResult> Reserve(absl::string_view sku_id,
                                          const GateOwner& owner,
                                          absl::string_view user_id,
                                          int64_t quantity);
  absl::StatusOr<StockGateResult> Release(absl::string_view sku_id,
                                          const GateOwner& owner);
  absl::StatusOr<StockGateResult> Commit(absl::string_view sku_id,
                                         const GateOwner& owner);
  absl::StatusOr<StockSnapshot> Read(absl::string_view sku_id);

 private:
  RedisClient* redis_;
  GateOptions options_;
};

// --- seats ------------------------------------------------------------------

// Answer of seat hold/release/commit.
struct SeatGateResult {
  GateStatus status = GateStatus::kInvalidArgument;
  // hold: seats held (DUPLICATE: as recorded); release: seats freed; commit:
  // seats sold (DUPLICATE: as recorded).
  int64_t seats = 0;
  // hold: the hold's expiry (0 if committed; EXPIRED: the Redis time).
  int64_t expiry_ms = 0;
  int64_t reclaimed = 0;  // commit: seats sold that the owner no longer held
  // SEAT_TAKEN: the taken seats; NOT_OWNER: the seats left alone.
  std::vector<std::string> conflicts;
  std::string message;  // INVALID_ARGUMENT only
};

enum class GateSeatState { kHeld, kSold };

// A seat that is not free.
struct GateSeat {
  std::string seat_id;
  GateSeatState state = GateSeatState::kHeld;
  std::string owner;      // "<gid>:<branch_id>"
  int64_t expiry_ms = 0;  // held: until then (free after); sold: 0
};

struct SeatInitSpec {
  GateInitMode mode = GateInitMode::kInit;
  int64_t expected_ver = 0;
  std::vector<GateSeat> seats;  // the non-free seats
};

struct SeatInitResult {
  GateStatus status = GateStatus::kInvalidArgument;
  int64_t ver = 0;
  int64_t seats = 0;  // non-free seats after the call (OK) or now
  std::string message;
};

struct SeatSnapshot {
  GateStatus status = GateStatus::kNotInitialized;
  int64_t ver = 0;
  int64_t now_ms = 0;
  std::vector<GateSeat> seats;  // includes lapsed holds (expiry <= now_ms)
  std::string message;
};

class SeatGate {
 public:
  explicit SeatGate(RedisClient* redis, GateOptions options = {});

  absl::StatusOr<SeatInitResult> Init(absl::string_view event_id,
                                      const SeatInitSpec& spec);
  // Holds all `seat_ids` until `expiry_ms` (epoch, Redis clock: pass the
  // transaction deadline plus a margin) or none.
  absl::StatusOr<SeatGateResult> Hold(absl::string_view event_id,
                                      const GateOwner& owner,
                                      absl::Span<const std::string> seat_ids,
                                      int64_t expiry_ms);
  absl::StatusOr<SeatGateResult> Release(
      absl::string_view event_id, const GateOwner& owner,
      absl::Span<const std::string> seat_ids);
  absl::StatusOr<SeatGateResult> Commit(absl::string_view event_id,
                                        const GateOwner& owner,
                                        absl::Span<const std::string> seat_ids);
  absl::StatusOr<SeatSnapshot> Read(absl::string_view event_id);

 private:
  RedisClient* redis_;
  GateOptions options_;
};

// Reply parsers (exposed for unit tests): INTERNAL/REDIS_BAD_REPLY if the
// reply does not have the documented shape.
absl::StatusOr<StockGateResult> ParseStockReply(const redisReply& reply);
absl::StatusOr<StockInitResult> ParseStockInitReply(const redisReply& reply);
absl::StatusOr<StockSnapshot> ParseStockReadReply(const redisReply& reply);
absl::StatusOr<SeatGateResult> ParseSeatHoldReply(const redisReply& reply);
absl::StatusOr<SeatGateResult> ParseSeatReleaseReply(const redisReply& reply);
absl::StatusOr<SeatGateResult> ParseSeatCommitReply(const redisReply& reply);
absl::StatusOr<SeatInitResult> ParseSeatInitReply(const redisReply& reply);
absl::StatusOr<SeatSnapshot> ParseSeatReadReply(const redisReply& reply);

}  // namespace turnstile
