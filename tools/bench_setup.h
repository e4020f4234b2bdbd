// The preparation every scenario of turnstile-bench needs, as an operator
// (bench-operator, admin, through the loadgen identity): creating a SKU on
// sale (stock, per-user limit, hot-SKU buckets), reading it back, and
// funding the buyers' wallets with bounded parallel, idempotent deposits.
#pragma once

#include <cstdint>
#include <string>

#include "tools/bench_stats.h"
#include "turnstile/v1/inventory.pb.h"

namespace turnstile::bench {

// Sets CreateSkuRequest.buckets if this build's proto has it.
bool SetBuckets(v1::CreateSkuRequest& req, int buckets);

// Creates the SKU (--inventory, --price); returns the number of buckets
// asked for that the proto could carry (1 if it has no buckets field).
// Exits on failure.
int CreateSku(const std::string& sku, int64_t stock, int limit, int buckets);

// The SKU as the inventory service reports it; exits on failure.
v1::Sku GetSku(const std::string& sku);

// Deposits --deposit into the wallets of buyers [0, buyers) (--payment),
// --fund_concurrency at a time.
Tally Fund(int64_t buyers);

}  // namespace turnstile::bench
