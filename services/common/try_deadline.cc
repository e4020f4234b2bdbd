#include "services/common/try_deadline.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile {

absl::Status CheckBeforeDeadline(int64_t deadline_ms, int64_t now_ms) {
  if (now_ms < deadline_ms) return absl::OkStatus();
  return Error(absl::StatusCode::kAborted, "TXN_DEADLINE",
               absl::StrCat("the transaction deadline passed ",
                            now_ms - deadline_ms, " ms ago"));
}

absl::StatusOr<int64_t> TryDeadlineMs(bool has_deadline, int64_t seconds,
                                      int32_t nanos, int64_t now_ms) {
  if (!has_deadline) {
    return InvalidArgument(
        "deadline is required: the transaction deadline from Begin");
  }
  if (nanos < 0 || nanos > 999'999'999) {
    return InvalidArgument("deadline.nanos must be in [0, 999999999]");
  }
  const int64_t limit_s = (now_ms + kMaxTryDeadlineAheadMs) / 1000;
  if (seconds < kMinTryDeadlineSeconds || seconds > limit_s) {
    return InvalidArgument(absl::StrCat(
        "deadline must be between 2000-01-01 and 29 days from now, got ",
        seconds, "s since the epoch"));
  }
  const int64_t deadline_ms = seconds * 1000 + nanos / 1'000'000;
  if (auto s = CheckBeforeDeadline(deadline_ms, now_ms); !s.ok()) return s;
  return deadline_ms;
}

int64_t WallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace turnstile
