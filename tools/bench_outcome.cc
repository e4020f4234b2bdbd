#include "tools/bench_outcome.h"

#include <algorithm>
#include <iostream>
#include <pqxx/pqxx>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "services/common/pg_password.h"
#include "tools/bench_flags.h"
#include "tools/bench_rpc.h"
#include "tools/bench_setup.h"

namespace turnstile::bench {

using std::chrono::milliseconds;
using std::chrono::seconds;
using tools::Databases;
using SteadyClock = std::chrono::steady_clock;

std::string QueryOne(const std::string& conninfo, const std::string& sql,
                     const std::string& param) {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  pqxx::result r = param.empty() ? tx.exec(sql) : tx.exec_params(sql, param);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].c_str();
}

int64_t SettleTransactions(const Databases& dbs, seconds limit) {
  const auto until = SteadyClock::now() + limit;
  int64_t open = -1;
  while (true) {
    try {
      open = std::stoll(
          QueryOne(dbs.at("coordinator"),
                   "SELECT count(*) FROM global_txn WHERE state NOT IN "
                   "('CONFIRMED', 'CANCELLED')"));
    } catch (const std::exception& e) {
      std::cerr << "warning: cannot read the coordinator log: " << e.what()
                << "\n";
      return -1;
    }
    if (open == 0 || SteadyClock::now() >= until) return open;
    std::this_thread::sleep_for(milliseconds(250));
  }
}

Databases DatabasesFromFlags() {
  const auto pg_base = PgConninfoFromFlags(absl::GetFlag(FLAGS_pg_base));
  if (!pg_base.ok()) Die(pg_base.status().ToString());
  return tools::DatabasesFor(*pg_base, absl::GetFlag(FLAGS_db_prefix));
}

void Settle(const Databases& dbs) {
  const int64_t open =
      SettleTransactions(dbs, seconds(absl::GetFlag(FLAGS_settle_s)));
  if (open != 0) {
    std::cout << "warning: " << open
              << " transactions still not terminal after settling\n";
  }
  std::this_thread::sleep_for(
      milliseconds(absl::GetFlag(FLAGS_settle_quiet_ms)));
}

SkuOutcome Outcome(const Databases& dbs, const std::string& sku_id,
                   int64_t stock, RedisClient* redis) {
  SkuOutcome out;
  out.open_txns =
      SettleTransactions(dbs, seconds(absl::GetFlag(FLAGS_settle_s)));
  out.sku = GetSku(sku_id);
  try {
    pqxx::connection conn(dbs.at("order"));
    pqxx::nontransaction tx(conn);
    auto r = tx.exec_params(
        "SELECT count(DISTINCT o.order_id), coalesce(sum(i.quantity), 0) "
        "FROM orders o JOIN order_item i USING (order_id) "
        "WHERE o.state = 'PAID' AND i.kind = 'sku' AND i.sku_id = $1",
        sku_id);
    out.paid_orders = r[0][0].as<int64_t>();
    out.paid_units = r[0][1].as<int64_t>();
  } catch (const std::exception& e) {
    Die(std::string("reading the order database: ") + e.what());
  }
  out.oversold =
      std::max<int64_t>({0, out.sku.sold() - stock, out.paid_units - stock});
  if (redis != nullptr) {
    auto reply = redis->Command(
        {"HGET", absl::StrCat("ts:{sku:", sku_id, "}:stock"), "remaining"});
    if (reply.ok() && (*reply)->type == REDIS_REPLY_STRING) {
      out.gate_remaining = std::stoll((*reply)->str);
    }
  }
  return out;
}

}  // namespace turnstile::bench
