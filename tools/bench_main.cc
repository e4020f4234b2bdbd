// turnstile-bench: the flash-sale load generator of issue 3. Scenario
// `flash-sale`: creates one SKU (stock, per-user limit, hot-SKU buckets),
// funds the buyers' wallets with bounded parallel deposits, lets --buyers
// distinct buyers each place one order through the real order service with
// at most --concurrency asynchronous calls in flight (gRPC callback API),
// shows a live progress line, then prints and checks the outcome: requests,
// successes, refusals by reason, errors, throughput, latency percentiles of
// successes and of refusals, the SKU's counters against the PAID orders
// (oversold must be 0) and the invariant checker of turnstilectl check.
// --baselines adds, against the same servers in the same run: pay_now
// throughput through the full TCC and through the bench-only
// turnstile-order-bypass (--bypass_order), pgbench tpcb-like and
// redis-benchmark EVALSHA of the reserve script, and prints our figures as
// ratios of theirs. --json writes every number, --plot a latency CDF (PNG).
#include <google/protobuf/descriptor.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <pqxx/pqxx>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "services/common/caller.h"
#include "services/common/clients.h"
#include "services/common/gate_scripts.h"
#include "services/common/lua_scripts.h"
#include "services/common/pg_password.h"
#include "services/common/process.h"
#include "services/common/redis_client.h"
#include "services/common/redis_flags.h"
#include "services/common/status.h"
#include "tools/bench_external.h"
#include "tools/bench_load.h"
#include "tools/bench_stats.h"
#include "tools/invariants.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/order.grpc.pb.h"
#include "turnstile/v1/payment.grpc.pb.h"

ABSL_FLAG(std::string, scenario, "flash-sale", "scenario (flash-sale)");
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

namespace turnstile::bench {
namespace {

using tools::AllOk;
using tools::CheckInvariants;
using tools::CheckResult;
using tools::Databases;
using tools::DatabasesFor;
using tools::FormatResults;

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr char kUsage[] =
    "turnstile-bench --scenario=flash-sale [flags]\n"
    "  e.g. turnstile-bench --buyers=100000 --stock=1000 --per_user_limit=1 "
    "--concurrency=256 --flow=pay_now --pg_base='host=127.0.0.1 port=55432 "
    "user=postgres' --pg_password_file=.turnstile/secrets/pg-postgres.pass "
    "--redis=127.0.0.1:56379 --redis_password_file=.turnstile/secrets/"
    "redis.pass --json=out.json --plot=out.png\n";

milliseconds Timeout() {
  return milliseconds(absl::GetFlag(FLAGS_rpc_timeout_ms));
}

std::string User(int64_t n) {
  return absl::StrCat(absl::GetFlag(FLAGS_user_prefix), n);
}

// One asynchronous unary call: request, response and context live until the
// completion has run.
template <typename Req, typename Resp>
struct Call {
  grpc::ClientContext ctx;
  Req req;
  Resp resp;
};

// The bench's operator: an admin acting through the loadgen identity.
constexpr char kOperator[] = "bench-operator";
constexpr char kAdmin[] = "admin";

// Sends one call acting for `user` (with `roles`).
template <typename Req, typename Resp, typename Start, typename Then>
void Send(Start start, Req req, Then then, const std::string& user,
          const std::string& roles = "") {
  auto call = std::make_shared<Call<Req, Resp>>();
  call->req = std::move(req);
  call->ctx.set_deadline(std::chrono::system_clock::now() + Timeout());
  ActAs(call->ctx, user, roles);
  start(&call->ctx, &call->req, &call->resp,
        [call, then](grpc::Status status) { then(status, call->resp); });
}

// Round-robin stubs over several connections.
template <typename Service>
class StubPool {
 public:
  // Connects every channel first (up to 5 s), so that connection set-up is
  // not counted in the first requests' latency.
  StubPool(const std::string& target, const std::string& peer, int channels) {
    for (auto& ch : MakeChannels(target, peer, channels)) {
      ch->WaitForConnected(std::chrono::system_clock::now() +
                           std::chrono::seconds(5));
      stubs_.push_back(Service::NewStub(ch));
    }
  }
  typename Service::Stub& operator[](int64_t i) {
    return *stubs_[static_cast<size_t>(i) % stubs_.size()];
  }

