// turnstile-bench: the load generator of issue 3. Scenario:
//   flash-sale      (default) one SKU sold to --buyers distinct buyers,
//                   checked, optionally with --baselines (bench_flash_sale.h)
// This file parses the flags and picks the scenario; each scenario's code is
// in a file of its own, the flags in bench_flags.cc.
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/usage.h"
#include "services/common/process.h"
#include "tools/bench_flags.h"
#include "tools/bench_flash_sale.h"
#include "tools/bench_rpc.h"

namespace turnstile::bench {
namespace {

constexpr char kUsage[] =
    "turnstile-bench --scenario=flash-sale [flags]\n"
    "  e.g. turnstile-bench --buyers=100000 --stock=1000 --per_user_limit=1 "
    "--concurrency=256 --flow=pay_now --pg_base='host=127.0.0.1 port=55432 "
    "user=postgres' --pg_password_file=.turnstile/secrets/pg-postgres.pass "
    "--redis=127.0.0.1:56379 --redis_password_file=.turnstile/secrets/"
    "redis.pass --json=out.json --plot=out.png\n";

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  if (!InitTool(argc, argv, "loadgen")) return 2;
  const std::string scenario = absl::GetFlag(FLAGS_scenario);
  if (scenario == "flash-sale") return RunFlashSale();
  Die("unknown --scenario " + scenario);
}

}  // namespace
}  // namespace turnstile::bench

int main(int argc, char** argv) { return turnstile::bench::Main(argc, argv); }
