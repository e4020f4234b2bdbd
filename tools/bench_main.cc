// turnstile-bench: the load generator of issues 3, 8 and 10. Scenarios:
//   flash-sale      (default) one SKU sold to --buyers distinct buyers,
//                   checked, optionally with --baselines (bench_flash_sale.h)
//   gateway-prep, gateway-direct, settle
//                   the gateway vs direct gRPC comparison (bench_gateway.h)
//   booking         range bookings: remaining-seat queries, train bookings,
//                   sold-out leg refusals, 230 net-cafe buyers, and the
//                   allocation comparison, with their baselines
//                   (bench_booking.h)
//   booking-alloc   the allocation comparison alone (no servers)
// This file parses the flags and picks the scenario; each scenario's code is
// in a file of its own, the flags in bench_flags.cc.
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "services/common/process.h"
#include "tools/bench_booking.h"
#include "tools/bench_flags.h"
#include "tools/bench_flash_sale.h"
#include "tools/bench_gateway.h"
#include "tools/bench_rpc.h"

namespace turnstile::bench {
namespace {

constexpr char kUsage[] =
    "turnstile-bench --scenario=flash-sale [flags]\n"
    "  e.g. turnstile-bench --buyers=100000 --stock=1000 --per_user_limit=1 "
    "--concurrency=256 --flow=pay_now --pg_base='host=127.0.0.1 port=55432 "
    "user=postgres' --pg_password_file=.turnstile/secrets/pg-postgres.pass "
    "--redis=127.0.0.1:56379 --redis_password_file=.turnstile/secrets/"
    "redis.pass --json=out.json --plot=out.png\n"
    "turnstile-bench --scenario=gateway-prep --jwt_hs256_secret_file=F "
    "[--buyers --soldout_requests --paynow_requests --gateway_dir]\n"
    "turnstile-bench --scenario=gateway-direct --requests_file=F "
    "[--warmup_file=W --duration_s --json]\n"
    "turnstile-bench --scenario=settle (pg flags)\n"
    "turnstile-bench --scenario=booking (pg and redis flags) "
    "[--booking=127.0.0.1:50056 --booking_steps=alloc,train,remaining,"
    "soldout,cafe --throughput_s=10 --concurrency --booking_buyers "
    "--train_runs --train_seats --cafe_buyers=230 --cafe_machines=200 "
    "--alloc_seeds=10 --alloc_buyers=1000 --pgbench_seconds "
    "--redis_requests --json]\n"
    "turnstile-bench --scenario=booking-alloc [--alloc_seeds --alloc_buyers]"
    "\n";

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  if (!InitTool(argc, argv, "loadgen")) return 2;
  const std::string scenario = absl::GetFlag(FLAGS_scenario);
  if (scenario == "flash-sale") return RunFlashSale();
  if (scenario == "gateway-prep") return RunGatewayPrep();
  if (scenario == "gateway-direct") return RunGatewayDirect();
  if (scenario == "settle") return RunSettle();
  if (scenario == "booking") return RunBooking();
  if (scenario == "booking-alloc") return RunBookingAlloc();
  Die("unknown --scenario " + scenario);
}

}  // namespace
}  // namespace turnstile::bench

int main(int argc, char** argv) { return turnstile::bench::Main(argc, argv); }
