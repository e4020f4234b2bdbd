// The waiting room's Redis side: one EVALSHA of a lua/queue_*.lua script
// per call (lib/queue.lua has the key layout and the lazy admission), with
// the script's structured reply turned into a struct. Synchronous: the
// waiting room runs these on its own bounded pool (blocking_pool.h), never
// on an I/O thread. A transport failure is UNAVAILABLE/REDIS_UNAVAILABLE
// (redis_client.h); a reply of an unexpected shape is INTERNAL.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "services/common/redis_client.h"
#include "services/gateway/waiting_room/queue_product.h"

namespace turnstile::gateway {

struct QueueState {
  bool queued = false;
  int64_t rate_milli = 0;  // admissions per 1000 s
  int64_t max_length = 0;
  int64_t pass_ttl_ms = 0;
  int64_t waiting = 0;
  int64_t admitted = 0;
};

struct TicketReply {
  enum Kind { kWaiting, kAdmitted, kFull, kNotInQueue, kNotQueued } kind;
  int64_t position = 0;
  int64_t eta_ms = 0;
  int64_t pass_expiry_ms = 0;
  int64_t joined_ms = 0;
  int64_t retry_after_ms = 0;  // kFull
};

struct UseReply {
  enum Kind { kNotQueued, kOk, kNotAdmitted } kind = kNotQueued;
  std::string why;  // kNotAdmitted: NO_PASS, NOT_ADMITTED, EXPIRED, MISMATCH
};

class QueueStore {
 public:
  QueueStore(std::shared_ptr<RedisClient> redis,
             std::chrono::milliseconds place_ttl,
             std::chrono::milliseconds timeout);

  // Creates or changes the queue (rate in admissions per 1000 s).
  absl::StatusOr<QueueState> Configure(const QueueProduct& product,
                                       int64_t rate_milli, int64_t max_length,
                                       int64_t pass_ttl_ms);
  absl::Status Remove(const QueueProduct& product);
  absl::StatusOr<QueueState> Read(const QueueProduct& product);
  absl::StatusOr<TicketReply> Join(const QueueProduct& product,
                                   absl::string_view user);
  absl::StatusOr<TicketReply> Ticket(const QueueProduct& product,
                                     absl::string_view user);
  // One queue_use per product, pipelined; `expiry_ms[i]` is the expiry of
  // the caller's valid pass for products[i] (0 = none).
  absl::StatusOr<std::vector<UseReply>> Use(
      absl::Span<const QueueProduct> products, absl::string_view user,
      absl::Span<const int64_t> expiry_ms);

 private:
  void StartCall(const LuaScript& script, const QueueProduct& product,
                 RedisArgs& args) const;
  absl::StatusOr<TicketReply> TicketCall(const LuaScript& script,
                                         const QueueProduct& product,
                                         absl::string_view user);

  std::shared_ptr<RedisClient> redis_;
  const std::string place_ttl_ms_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace turnstile::gateway
