// The transaction deadline every Try carries (DESIGN.md §8: a Try that holds
// something refuses after its transaction's deadline). One pure check shared
// by every participant (inventory, seat, payment and the order's own branch):
// the deadline must be present and plausible (INVALID_ARGUMENT otherwise,
// nothing changed) and still ahead (ABORTED, reason TXN_DEADLINE: the
// coordinator cancels the transaction at that moment, so a hold taken later
// could only become an orphan).
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"

namespace turnstile {

// A deadline may be at most this far ahead (the Redis gates keep a hold at
// most 30 days, margins included).
inline constexpr int64_t kMaxTryDeadlineAheadMs = 29LL * 24 * 3600 * 1000;
// 2000-01-01: anything earlier is a client bug, not a deadline.
inline constexpr int64_t kMinTryDeadlineSeconds = 946684800;

// The deadline of a Try in epoch ms, given the request's Timestamp fields
// (`has_deadline` false when the field is unset) and the current time.
// INVALID_ARGUMENT if missing, malformed, before 2000 or more than
// kMaxTryDeadlineAheadMs ahead; ABORTED (TXN_DEADLINE) if it is not after
// now_ms.
absl::StatusOr<int64_t> TryDeadlineMs(bool has_deadline, int64_t seconds,
                                      int32_t nanos, int64_t now_ms);

// ABORTED (TXN_DEADLINE) unless now_ms is before deadline_ms: for a Try whose
// deadline is already known in milliseconds (the order's own branch).
absl::Status CheckBeforeDeadline(int64_t deadline_ms, int64_t now_ms);

// The current wall-clock time in epoch ms (the I/O side of the check).
int64_t WallNowMs();

}  // namespace turnstile
