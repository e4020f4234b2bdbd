// turnstile.v1.WaitingRoom served by the gateway itself (waiting_room.proto,
// DESIGN.md §9) and the waiting room's check in front of Order.PlaceOrder.
// The grpc_web_handler hands a call of a route with Backend::kGateway here
// after the same framing, auth, rate limit and in-flight checks as a
// forwarded call; the Redis work (queue_store.h) runs on a bounded pool
// (blocking_pool.h), never on an I/O thread, and a full pool is
// RESOURCE_EXHAUSTED GATEWAY_OVERLOADED. The acting user is only ever the
// verified token's subject.
//
// Metrics: turnstile_gateway_queue_waiting{product} and
// turnstile_gateway_queue_admitted{product} (gauges, as last seen by
// ConfigureQueue or a GetQueue of a queued product; at most
// kMaxProductLabels products, the rest under product="other"),
// turnstile_gateway_queue_refused_total{reason} (QUEUE_FULL, NOT_QUEUED,
// NOT_IN_QUEUE, NOT_ADMITTED) and
// turnstile_gateway_queue_passes_accepted_total (PlaceOrder calls let
// through on a pass) and turnstile_gateway_queue_order_checks_total{source}
// (PlaceOrder checks decided "local"ly -- no stock or leg line, or every
// product recently seen unqueued (unqueued_cache.h) -- or by asking
// "redis").
//
// PlaceOrder of products that are not queued costs no Redis call and no
// thread hop while the cache remembers them (--queue_config_cache_ms); the
// first order of such a product after that asks Redis once (one pipelined
// queue_use per product).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "services/common/redis_client.h"
#include "services/gateway/forwarder.h"
#include "services/gateway/routes.h"
#include "services/gateway/waiting_room/blocking_pool.h"
#include "services/gateway/waiting_room/queue_pass.h"
#include "services/gateway/waiting_room/queue_store.h"
#include "services/gateway/waiting_room/unqueued_cache.h"

namespace turnstile::gateway {

inline constexpr char kPassHeader[] = "x-turnstile-pass";
inline constexpr size_t kMaxProductLabels = 64;

struct WaitingRoomOptions {
  std::chrono::milliseconds place_ttl{30000};  // --queue_place_ttl_s
  std::chrono::milliseconds redis_timeout{250};
  int threads = 4;
  size_t max_pending = 1024;
  std::chrono::milliseconds unqueued_cache{1000};  // --queue_config_cache_ms
};

class WaitingRoom {
 public:
  // The serialized response message, or the refusal.
  using Done = std::function<void(absl::StatusOr<std::string>)>;
  using Checked = std::function<void(absl::Status)>;

  WaitingRoom(std::shared_ptr<RedisClient> redis,
              std::unique_ptr<PassSigner> signer, WaitingRoomOptions options,
              prometheus::Registry& metrics);

  // A WaitingRoom route's call; `done` runs once, on a pool thread (or on
  // this one for a refusal decided at once).
  void Serve(const Route& route, std::string message, const Caller& caller,
             Done done);

  // Order.PlaceOrder's check: `done` gets OK if no line is queued or the
  // caller holds a valid pass for every queued one, else NOT_ADMITTED (or
  // UNAVAILABLE if Redis is down: closed, never open). Runs `done` on this
  // thread when it needs no Redis (see above), else on a pool thread.
  void CheckPlaceOrder(std::string message, const Caller& caller,
                       std::vector<std::string> passes, Checked done);

 private:
  absl::StatusOr<std::string> Run(absl::string_view method,
                                  absl::string_view message,
                                  const Caller& caller);
  absl::Status Check(const std::vector<QueueProduct>& products,
                     const Caller& caller,
                     const std::vector<std::string>& passes);
  void CountRefusal(const absl::Status& status);
  void Observe(const QueueProduct& product, const QueueState& state);

  QueueStore store_;
  std::unique_ptr<PassSigner> signer_;
  BlockingPool pool_;
  prometheus::Family<prometheus::Gauge>& waiting_;
  prometheus::Family<prometheus::Gauge>& admitted_;
  prometheus::Family<prometheus::Counter>& refused_;
  prometheus::Counter& passes_accepted_;
  prometheus::Counter& checks_local_;
  prometheus::Counter& checks_redis_;
  UnqueuedCache unqueued_;
  std::mutex labels_mu_;
  // product name -> its two gauges; guarded by labels_mu_.
  absl::flat_hash_map<std::string,
                      std::pair<prometheus::Gauge*, prometheus::Gauge*>>
      labels_;
};

}  // namespace turnstile::gateway