 private:
  std::vector<std::unique_ptr<typename Service::Stub>> stubs_;
};

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "turnstile-bench: " << what << "\n";
  std::exit(2);
}

std::string Tag() {
  std::mt19937_64 rng(std::random_device{}());
  return absl::StrCat(std::time(nullptr), "-", rng() % 100000);
}

// Sets CreateSkuRequest.buckets if this build's proto has it.
bool SetBuckets(v1::CreateSkuRequest& req, int buckets) {
  using google::protobuf::FieldDescriptor;
  const FieldDescriptor* field =
      req.GetDescriptor()->FindFieldByName("buckets");
  if (field == nullptr || field->cpp_type() != FieldDescriptor::CPPTYPE_INT32) {
    return false;
  }
  req.GetReflection()->SetInt32(&req, field, buckets);
  return true;
}

// Creates the SKU; returns the number of buckets asked for that the proto
// could carry (1 if it has no buckets field).
int CreateSku(const std::string& sku, int64_t stock, int limit, int buckets) {
  auto stub = v1::Inventory::NewStub(
      MakeChannel(absl::GetFlag(FLAGS_inventory), "inventory"));
  v1::CreateSkuRequest req;
  req.set_sku_id(sku);
  req.set_name("turnstile-bench " + sku);
  req.mutable_price()->set_currency("EUR");
  req.mutable_price()->set_minor_units(absl::GetFlag(FLAGS_price));
  req.set_stock(stock);
  req.set_per_user_limit(limit);
  int applied = 1;
  if (buckets > 1) {
    if (SetBuckets(req, buckets)) {
      applied = buckets;
    } else {
      std::cerr << "warning: CreateSkuRequest has no buckets field in this "
                   "build; the SKU gets 1 bucket\n";
    }
  }
  v1::Sku out;
  auto ctx = CallContextFor(seconds(30), kOperator, kAdmin);
  if (auto s = stub->CreateSku(ctx.get(), req, &out); !s.ok()) {
    Die("CreateSku " + sku + ": " + s.error_message());
  }
  return applied;
}

v1::Sku GetSku(const std::string& sku) {
  auto stub = v1::Inventory::NewStub(
      MakeChannel(absl::GetFlag(FLAGS_inventory), "inventory"));
  v1::GetSkuRequest req;
  req.set_sku_id(sku);
  v1::Sku out;
  auto ctx = CallContext(seconds(10));
  if (auto s = stub->GetSku(ctx.get(), req, &out); !s.ok()) {
    Die("GetSku " + sku + ": " + s.error_message());
  }
  return out;
}

// Deposits into `buyers` wallets, --fund_concurrency at a time.
Tally Fund(int64_t buyers) {
  StubPool<v1::Payment> payment(absl::GetFlag(FLAGS_payment), "payment", 2);
  const int64_t amount = absl::GetFlag(FLAGS_deposit);
  LoadOptions options;
  options.label = "funding wallets";
  options.count = buyers;
  options.concurrency = absl::GetFlag(FLAGS_fund_concurrency);
  return RunAsyncLoad(options, [&](int64_t i, OpDone done) {
    v1::DepositRequest req;
    req.set_user_id(User(i));
    req.mutable_amount()->set_currency("EUR");
    req.mutable_amount()->set_minor_units(amount);
    req.set_request_id(absl::StrCat("bench-fund-", User(i), "-", amount));
    auto& stub = payment[i];
    Send<v1::DepositRequest, v1::Wallet>(
        [&stub](auto... a) { stub.async()->Deposit(a...); }, std::move(req),
        [done](const grpc::Status& s, const v1::Wallet&) { done(s); },
        kOperator, kAdmin);
  });
}

grpc::Status NotPaid(const v1::OrderInfo& order) {
  return grpc::Status(
      grpc::StatusCode::UNKNOWN,
      "order answered OK in state " + v1::OrderState_Name(order.state()));
}

// One buyer's order: pay_now, or reserve then PayOrder (cancelled if the
// payment is refused, so that nothing waits for its payment window).
void PlaceOne(v1::Order::Stub& stub, const std::string& user,
              const std::string& request_id, const std::string& sku,
              bool pay_now, OpDone done) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  req.set_pay_now(pay_now);
  auto* line = req.add_lines();
  line->set_sku_id(sku);
  line->set_quantity(1);
  Send<v1::PlaceOrderRequest, v1::PlaceOrderResponse>(
      [&stub](auto... a) { stub.async()->PlaceOrder(a...); }, std::move(req),
      [&stub, user, pay_now, done](const grpc::Status& s,
                                   const v1::PlaceOrderResponse& resp) {
        if (!s.ok()) return done(s);
        if (pay_now) {
          return done(resp.order().state() == v1::ORDER_STATE_PAID
                          ? grpc::Status::OK
                          : NotPaid(resp.order()));
        }
        v1::PayOrderRequest pay;
        pay.set_order_id(resp.order().order_id());
        Send<v1::PayOrderRequest, v1::OrderInfo>(
            [&stub](auto... a) { stub.async()->PayOrder(a...); }, pay,
            [&stub, pay, user, done](const grpc::Status& s2,
                                     const v1::OrderInfo& order) {
              if (s2.ok()) {
                return done(order.state() == v1::ORDER_STATE_PAID
                                ? grpc::Status::OK
                                : NotPaid(order));
              }
              v1::CancelOrderRequest cancel;
              cancel.set_order_id(pay.order_id());
              Send<v1::CancelOrderRequest, v1::OrderInfo>(
                  [&stub](auto... a) { stub.async()->CancelOrder(a...); },
                  cancel, [](const grpc::Status&, const v1::OrderInfo&) {},
                  user);
              done(s2);
            },
            user);
      },
      user);
}

