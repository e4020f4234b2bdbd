#include "services/order/order_server.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "services/common/migrate.h"
#include "services/common/pg_password.h"
#include "services/common/pg_pool.h"
#include "services/common/process.h"
#include "services/common/redis_flags.h"
#include "services/order/redis_gate_reader.h"
#include "services/order/service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50054", "host:port to serve on");
ABSL_FLAG(
    std::string, pg,
    "host=127.0.0.1 port=5432 dbname=turnstile_order user=turnstile_order",
    "libpq connection string of the order database, as its owner role "
    "(the password comes from --pg_password_file)");
ABSL_FLAG(int, pg_pool_size, 16, "PostgreSQL connections");
ABSL_FLAG(std::string, coordinator, "127.0.0.1:50050", "Coordinator address");
ABSL_FLAG(std::string, inventory, "127.0.0.1:50051", "Inventory address");
ABSL_FLAG(std::string, seat, "127.0.0.1:50052", "Seat service address");
ABSL_FLAG(std::string, payment, "127.0.0.1:50053", "Payment service address");
ABSL_FLAG(std::string, booking, "127.0.0.1:50056",
          "Booking service address (net-cafe slots, train legs); empty: "
          "order lines of kind slot or leg are refused INVALID_ARGUMENT");
ABSL_FLAG(int, rpc_timeout_ms, 2000,
          "Deadline of each outgoing call (not the transaction timeout)");
ABSL_FLAG(int, pay_now_timeout_ms, 30000,
          "Transaction timeout of a pay_now order");
ABSL_FLAG(int, default_payment_window_s, 900,
          "Payment window of stock and seat lines when PlaceOrder leaves it "
          "0 (an order takes the shortest window of its lines)");
ABSL_FLAG(int, slot_payment_window_s, 300,
          "Payment window of a net-cafe slot line when PlaceOrder leaves it 0");
ABSL_FLAG(int, leg_payment_window_s, 900,
          "Payment window of a train leg line when PlaceOrder leaves it 0");
ABSL_FLAG(int, try_retry_initial_ms, 50,
          "First backoff before retrying a transiently failed call");
ABSL_FLAG(int, try_retry_max_ms, 1000, "Backoff cap between retries");
ABSL_FLAG(int, max_inflight, 1024,
          "Most order API calls handled at once: a handler thread each, "
          "mostly waiting on other services (the PostgreSQL pool bounds the "
          "database work separately). A flash sale's burst of buyers must "
          "fit; beyond it calls are refused with RESOURCE_EXHAUSTED");
ABSL_FLAG(bool, stock_precheck, true,
          "Refuse orders for SKUs the Redis stock gate reports sold out "
          "before beginning a transaction (no coordinator write, no SQL)");
ABSL_FLAG(int, precheck_pause_ms, 1000,
          "After Redis could not be reached, skip the pre-check this long");
ABSL_FLAG(int, precheck_sold_out_cache_ms, 50,
          "Reuse a sold-out reading of a SKU's gate this long (0 = never): "
          "losers cost one Redis read instead of two; released units reach "
          "the pre-check that much later");

namespace turnstile::order {

int RunOrderServer(int argc, char** argv, const char* service,
                   const PayNowFactory& pay_now,
                   const std::string& phases_identity) {
  // Both binaries are the order service to their peers.
  InitProcess(argc, argv, service, "order");
  const auto with_password = ServiceConninfo(absl::GetFlag(FLAGS_pg));
  if (!with_password) return 2;
  const std::string& pg = *with_password;
  const int pool_size = std::max(1, absl::GetFlag(FLAGS_pg_pool_size));

  if (!MigrateOnStart(pg, "order").ok()) return 1;

  using std::chrono::milliseconds;
  FlowOptions options;
  options.rpc_timeout =
      milliseconds(std::max(1, absl::GetFlag(FLAGS_rpc_timeout_ms)));
  options.pay_now_timeout =
      milliseconds(std::max(1, absl::GetFlag(FLAGS_pay_now_timeout_ms)));
  options.windows.stock_and_seat_s = std::clamp(
      absl::GetFlag(FLAGS_default_payment_window_s), 1, kMaxWindowSeconds);
  options.windows.slot_s = std::clamp(
      absl::GetFlag(FLAGS_slot_payment_window_s), 1, kMaxWindowSeconds);
  options.windows.leg_s = std::clamp(absl::GetFlag(FLAGS_leg_payment_window_s),
                                     1, kMaxWindowSeconds);
  options.serve_booking_lines = !absl::GetFlag(FLAGS_booking).empty();
  options.backoff.initial =
      milliseconds(std::max(1, absl::GetFlag(FLAGS_try_retry_initial_ms)));
  options.backoff.max =
      milliseconds(std::max(absl::GetFlag(FLAGS_try_retry_max_ms),
                            static_cast<int>(options.backoff.initial.count())));

  PgPool pool(pg, pool_size, &OrderStore::Prepare);
  OrderStore store(pool);
  GrpcPeers peers({absl::GetFlag(FLAGS_coordinator),
                   absl::GetFlag(FLAGS_inventory), absl::GetFlag(FLAGS_seat),
                   absl::GetFlag(FLAGS_payment), absl::GetFlag(FLAGS_booking)},
                  phases_identity);

  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<RedisGateReader> gate_reader;
  std::unique_ptr<GatePrecheck> precheck;
  if (absl::GetFlag(FLAGS_stock_precheck)) {
    auto redis_options = RedisOptionsFromFlags();
    if (!redis_options.ok()) {
      spdlog::critical("event=bad_flag flag=redis error=\"{}\"",
                       redis_options.status().ToString());
      return 1;
    }
    redis = std::make_unique<RedisClient>(*redis_options);
    gate_reader = std::make_unique<RedisGateReader>(*redis);
    PrecheckOptions precheck_options;
    precheck_options.pause_after_error =
        milliseconds(std::max(0, absl::GetFlag(FLAGS_precheck_pause_ms)));
    precheck_options.sold_out_cache = milliseconds(
        std::max(0, absl::GetFlag(FLAGS_precheck_sold_out_cache_ms)));
    precheck = std::make_unique<GatePrecheck>(*gate_reader, precheck_options);
  }
  OrderFlow flow(peers, store, options, precheck.get());
  std::unique_ptr<PayNowPlacer> placer;
  if (pay_now) placer = pay_now({peers, store, options, precheck.get()});
  OrderService api(flow, store, placer.get());
  OrderParticipant participant(store);
  spdlog::info(
      "event=config rpc_timeout_ms={} pay_now_timeout_ms={} "
      "default_payment_window_s={} slot_payment_window_s={} "
      "leg_payment_window_s={} coordinator={} inventory={} seat={} "
      "payment={} booking={} stock_precheck={} coordinator_bypassed={}",
      options.rpc_timeout.count(), options.pay_now_timeout.count(),
      options.windows.stock_and_seat_s, options.windows.slot_s,
      options.windows.leg_s, absl::GetFlag(FLAGS_coordinator),
      absl::GetFlag(FLAGS_inventory), absl::GetFlag(FLAGS_seat),
      absl::GetFlag(FLAGS_payment), absl::GetFlag(FLAGS_booking),
      precheck != nullptr, placer != nullptr);
  return ServeGrpc(
      {absl::GetFlag(FLAGS_listen),
       std::max(pool_size + 4, absl::GetFlag(FLAGS_max_inflight)), service},
      {&api, &participant});
}

}  // namespace turnstile::order
