// Conversions between PostgreSQL timestamps (as epoch microseconds, selected
// with extract(epoch ...)) and protobuf Timestamps.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>

namespace turnstile {

inline void SetMicros(google::protobuf::Timestamp* ts, int64_t micros) {
  ts->set_seconds(micros / 1000000);
  ts->set_nanos(static_cast<int32_t>((micros % 1000000) * 1000));
}

inline int64_t ToMicros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

// SQL expression turning a timestamptz column into epoch microseconds.
#define TS_MICROS(col) "(extract(epoch from " col ") * 1000000)::bigint"

}  // namespace turnstile
