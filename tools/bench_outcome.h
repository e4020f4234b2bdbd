// What a sale left behind, read after the load: transactions polled until
// every one is terminal (or a limit passes), the SKU's counters from the
// inventory service, the PAID orders and units of the SKU in the order
// database, the units oversold (must be 0) and the Redis gate's remaining
// count.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "services/common/redis_client.h"
#include "tools/invariants.h"
#include "turnstile/v1/inventory.pb.h"

namespace turnstile::bench {

// The first column of the first row of `sql` (with one optional parameter),
// "" if none or NULL.
std::string QueryOne(const std::string& conninfo, const std::string& sql,
                     const std::string& param = "");

// Non-terminal transactions, polled until 0 or `limit` passes (-1 if the
// coordinator log cannot be read).
int64_t SettleTransactions(const tools::Databases& dbs,
                           std::chrono::seconds limit);

// The databases of the mesh from --pg_base (with --pg_password_file's
// password) and --db_prefix; exits on a bad flag.
tools::Databases DatabasesFromFlags();

// Every transaction terminal (at most --settle_s; a warning if not), then a
// pause of --settle_quiet_ms: the phase that follows measures itself, not
// the tail of the one before.
void Settle(const tools::Databases& dbs);

struct SkuOutcome {
  v1::Sku sku;
  int64_t paid_orders = 0;
  int64_t paid_units = 0;
  int64_t oversold = 0;
  int64_t open_txns = -1;
  std::optional<int64_t> gate_remaining;  // nullopt: no gate / no Redis
};

// Settles (up to --settle_s), then reads the outcome of `sku_id` sold with
// `stock` units; `redis` may be null (no gate reading).
SkuOutcome Outcome(const tools::Databases& dbs, const std::string& sku_id,
                   int64_t stock, RedisClient* redis);

}  // namespace turnstile::bench
