// turnstile-order-bypass: BENCHMARK ONLY, UNSAFE. turnstile-order with every
// pay_now order placed by the coordinator-bypass flow (bypass_flow.h: direct
// Try + Confirm, no log, no recovery, no deadline), so that
// scripts/bench.sh can measure what the coordinator's durability costs
// (full TCC throughput as a ratio of this). A crash of this process leaves
// stock locked and money frozen forever. Same flags as turnstile-order; it
// exists as a binary of its own so that nothing can switch the production
// binary into this mode.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "services/order/bypass_flow.h"
#include "services/order/order_server.h"

namespace {

constexpr char kWarning[] =
    "pay_now orders skip the coordinator: no log, no recovery, no deadline. "
    "A crash leaves stock locked and money frozen forever. For benchmarks "
    "only.";

}  // namespace

int main(int argc, char** argv) {
  // Before anything else, in case the process dies during start-up.
  std::fprintf(stderr, "turnstile-order-bypass: UNSAFE, BENCHMARK ONLY: %s\n",
               kWarning);
  return turnstile::order::RunOrderServer(
      argc, argv, "order-bypass",
      [](const turnstile::order::OrderParts& parts)
          -> std::unique_ptr<turnstile::order::PayNowPlacer> {
        for (int i = 0; i < 3; ++i) {
          spdlog::warn("event=UNSAFE_COORDINATOR_BYPASS note=\"{}\"", kWarning);
        }
        return std::make_unique<turnstile::order::BypassFlow>(
            parts.peers, parts.peers, parts.store, parts.options,
            parts.precheck);
      },
      // It decides its own transactions, so it needs the coordinator's
      // certificate for the second phases it sends (tls_dir/coordinator.pem).
      "coordinator");
}
