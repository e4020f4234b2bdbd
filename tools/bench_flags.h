// Every command-line flag of turnstile-bench, defined once (bench_flags.cc)
// and declared here for the files of its scenarios: the flash sale and its
// baselines (issue 3), the gateway comparison (issue 8) and the range
// bookings (issue 10).
#pragma once

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, scenario);
ABSL_DECLARE_FLAG(std::string, label);
ABSL_DECLARE_FLAG(std::string, order);
ABSL_DECLARE_FLAG(std::string, bypass_order);
ABSL_DECLARE_FLAG(std::string, inventory);
ABSL_DECLARE_FLAG(std::string, payment);
ABSL_DECLARE_FLAG(std::string, pg_base);
ABSL_DECLARE_FLAG(std::string, db_prefix);
ABSL_DECLARE_FLAG(int64_t, buyers);
ABSL_DECLARE_FLAG(int64_t, stock);
ABSL_DECLARE_FLAG(int, concurrency);
ABSL_DECLARE_FLAG(int, per_user_limit);
ABSL_DECLARE_FLAG(std::string, flow);
ABSL_DECLARE_FLAG(int, buckets);
ABSL_DECLARE_FLAG(double, rate);
ABSL_DECLARE_FLAG(int, duration_s);
ABSL_DECLARE_FLAG(std::string, strategy);
ABSL_DECLARE_FLAG(int64_t, price);
ABSL_DECLARE_FLAG(bool, fund);
ABSL_DECLARE_FLAG(int64_t, deposit);
ABSL_DECLARE_FLAG(int64_t, fund_buyers);
ABSL_DECLARE_FLAG(int, fund_concurrency);
ABSL_DECLARE_FLAG(std::string, user_prefix);
ABSL_DECLARE_FLAG(std::string, sku);
ABSL_DECLARE_FLAG(int, channels);
ABSL_DECLARE_FLAG(int, rpc_timeout_ms);
ABSL_DECLARE_FLAG(std::string, json);
ABSL_DECLARE_FLAG(std::string, plot);
ABSL_DECLARE_FLAG(bool, baselines);
ABSL_DECLARE_FLAG(int, throughput_s);
ABSL_DECLARE_FLAG(int, throughput_buckets);
ABSL_DECLARE_FLAG(int, pgbench_seconds);
ABSL_DECLARE_FLAG(int, pgbench_scale);
ABSL_DECLARE_FLAG(std::string, pgbench_db);
ABSL_DECLARE_FLAG(int, redis_requests);
ABSL_DECLARE_FLAG(int, settle_s);
ABSL_DECLARE_FLAG(bool, check);
ABSL_DECLARE_FLAG(std::string, gateway_dir);
ABSL_DECLARE_FLAG(int64_t, soldout_requests);
ABSL_DECLARE_FLAG(int64_t, paynow_requests);
ABSL_DECLARE_FLAG(int64_t, warmup_requests);
ABSL_DECLARE_FLAG(int64_t, token_ttl_s);
ABSL_DECLARE_FLAG(std::string, requests_file);
ABSL_DECLARE_FLAG(std::string, warmup_file);
ABSL_DECLARE_FLAG(int, settle_quiet_ms);
// The range-booking scenarios (tools/bench_booking.h).
ABSL_DECLARE_FLAG(std::string, booking);
ABSL_DECLARE_FLAG(std::string, booking_steps);
ABSL_DECLARE_FLAG(int64_t, booking_buyers);
ABSL_DECLARE_FLAG(int, train_runs);
ABSL_DECLARE_FLAG(int, train_seats);
ABSL_DECLARE_FLAG(int, cafe_buyers);
ABSL_DECLARE_FLAG(int, cafe_machines);
ABSL_DECLARE_FLAG(int, alloc_seeds);
ABSL_DECLARE_FLAG(int, alloc_buyers);