// --- checks -------------------------------------------------------------

std::string QueryOne(const std::string& conninfo, const std::string& sql,
                     const std::string& param = "") {
  pqxx::connection conn(conninfo);
  pqxx::nontransaction tx(conn);
  pqxx::result r = param.empty() ? tx.exec(sql) : tx.exec_params(sql, param);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].c_str();
}

// Non-terminal transactions, polled until 0 or `limit` passes.
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

struct SkuOutcome {
  v1::Sku sku;
  int64_t paid_orders = 0;
  int64_t paid_units = 0;
  int64_t oversold = 0;
  int64_t open_txns = -1;
  std::optional<int64_t> gate_remaining;  // nullopt: no gate / no Redis
};

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

// --- baselines ----------------------------------------------------------

// pay_now orders for `seconds_cap` on an uncontended SKU through `order`.
Tally PayNowThroughput(const std::string& order, const std::string& label,
                       int buckets) {
  const std::string sku = absl::StrCat("bench-tp-", Tag());
  CreateSku(sku, 100'000'000, 0, buckets);
  StubPool<v1::Order> stubs(order, "order", absl::GetFlag(FLAGS_channels));
  const int64_t buyers = std::max<int64_t>(1, absl::GetFlag(FLAGS_buyers));
  LoadOptions options;
  options.label = label;
  options.count = int64_t{1} << 40;
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.duration_cap = seconds(absl::GetFlag(FLAGS_throughput_s));
  return RunAsyncLoad(options, [&](int64_t i, OpDone done) {
    PlaceOne(stubs[i], User(i % buyers), absl::StrCat(sku, "-", i), sku, true,
             std::move(done));
  });
}

struct RedisBaseline {
  double rps_reserve = 0;   // huge stock (after the first: DUPLICATE path)
  double rps_sold_out = 0;  // remaining 0: the SOLD_OUT path
  std::string command;
};

absl::StatusOr<RedisBaseline> RedisBenchmarkReserve(RedisClient& redis) {
  const LuaScript* script = FindLuaScript("stock_reserve");
  if (script == nullptr) return absl::InternalError("no stock_reserve script");
  if (auto s = redis.LoadScripts(EmbeddedLuaScripts()); !s.ok()) return s;
  StockGate gate(&redis);
  RedisBaseline out;
  for (const bool sold_out : {false, true}) {
    const std::string sku =
        absl::StrCat("bench-rb-", sold_out ? "soldout-" : "", Tag());
    StockInitSpec spec;
    spec.mode = GateInitMode::kForce;
    spec.remaining = sold_out ? 0 : 1'000'000'000;
    auto init = gate.Init(sku, spec);
    if (!init.ok()) return init.status();
    const std::string key = absl::StrCat("ts:{sku:", sku, "}:");
    const std::string owner = "benchgid:inventory";
    auto run = RunRedisBenchmark(
        redis.options().host, redis.options().port, redis.options().password,
        absl::GetFlag(FLAGS_redis_requests), absl::GetFlag(FLAGS_concurrency),
        {"EVALSHA", std::string(script->sha1), "4", key + "stock",
         key + "users", key + "res", key + "done:" + owner, owner,
         "bench-rb-user", "1"});
    for (const char* k : {"stock", "users", "res"}) {
      (void)redis.Command({"DEL", key + k});
    }
    (void)redis.Command({"DEL", key + "done:" + owner});
    if (!run.ok()) return run.status();
    (sold_out ? out.rps_sold_out : out.rps_reserve) = run->rps;
    if (!sold_out) out.command = run->command;
  }
  return out;
}

