// The gateway benchmark of issue 8: the same orders through turnstile-gateway
// (gRPC-web over HTTP/1.1, sent by wrk with scripts/bench/grpc_web.lua) and
// directly over gRPC to the order service, in one run (scripts/bench.sh,
// scenario f). Three scenarios of turnstile-bench:
//   gateway-prep    creates a sold-out SKU (stock 0: its Redis gate says
//                   remaining 0 from the start, so every refusal is the
//                   steady-state SOLD_OUT path, with no first-instant burst
//                   of buyers racing the last unit) and a stocked 8-bucket
//                   SKU, funds the pay_now buyers, mints one HS256 token per
//                   buyer (the gateway's secret, issuer and audience flags)
//                   and writes the request files (bench_requests.h) of each
//                   phase (warmup, soldout, paynow) for each path (direct,
//                   gateway) to --gateway_dir, with prep.json beside them;
//   gateway-direct  sends one such file's requests to --order with at most
//                   --concurrency in flight for at most --duration_s (after
//                   an optional --warmup_file and settling), and writes the
//                   tally as JSON;
//   settle          waits until every transaction is terminal, then
//                   --settle_quiet_ms more: run before each measured phase,
//                   so that no phase pays for the previous one's tail.
#pragma once

namespace turnstile::bench {

int RunGatewayPrep();
int RunGatewayDirect();
int RunSettle();

}  // namespace turnstile::bench
