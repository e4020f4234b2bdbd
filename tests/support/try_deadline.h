// Test requests for the Tries carry the transaction deadline the order
// service sends (every Try requires one, services/common/try_deadline.h):
// by default the coordinator's default payment window from now.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <chrono>

namespace turnstile::testing {

inline void SetTryDeadline(
    google::protobuf::Timestamp* ts,
    std::chrono::milliseconds from_now = std::chrono::minutes(15)) {
  const auto at = std::chrono::system_clock::now() + from_now;
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         at.time_since_epoch())
                         .count();
  ts->set_seconds(ms / 1000);
  ts->set_nanos(static_cast<int32_t>(ms % 1000) * 1'000'000);
}

}  // namespace turnstile::testing