// --- report -------------------------------------------------------------

void PrintTally(const std::string& title, Tally& t) {
  std::cout << absl::StrFormat(
      "%s\n  requests   %lld in %.2f s (%.0f/s)\n"
      "  successes  %lld (%.0f/s)\n  refusals   %lld (%.0f/s; %.0f/s from "
      "the first to the last)",
      title, static_cast<long long>(t.requests()), t.seconds,
      t.Rate(t.requests()), static_cast<long long>(t.ok), t.Rate(t.ok),
      static_cast<long long>(t.refused_total()), t.Rate(t.refused_total()),
      t.RefusalRate());
  std::vector<std::string> reasons;
  for (const auto& [k, v] : t.refused)
    reasons.push_back(absl::StrCat(k, "=", v));
  if (!reasons.empty()) std::cout << ": " << absl::StrJoin(reasons, " ");
  std::cout << absl::StrFormat("\n  errors     %lld\n",
                               static_cast<long long>(t.errors_total()));
  for (const auto& [k, v] : t.errors) {
    std::cout << "    " << k << ": " << v << " (e.g. \"" << t.error_samples[k]
              << "\")\n";
  }
  std::cout << "  latency of successes: " << FormatSummary(Summarize(t.ok_ms))
            << "\n  latency of refusals:  "
            << FormatSummary(Summarize(t.refused_ms)) << "\n";
}

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

