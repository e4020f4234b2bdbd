// turnstile-bench: the load generator of issues 3 and 8. Scenarios:
//   flash-sale      (default) one SKU sold to --buyers distinct buyers,
//                   checked, optionally with --baselines (bench_flash_sale.h)
//   gateway-prep, gateway-direct, settle
//                   the gateway vs direct gRPC comparison (bench_gateway.h)
// This file parses the flags and picks the scenario; each scenario's code is
// in a file of its own, the flags in bench_flags.cc.
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "services/common/process.h"
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
    "turnstile-bench --scenario=settle (pg flags)\n";

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  if (!InitTool(argc, argv, "loadgen")) return 2;
  const std::string scenario = absl::GetFlag(FLAGS_scenario);
  if (scenario == "flash-sale") return RunFlashSale();
  if (scenario == "gateway-prep") return RunGatewayPrep();
  if (scenario == "gateway-direct") return RunGatewayDirect();
  if (scenario == "settle") return RunSettle();
  Die("unknown --scenario " + scenario);
}

}  // namespace
}  // namespace turnstile::bench

int main(int argc, char** argv) { return turnstile::bench::Main(argc, argv); }
