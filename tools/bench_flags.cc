#include "tools/bench_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, scenario, "flash-sale",
          "flash-sale | gateway-prep | gateway-direct | settle | booking | "
          "booking-alloc");
ABSL_FLAG(std::string, label, "", "name of this run in the output");
ABSL_FLAG(std::string, order, "127.0.0.1:50054", "order service");
ABSL_FLAG(std::string, bypass_order, "",
          "the bench-only turnstile-order-bypass (coordinator bypassed; "
          "--baselines: full TCC / bypass ratio)");
ABSL_FLAG(std::string, inventory, "127.0.0.1:50051", "inventory service");
ABSL_FLAG(std::string, payment, "127.0.0.1:50053", "payment service");
ABSL_FLAG(std::string, pg_base, "host=127.0.0.1 port=5432 user=postgres",
          "libpq conninfo without dbname (checks, pgbench) of a superuser; "
          "its password comes from --pg_password_file");
ABSL_FLAG(std::string, db_prefix, "turnstile",
          "databases are <prefix>_<service>");
ABSL_FLAG(int64_t, buyers, 100000, "distinct buyers, one order each");
ABSL_FLAG(int64_t, stock, 1000, "units of the SKU on sale");
ABSL_FLAG(int, concurrency, 256, "most requests in flight");
ABSL_FLAG(int, per_user_limit, 1, "per-user limit of the SKU (0 = none)");
ABSL_FLAG(std::string, flow, "pay_now", "pay_now | reserve_then_pay");
ABSL_FLAG(int, buckets, 1,
          "PostgreSQL stock buckets of the SKU (CreateSkuRequest.buckets)");
ABSL_FLAG(double, rate, 0,
          "offered load: start at most this many orders per second (0 = as "
          "fast as --concurrency allows)");
ABSL_FLAG(int, duration_s, 120,
          "stop issuing new orders after this many seconds (0 = no cap)");
ABSL_FLAG(std::string, strategy, "gate",
          "label: the inventory's --reservation_strategy (set by whoever "
          "started the mesh; recorded only)");
ABSL_FLAG(int64_t, price, 100, "unit price in minor units (EUR)");
ABSL_FLAG(bool, fund, true,
          "deposit --deposit into every buyer's wallet first (idempotent: "
          "a repeat with the same prefix adds nothing)");
ABSL_FLAG(int64_t, deposit, 10000000, "minor units per funded wallet");
ABSL_FLAG(int64_t, fund_buyers, 0,
          "wallets to fund (0 = --buyers); more lets later runs with more "
          "buyers skip funding");
ABSL_FLAG(int, fund_concurrency, 64, "deposits in flight while funding");
ABSL_FLAG(std::string, user_prefix, "bench-buyer-",
          "buyers are <prefix><n>, n in [0, buyers)");
ABSL_FLAG(std::string, sku, "", "SKU id (default: a fresh bench-... id)");
ABSL_FLAG(int, channels, 4, "TCP connections to the order service");
ABSL_FLAG(int, rpc_timeout_ms, 30000, "deadline of each call");
ABSL_FLAG(std::string, json, "", "write every number as JSON here");
ABSL_FLAG(std::string, plot, "", "write a latency CDF PNG here (gnuplot)");
ABSL_FLAG(bool, baselines, false,
          "also run pay_now throughput (full TCC and --bypass_order), "
          "pgbench and redis-benchmark, and print ratios");
ABSL_FLAG(int, throughput_s, 10, "--baselines: seconds per pay_now run");
ABSL_FLAG(int, throughput_buckets, 8,
          "--baselines: stock buckets of the pay_now runs' SKU (the hot-SKU "
          "layout; 1 puts every order on one row lock)");
ABSL_FLAG(int, pgbench_seconds, 10, "--baselines: pgbench -T");
ABSL_FLAG(int, pgbench_scale, 10, "--baselines: pgbench -i -s (once)");
ABSL_FLAG(std::string, pgbench_db, "",
          "--baselines: scratch database (default <db_prefix>_pgbench)");
ABSL_FLAG(int, redis_requests, 200000, "--baselines: redis-benchmark -n");
ABSL_FLAG(int, settle_s, 60,
          "wait this long at most for every transaction to be terminal");
ABSL_FLAG(bool, check, true, "run the invariant checker at the end");

// The gateway benchmark (tools/bench_gateway.h).
ABSL_FLAG(std::string, gateway_dir, ".turnstile/bench/gateway",
          "gateway-prep: where the request files and prep.json go");
ABSL_FLAG(int64_t, soldout_requests, 150000,
          "gateway-prep: sold-out orders per path");
ABSL_FLAG(int64_t, paynow_requests, 20000,
          "gateway-prep: pay_now orders per path");
ABSL_FLAG(int64_t, warmup_requests, 5000,
          "gateway-prep: sold-out warm-up orders per path");
ABSL_FLAG(int64_t, token_ttl_s, 3600, "gateway-prep: lifetime of the tokens");
ABSL_FLAG(std::string, requests_file, "",
          "gateway-direct: the request file to send");
ABSL_FLAG(std::string, warmup_file, "",
          "gateway-direct: a request file sent first, not measured");
ABSL_FLAG(int, settle_quiet_ms, 2000,
          "gateway-direct, settle: pause after every transaction is terminal");

// The range-booking scenarios (tools/bench_booking.h).
ABSL_FLAG(std::string, booking, "127.0.0.1:50056", "booking service");
ABSL_FLAG(std::string, booking_steps, "alloc,train,remaining,soldout,cafe",
          "booking: the steps to run, in this order whatever the list's");
ABSL_FLAG(int64_t, booking_buyers, 20000,
          "booking: train buyers (one ticket per order, buyer i % this); "
          "their wallets are funded");
ABSL_FLAG(int, train_runs, 4,
          "booking: runs the train bookings are spread over (order i on run "
          "i % this)");
ABSL_FLAG(int, train_seats, 1000,
          "booking: seats of each train run (10 stops, two classes; cars "
          "of 200)");
ABSL_FLAG(int, cafe_buyers, 230,
          "booking: concurrent buyers of one zone's 4-hour package (seed "
          "000's test: 230)");
ABSL_FLAG(int, cafe_machines, 200, "booking: machines of that zone");
ABSL_FLAG(int, alloc_seeds, 10,
          "booking, booking-alloc: seeds averaged by the allocation "
          "comparison (1, 2, ...)");
ABSL_FLAG(int, alloc_buyers, 1000,
          "booking, booking-alloc: requests per simulated sale");