// The 1-minute load average (this machine is shared: context for numbers).
double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double one = -1;
  in >> one;
  return one;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  if (!InitTool(argc, argv, "loadgen")) return 2;
  if (absl::GetFlag(FLAGS_scenario) != "flash-sale") {
    Die("unknown --scenario " + absl::GetFlag(FLAGS_scenario));
  }
  const std::string flow = absl::GetFlag(FLAGS_flow);
  if (flow != "pay_now" && flow != "reserve_then_pay") {
    Die("--flow must be pay_now or reserve_then_pay");
  }
  const bool pay_now = flow == "pay_now";
  const int64_t buyers = absl::GetFlag(FLAGS_buyers);
  const int64_t stock = absl::GetFlag(FLAGS_stock);
  const int limit = absl::GetFlag(FLAGS_per_user_limit);
  const int concurrency = absl::GetFlag(FLAGS_concurrency);
  const std::string label = absl::GetFlag(FLAGS_label).empty()
                                ? "flash-sale"
                                : absl::GetFlag(FLAGS_label);
  // pgbench gets the password itself; this process's connections get it in
  // their conninfo.
  const auto pg_password = PgPasswordFromFlags();
  if (!pg_password.ok()) Die(pg_password.status().ToString());
  const auto pg_base = PgConninfoFromFlags(absl::GetFlag(FLAGS_pg_base));
  if (!pg_base.ok()) Die(pg_base.status().ToString());
  const auto dbs = DatabasesFor(*pg_base, absl::GetFlag(FLAGS_db_prefix));
  std::unique_ptr<RedisClient> redis;
  if (auto options = RedisOptionsFromFlags(); options.ok()) {
    redis = std::make_unique<RedisClient>(*options);
  } else {
    std::cerr << "warning: no Redis checks: " << options.status() << "\n";
  }

  // 1. Setup.
  const std::string sku = absl::GetFlag(FLAGS_sku).empty()
                              ? absl::StrCat("bench-fs-", Tag())
                              : absl::GetFlag(FLAGS_sku);
  const int buckets =
      CreateSku(sku, stock, limit, absl::GetFlag(FLAGS_buckets));
  std::cout << absl::StrFormat(
      "== %s: strategy=%s flow=%s buyers=%d stock=%d per_user_limit=%d "
      "buckets=%d concurrency=%d rate=%s sku=%s ==\n",
      label, absl::GetFlag(FLAGS_strategy), flow, buyers, stock, limit, buckets,
      concurrency,
      absl::GetFlag(FLAGS_rate) > 0
          ? absl::StrCat(absl::GetFlag(FLAGS_rate), "/s")
          : std::string("max"),
      sku);
  Tally funding;
  if (absl::GetFlag(FLAGS_fund)) {
    const int64_t wallets = std::max(buyers, absl::GetFlag(FLAGS_fund_buyers));
    funding = Fund(wallets);
    if (funding.ok != wallets) {
      PrintTally("deposits", funding);
      Die("funding the wallets failed");
    }
    std::cout << absl::StrFormat("funded %d wallets in %.1f s (%.0f/s)\n",
                                 wallets, funding.seconds,
                                 funding.Rate(funding.ok));
  }

  const double load_before = LoadAverage();
  // 2. The sale.
  StubPool<v1::Order> orders(absl::GetFlag(FLAGS_order), "order",
                             absl::GetFlag(FLAGS_channels));
  LoadOptions options;
  options.label = label;
  options.count = buyers;
  options.concurrency = concurrency;
  options.duration_cap = seconds(absl::GetFlag(FLAGS_duration_s));
  options.rate = absl::GetFlag(FLAGS_rate);
  Tally sale = RunAsyncLoad(options, [&](int64_t i, OpDone done) {
    PlaceOne(orders[i], User(i), "fs-" + sku, sku, pay_now, std::move(done));
  });
  const bool capped = sale.requests() < buyers;
  const double load_after = LoadAverage();
  PrintTally("-- load --", sale);
  std::cout << absl::StrFormat(
      "  machine load average (1 min) before/after: %.2f / %.2f on %d "
      "hardware threads\n",
      load_before, load_after, std::thread::hardware_concurrency());
  if (capped) {
    std::cout << "  (duration cap reached: " << sale.requests() << " of "
              << buyers << " buyers were issued)\n";
  }

  // 3. Outcome and invariants.
  SkuOutcome outcome = Outcome(dbs, sku, stock, redis.get());
  // Every buyer asks for one unit once: with no errors, exactly
  // min(stock, orders issued) units end up PAID.
  const int64_t expected = std::min(stock, sale.requests());
  const bool expect_exact = pay_now && sale.errors_total() == 0;
  const bool exact = outcome.paid_units == expected;
  std::cout << absl::StrFormat(
      "-- outcome --\n  SKU %s: total=%d available=%d locked=%d sold=%d; "
      "PAID orders=%d (units %d); oversold=%d\n",
      sku, outcome.sku.total(), outcome.sku.available(), outcome.sku.locked(),
      outcome.sku.sold(), outcome.paid_orders, outcome.paid_units,
      outcome.oversold);
  if (outcome.gate_remaining) {
    std::cout << absl::StrFormat(
        "  gate: remaining=%d (PostgreSQL available=%d)\n",
        *outcome.gate_remaining, outcome.sku.available());
  } else {
    std::cout << "  gate: none for this SKU (or Redis unreachable)\n";
  }
  std::cout << "  transactions not terminal after settling: "
            << outcome.open_txns << "\n";
  std::vector<CheckResult> checks;
  if (absl::GetFlag(FLAGS_check)) {
    auto results = CheckInvariants(dbs, {.horizon_seconds = 60});
    if (!results.ok()) Die("invariant check: " + results.status().ToString());
    checks = *results;
  }
  checks.push_back({"bench: oversold = 0 (sold <= stock, PAID units <= stock)",
                    outcome.oversold == 0,
                    absl::StrCat("sold=", outcome.sku.sold(), " paid_units=",
                                 outcome.paid_units, " stock=", stock)});
  checks.push_back({"bench: every transaction terminal", outcome.open_txns == 0,
                    absl::StrCat(outcome.open_txns, " open")});
  if (expect_exact) {
    checks.push_back({absl::StrCat("bench: exactly ", expected, " units PAID"),
                      exact, absl::StrCat(outcome.paid_units, " PAID units")});
  }
  std::cout << "-- invariants (as turnstilectl check) --\n"
            << FormatResults(checks);
  const bool all_ok = AllOk(checks);
  std::cout << (all_ok ? "RESULT: PASS\n" : "RESULT: FAIL\n");

  // 4. Baselines.
  Tally full, bypass;
  std::optional<PgbenchResult> pgbench;
  std::optional<RedisBaseline> redis_bench;
  if (absl::GetFlag(FLAGS_baselines)) {
    std::cout << "== baselines (same servers, same run) ==\n";
    full = PayNowThroughput(absl::GetFlag(FLAGS_order), "pay_now full TCC",
                            absl::GetFlag(FLAGS_throughput_buckets));
    PrintTally("-- pay_now, full TCC (coordinator) --", full);
    if (!absl::GetFlag(FLAGS_bypass_order).empty()) {
      bypass =
          PayNowThroughput(absl::GetFlag(FLAGS_bypass_order), "pay_now bypass",
                           absl::GetFlag(FLAGS_throughput_buckets));
      PrintTally("-- pay_now, coordinator BYPASSED (unsafe) --", bypass);
    } else {
      std::cout << "(no --bypass_order: the bypass ratio is skipped)\n";
    }
    const std::string pgbench_db =
        absl::GetFlag(FLAGS_pgbench_db).empty()
            ? absl::GetFlag(FLAGS_db_prefix) + "_pgbench"
            : absl::GetFlag(FLAGS_pgbench_db);
    auto pg =
        RunPgbench({absl::GetFlag(FLAGS_pg_base), *pg_password, pgbench_db,
                    concurrency, absl::GetFlag(FLAGS_pgbench_seconds),
                    absl::GetFlag(FLAGS_pgbench_scale)});
    if (pg.ok()) {
      pgbench = *pg;
      std::cout << absl::StrFormat(
          "-- pgbench tpcb-like: %d clients, %d s: %.0f TPS\n", pg->clients,
          pg->seconds, pg->tps);
    } else {
      std::cout << "warning: pgbench skipped: " << pg.status() << "\n";
    }
    if (redis) {
      auto rb = RedisBenchmarkReserve(*redis);
      if (rb.ok()) {
        redis_bench = *rb;
        std::cout << absl::StrFormat(
            "-- redis-benchmark EVALSHA stock_reserve, %d clients: %.0f/s "
            "(huge stock), %.0f/s (sold-out SKU)\n",
            concurrency, rb->rps_reserve, rb->rps_sold_out);
      } else {
        std::cout << "warning: redis-benchmark skipped: " << rb.status()
                  << "\n";
      }
    }
    std::cout << "== ratios (ours / theirs, same run) ==\n";
    if (redis_bench) {
      std::cout << absl::StrFormat(
          "  refusals/s / EVALSHA/s            = %.0f / %.0f = %.3f  "
          "(target >= 0.25)\n",
          sale.RefusalRate(), redis_bench->rps_reserve,
          Ratio(sale.RefusalRate(), redis_bench->rps_reserve));
    }
    if (pgbench) {
      std::cout << absl::StrFormat(
          "  pay_now successes/s / pgbench TPS = %.0f / %.0f = %.3f  "
          "(target >= 0.3; DTM 0.26 with two branches)\n",
          full.Rate(full.ok), pgbench->tps,
          Ratio(full.Rate(full.ok), pgbench->tps));
    }
    if (bypass.requests() > 0) {
      std::cout << absl::StrFormat(
          "  full TCC / coordinator bypass     = %.0f / %.0f = %.3f  "
          "(target >= 0.5; DTM 0.43, Seata 0.05-0.3)\n",
          full.Rate(full.ok), bypass.Rate(bypass.ok),
          Ratio(full.Rate(full.ok), bypass.Rate(bypass.ok)));
    }
    std::vector<double> refused_sorted = sale.refused_ms;
    const LatencySummary rs = Summarize(refused_sorted);
    std::cout << absl::StrFormat(
        "  refusal p99 = %.2f ms at concurrency %d (target < 5 ms at 256)\n",
        rs.p99, concurrency);
    // The bypass orders must have left nothing behind either.
    const int64_t open = SettleTransactions(dbs, seconds(30));
    if (absl::GetFlag(FLAGS_check)) {
      auto after = CheckInvariants(dbs, {.horizon_seconds = 60});
      if (after.ok()) {
        std::cout << "-- invariants after the baselines --\n"
                  << FormatResults(*after);
        if (!AllOk(*after) || open != 0) {
          std::cout << "RESULT after baselines: FAIL\n";
        }
      }
    }
  }

  // 5. JSON and plot.
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    JsonWriter json;
    json.BeginObject();
    json.Field("scenario", "flash-sale").Field("label", label);
    json.Key("config").BeginObject();
    json.Field("strategy", absl::GetFlag(FLAGS_strategy))
        .Field("flow", flow)
        .Field("buyers", buyers)
        .Field("stock", stock)
        .Field("per_user_limit", limit)
        .Field("buckets_requested", absl::GetFlag(FLAGS_buckets))
        .Field("buckets_applied", buckets)
        .Field("throughput_buckets", absl::GetFlag(FLAGS_throughput_buckets))
        .Field("concurrency", concurrency)
        .Field("rate", absl::GetFlag(FLAGS_rate))
        .Field("duration_cap_s", absl::GetFlag(FLAGS_duration_s))
        .Field("sku", sku)
        .Field("order", absl::GetFlag(FLAGS_order))
        .Field("hardware_threads",
               static_cast<int64_t>(std::thread::hardware_concurrency()))
        .Field("load_average_before", load_before)
        .Field("load_average_after", load_after);
    json.EndObject();
    if (absl::GetFlag(FLAGS_fund)) WriteTally(json, "funding", funding);
    WriteTally(json, "load", sale);
    json.Field("capped", capped);
    json.Key("outcome").BeginObject();
    json.Field("total", outcome.sku.total())
        .Field("available", outcome.sku.available())
        .Field("locked", outcome.sku.locked())
        .Field("sold", outcome.sku.sold())
        .Field("paid_orders", outcome.paid_orders)
        .Field("paid_units", outcome.paid_units)
        .Field("oversold", outcome.oversold)
        .Field("open_transactions", outcome.open_txns);
    json.Key("gate_remaining");
    if (outcome.gate_remaining) {
      json.Int(*outcome.gate_remaining);
    } else {
      json.Null();
    }
    json.EndObject();
    json.Key("invariants").BeginObject();
    json.Field("all_ok", all_ok);
    json.Key("checks").BeginArray();
    for (const auto& c : checks) {
      json.BeginObject()
          .Field("name", c.name)
          .Field("ok", c.ok)
          .Field("detail", c.detail)
          .EndObject();
    }
    json.EndArray().EndObject();
    if (absl::GetFlag(FLAGS_baselines)) {
      json.Key("baselines").BeginObject();
      WriteTally(json, "pay_now_full_tcc", full);
      if (bypass.requests() > 0) WriteTally(json, "pay_now_bypass", bypass);
      if (pgbench) {
        json.Key("pgbench").BeginObject();
        json.Field("tps", pgbench->tps)
            .Field("clients", pgbench->clients)
            .Field("seconds", pgbench->seconds)
            .Field("command", pgbench->command);
        json.EndObject();
      }
      if (redis_bench) {
        json.Key("redis_benchmark").BeginObject();
        json.Field("evalsha_reserve_per_s", redis_bench->rps_reserve)
            .Field("evalsha_sold_out_per_s", redis_bench->rps_sold_out)
            .Field("command", redis_bench->command);
        json.EndObject();
      }
      json.EndObject();
      json.Key("ratios").BeginObject();
      if (redis_bench) {
        json.Field("refusals_per_s_over_evalsha_per_s",
                   Ratio(sale.RefusalRate(), redis_bench->rps_reserve));
      }
      if (pgbench) {
        json.Field("pay_now_per_s_over_pgbench_tps",
                   Ratio(full.Rate(full.ok), pgbench->tps));
      }
      if (bypass.requests() > 0) {
        json.Field("full_tcc_over_bypass",
                   Ratio(full.Rate(full.ok), bypass.Rate(bypass.ok)));
      }
      json.EndObject();
    }
    json.EndObject();
    std::ofstream out(path);
    out << json.str() << "\n";
    if (!out) Die("cannot write " + path);
    std::cout << "wrote " << path << "\n";
  }
  if (const std::string png = absl::GetFlag(FLAGS_plot); !png.empty()) {
    std::vector<double> ok = sale.ok_ms, refused = sale.refused_ms;
    std::sort(ok.begin(), ok.end());
    std::sort(refused.begin(), refused.end());
    const std::string title = absl::StrFormat(
        "%s: %d buyers, %d units, %s, strategy %s, buckets %d, concurrency %d",
        label, buyers, stock, flow, absl::GetFlag(FLAGS_strategy), buckets,
        concurrency);
    auto plotted = PlotLatencyCdf(png, title,
                                  {{"successes", &ok}, {"refusals", &refused}});
    if (plotted.ok()) {
      std::cout << "wrote " << png << "\n";
    } else {
      std::cerr << "warning: no plot: " << plotted << "\n";
    }
  }
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace turnstile::bench

int main(int argc, char** argv) { return turnstile::bench::Main(argc, argv); }
