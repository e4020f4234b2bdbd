// Integration tests of the Redis gate in front of the inventory's PostgreSQL
// (issue 3 items 2 and 4): the real turnstile-inventory binary on a private
// PostgreSQL (with pg_stat_statements, to count the SQL statements a request
// runs) and a private redis-server, called over gRPC/TCP. Every test checks
// the rows and the Redis keys themselves: refusals that never reach
// PostgreSQL, PostgreSQL refusals that give the gate units back, Confirm and
// Cancel on both sides, Redis down, and the reconciler after FLUSHALL, after
// a Redis restart, with drift, and while Tries run.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/uuid.h"
#include "tests/support/inventory_harness.h"
#include "tests/support/mesh.h"
#include "tests/support/mesh_test.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/try_deadline.h"
#include "turnstile/v1/inventory.grpc.pb.h"

namespace turnstile {
namespace {

using testing::FreePort;
using testing::Outcome;
using testing::PgCluster;
using testing::RunCommand;
using testing::RunConcurrently;
using testing::SharedPg;
using testing::SharedRedis;
namespace v1 = turnstile::v1;

// pg_ctl of the newest installed PostgreSQL (the one PgCluster runs).
std::string PgCtl() {
  std::string best;
  for (const auto& entry :
       std::filesystem::directory_iterator("/usr/lib/postgresql")) {
    const auto ctl = entry.path() / "bin" / "pg_ctl";
    if (std::filesystem::exists(ctl) && ctl.string() > best) {
      best = ctl.string();
    }
  }
  return best;
}

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    PgCluster& pg = SharedPg();
    // pg_stat_statements counts every statement each database runs, at the
    // end of the statement: the proof that a refused Try ran no SQL.
    pg.Query("postgres",
             "ALTER SYSTEM SET shared_preload_libraries = "
             "'pg_stat_statements'");
    ASSERT_EQ(RunCommand(PgCtl() + " restart -w -t 60 -m fast -D " + pg.dir() +
                             "/data -l " + pg.dir() + "/server.log >/dev/null",
                         true),
              0);
    pg.Query("postgres", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    SharedRedis();
  }
};

[[maybe_unused]] auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new Environment);

constexpr auto OK = grpc::StatusCode::OK;

v1::CreateSkuRequest SkuRequest(const std::string& id, int64_t stock,
                                int32_t limit = 0, int32_t buckets = 0) {
  v1::CreateSkuRequest r;
  r.set_sku_id(id);
  r.set_name("Item " + id);
  r.mutable_price()->set_currency("EUR");
  r.mutable_price()->set_minor_units(500);
  r.set_stock(stock);
  r.set_per_user_limit(limit);
  r.set_buckets(buckets);
  return r;
}

v1::ReserveStockRequest ReserveRequest(
    const std::string& gid, const std::string& user,
    const std::vector<std::pair<std::string, int64_t>>& items) {
  v1::ReserveStockRequest r;
  r.mutable_txn()->set_gid(gid);
  r.mutable_txn()->set_branch_id("inventory");
  r.set_user_id(user);
  testing::SetTryDeadline(r.mutable_deadline());
  for (const auto& [sku, quantity] : items) {
    auto* item = r.add_items();
    item->set_sku_id(sku);
    item->set_quantity(quantity);
  }
  return r;
}

std::string Owner(const std::string& gid) { return gid + ":inventory"; }

// "res={...}" of RedisGate/PgGate for these reservations (owner -> "qty
// user"), in byte order of the owner as both print them.
std::string ResList(const std::map<std::string, std::string>& res) {
  std::vector<std::string> parts;
  for (const auto& [owner, what] : res) parts.push_back(owner + "=" + what);
  return "res={" + absl::StrJoin(parts, ",") + "}";
}
std::string Key(const std::string& sku, const std::string& suffix) {
  return "ts:{sku:" + sku + "}:" + suffix;
}

// Overload and transient answers are retried as a caller would (the
// barrier makes every phase idempotent).
template <typename F>
Outcome WithRetry(F call) {
  return testing::RetryTransient(call, 50, 10, [](const Outcome&) {});
}

class InventoryGateTest : public testing::InventoryHarness {
 protected:
  InventoryGateTest() : InventoryHarness("inventory_gate", 60) {}

  void SetUp() override {
    InventoryHarness::SetUp();
    Start();
  }

  // Starts the binary; no periodic reconciliation unless a test asks, so
  // that nothing but the test's own calls runs SQL.
  void Start(const std::vector<std::string>& extra = {}) {
    metrics_ = "127.0.0.1:" + std::to_string(FreePort());
    std::vector<std::string> args = {"--metrics_listen=" + metrics_,
                                     RedisFlag(), "--pg_pool_size=16",
                                     "--reconcile_interval_s=0"};
    args.insert(args.end(), extra.begin(), extra.end());
    Launch(args);
  }

  // Everything a request could change in PostgreSQL.
  std::string Snapshot() const {
    return Query(
        "SELECT concat_ws(' | ', "
        "(SELECT count(*) FROM tcc_barrier), "
        "(SELECT string_agg(sku_id || ':' || per_user_limit, ',' ORDER BY "
        "sku_id) FROM sku), "
        "(SELECT string_agg(sku_id || '#' || bucket || ':' || available || "
        "':' || locked || ':' || sold || ':' || version, ',' ORDER BY sku_id, "
        "bucket) FROM stock), "
        "(SELECT string_agg(gid || ':' || sku_id || ':' || state || ':' || "
        "quantity, ',' ORDER BY gid, sku_id) FROM reservation), "
        "(SELECT string_agg(user_id || ':' || sku_id || ':' || quantity, ',' "
        "ORDER BY user_id, sku_id) FROM user_purchase))");
  }
  // SQL statements the inventory database has run so far (read from
  // another database, so that reading does not count).
  int64_t Statements() const {
    return std::stoll(SharedPg().Query(
        "postgres",
        "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN "
        "pg_database d ON d.oid = s.dbid WHERE d.datname = '" +
            db_ + "'"));
  }
  // The value of one metric series, e.g.
  // turnstile_gate_refusals_total{reason="SOLD_OUT"}; 0 if absent.
  double Metric(const std::string& series) const {
    FILE* pipe = popen(
        ("curl -s --max-time 5 http://" + metrics_ + "/metrics").c_str(), "r");
    if (pipe == nullptr) return -1;
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) text.append(buf, n);
    pclose(pipe);
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      if (absl::StartsWith(line, series + " ")) {
        return std::stod(std::string(line.substr(series.size() + 1)));
      }
    }
    return 0;
  }
  std::string Done(const std::string& sku, const std::string& gid) const {
    return SharedRedis().Run({"GET", Key(sku, "done:" + Owner(gid))});
  }

  std::string metrics_;
};

TEST_F(InventoryGateTest, CreateSkuInitialisesTheGate) {
  v1::Sku sku;
  ASSERT_EQ(CreateSku(SkuRequest("tee", 10, 2), &sku).code, OK);
  EXPECT_EQ(sku.buckets(), 1);
  const auto stock = SharedRedis().HGetAll(Key("tee", "stock"));
  EXPECT_EQ(stock.at("remaining"), "10");
  EXPECT_EQ(stock.at("limit"), "2");
  EXPECT_EQ(stock.at("ver"), "1");
  EXPECT_EQ(RedisGate("tee"), "remaining=10 limit=2 users={} res={}");
  EXPECT_EQ(RedisGate("tee"), PgGate("tee"));
}

TEST_F(InventoryGateTest, GateRefusalsNeverReachPostgres) {
  ASSERT_EQ(CreateSku(SkuRequest("flash", 2)).code, OK);
  ASSERT_EQ(CreateSku(SkuRequest("capped", 10, 1)).code, OK);
  ASSERT_EQ(Reserve(ReserveRequest(NewUuidV7(), "a", {{"flash", 1}})).code, OK);
  ASSERT_EQ(Reserve(ReserveRequest(NewUuidV7(), "b", {{"flash", 1}})).code, OK);
  ASSERT_EQ(Reserve(ReserveRequest(NewUuidV7(), "a", {{"capped", 1}})).code,
            OK);
  const std::string pg_before = Snapshot();
  const auto redis_before = SharedRedis().Snapshot();
  const int64_t statements = Statements();
  ASSERT_GT(statements, 0);

  // 20 sold-out buyers, 10 over their limit, 5 two-line orders whose
  // second line ("flash", after "capped" in lock order) is sold out: the
  // first line's gate units are given back.
  for (int i = 0; i < 20; ++i) {
    const Outcome o = Reserve(ReserveRequest(
        NewUuidV7(), "late" + std::to_string(i), {{"flash", 1}}));
    EXPECT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION) << o;
    EXPECT_EQ(o.reason, "SOLD_OUT");
  }
  for (int i = 0; i < 10; ++i) {
    const Outcome o =
        Reserve(ReserveRequest(NewUuidV7(), "a", {{"capped", 1}}));
    EXPECT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION) << o;
    EXPECT_EQ(o.reason, "USER_LIMIT");
  }
  std::vector<std::string> mixed;
  for (int i = 0; i < 5; ++i) {
    mixed.push_back(NewUuidV7());
    const Outcome o = Reserve(ReserveRequest(
        mixed.back(), "m" + std::to_string(i), {{"capped", 1}, {"flash", 1}}));
    EXPECT_EQ(o.reason, "SOLD_OUT") << o;
  }

  EXPECT_EQ(Statements(), statements) << "a gate refusal ran SQL";
  EXPECT_EQ(Snapshot(), pg_before);
  // The gate itself: counters as before; only the records of the five
  // released "capped" lines were added.
  EXPECT_EQ(RedisGate("flash"), PgGate("flash"));
  EXPECT_EQ(RedisGate("capped"), PgGate("capped"));
  EXPECT_EQ(SharedRedis().Snapshot().size(), redis_before.size() + 5);
  for (const std::string& gid : mixed) {
    EXPECT_EQ(Done("capped", gid).substr(0, 2), "X ") << gid;
  }
  EXPECT_EQ(Metric("turnstile_gate_refusals_total{reason=\"SOLD_OUT\"}"), 25);
  EXPECT_EQ(Metric("turnstile_gate_refusals_total{reason=\"USER_LIMIT\"}"), 10);

  // The measurement can fail: a Try the gate passes does run SQL.
  ASSERT_EQ(Reserve(ReserveRequest(NewUuidV7(), "c", {{"capped", 1}})).code,
            OK);
  EXPECT_GT(Statements(), statements);
}

TEST_F(InventoryGateTest, PostgresRefusalAfterGatePassReleasesTheGate) {
  // 1. A per-user limit set in PostgreSQL only: the gate (no limit) passes,
  // PostgreSQL refuses, the gate gives the units back.
  ASSERT_EQ(CreateSku(SkuRequest("a", 10)).code, OK);
  Query("UPDATE sku SET per_user_limit = 1 WHERE sku_id = 'a'");
  std::string before = Snapshot();
  const std::string g1 = NewUuidV7();
  Outcome o = Reserve(ReserveRequest(g1, "ann", {{"a", 2}}));
  EXPECT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION) << o;
  EXPECT_EQ(o.reason, "USER_LIMIT");
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(RedisGate("a"), "remaining=10 limit=0 users={} res={}");
  EXPECT_EQ(Done("a", g1), "X 2 ann");
  EXPECT_EQ(Metric("turnstile_inventory_gate_rollbacks_total"), 1);

  // 2. A gate corrupted upwards: it passes a Try PostgreSQL cannot serve.
  ASSERT_EQ(CreateSku(SkuRequest("b", 3)).code, OK);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Reserve(ReserveRequest(NewUuidV7(), "u" + std::to_string(i),
                                     {{"b", 1}}))
                  .code,
              OK);
  }
  SharedRedis().Run({"HSET", Key("b", "stock"), "remaining", "5"});
  const std::string gate_before = RedisGate("b");
  before = Snapshot();
  const std::string g2 = NewUuidV7();
  o = Reserve(ReserveRequest(g2, "bob", {{"b", 1}}));
  EXPECT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION) << o;
  EXPECT_EQ(o.reason, "SOLD_OUT");
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(RedisGate("b"), gate_before);  // remaining 5 again, no bob
  EXPECT_EQ(Done("b", g2), "X 1 bob");
  EXPECT_EQ(Stock("b"), "0/3/0/3");
}

TEST_F(InventoryGateTest, ConfirmAndCancelUpdateBothSides) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10, 5)).code, OK);
  const std::string sold = NewUuidV7(), released = NewUuidV7();
  ASSERT_EQ(Reserve(ReserveRequest(sold, "u1", {{"a", 3}})).code, OK);
  ASSERT_EQ(Reserve(ReserveRequest(released, "u2", {{"a", 2}})).code, OK);
  EXPECT_EQ(RedisGate("a"),
            "remaining=5 limit=5 users={u1=3,u2=2} " +
                ResList({{Owner(sold), "3 u1"}, {Owner(released), "2 u2"}}));
  EXPECT_EQ(RedisGate("a"), PgGate("a"));

  bool applied = false;
  ASSERT_EQ(Confirm(sold, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(Stock("a"), "5/2/3/10");
  EXPECT_EQ(Done("a", sold), "C 3 u1");
  ASSERT_EQ(Cancel(released, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(Stock("a"), "7/0/3/10");
  EXPECT_EQ(Done("a", released), "X 2 u2");
  // Sold units still count for u1's limit; u2's are back.
  EXPECT_EQ(RedisGate("a"), "remaining=7 limit=5 users={u1=3} res={}");
  EXPECT_EQ(RedisGate("a"), PgGate("a"));

  // Repeats change neither side.
  const auto redis_before = SharedRedis().Snapshot();
  const std::string pg_before = Snapshot();
  ASSERT_EQ(Confirm(sold, &applied).code, OK);
  EXPECT_FALSE(applied);
  ASSERT_EQ(Cancel(released, &applied).code, OK);
  EXPECT_FALSE(applied);
  EXPECT_EQ(SharedRedis().Snapshot(), redis_before);
  EXPECT_EQ(Snapshot(), pg_before);
  // A late Try of the cancelled branch: refused, both sides unchanged.
  const Outcome late = Reserve(ReserveRequest(released, "u2", {{"a", 2}}));
  EXPECT_EQ(late.code, grpc::StatusCode::ABORTED) << late;
  EXPECT_EQ(late.reason, "BRANCH_CANCELLED");
  EXPECT_EQ(SharedRedis().Snapshot(), redis_before);
  EXPECT_EQ(Snapshot(), pg_before);
  EXPECT_EQ(Metric("turnstile_inventory_gate_sync_failures_total{op="
                   "\"commit\",result=\"NOT_FOUND\"}"),
            0);
}

TEST_F(InventoryGateTest, RepeatedTryGoesThroughTheBarrier) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10)).code, OK);
  ASSERT_EQ(CreateSku(SkuRequest("b", 10)).code, OK);
  const std::string gid = NewUuidV7();
  v1::ReserveStockResponse first, again, extra;
  ASSERT_EQ(Reserve(ReserveRequest(gid, "u", {{"a", 2}}), &first).code, OK);
  const int64_t statements = Statements();
  ASSERT_EQ(Reserve(ReserveRequest(gid, "u", {{"a", 2}}), &again).code, OK);
  EXPECT_GT(Statements(), statements);  // the barrier answered
  EXPECT_EQ(first.SerializeAsString(), again.SerializeAsString());
  // A repeat naming another SKU as well is refused (TRY_MISMATCH) and the
  // gate units it took for "b" go back.
  const Outcome mismatch =
      Reserve(ReserveRequest(gid, "u", {{"a", 2}, {"b", 4}}), &extra);
  EXPECT_EQ(mismatch.code, grpc::StatusCode::FAILED_PRECONDITION) << mismatch;
  EXPECT_EQ(mismatch.reason, "TRY_MISMATCH");
  EXPECT_EQ(Stock("a"), "8/2/0/10");
  EXPECT_EQ(Stock("b"), "10/0/0/10");
  EXPECT_EQ(RedisGate("a"), PgGate("a"));
  EXPECT_EQ(RedisGate("b"), "remaining=10 limit=0 users={} res={}");
  EXPECT_EQ(Done("b", gid), "X 4 u");
}

TEST_F(InventoryGateTest, RedisDownRefusesTriesButNotConfirmOrCancel) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10)).code, OK);
  const std::string sold = NewUuidV7(), released = NewUuidV7();
  ASSERT_EQ(Reserve(ReserveRequest(sold, "u1", {{"a", 3}})).code, OK);
  ASSERT_EQ(Reserve(ReserveRequest(released, "u2", {{"a", 2}})).code, OK);
  SharedRedis().Stop();

  const std::string before = Snapshot();
  const int64_t statements = Statements();
  const Outcome o = Reserve(ReserveRequest(NewUuidV7(), "u3", {{"a", 1}}));
  EXPECT_EQ(o.code, grpc::StatusCode::UNAVAILABLE) << o;
  EXPECT_EQ(o.reason, "REDIS_UNAVAILABLE");
  EXPECT_EQ(Statements(), statements);
  EXPECT_EQ(Snapshot(), before);

  // PostgreSQL decides; the gate failures are counted, not returned.
  bool applied = false;
  ASSERT_EQ(Confirm(sold, &applied).code, OK);
  EXPECT_TRUE(applied);
  ASSERT_EQ(Cancel(released, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(Stock("a"), "7/0/3/10");
  EXPECT_EQ(Metric("turnstile_inventory_gate_sync_failures_total{op="
                   "\"commit\",result=\"REDIS_UNAVAILABLE\"}"),
            1);
  EXPECT_EQ(Metric("turnstile_inventory_gate_sync_failures_total{op="
                   "\"release\",result=\"REDIS_UNAVAILABLE\"}"),
            1);

  // Redis comes back empty: the next Try rebuilds the gate from PostgreSQL
  // on the spot and goes through.
  SharedRedis().StartAgain();
  const std::string gid = NewUuidV7();
  ASSERT_EQ(WithRetry([&] {
              return Reserve(ReserveRequest(gid, "u3", {{"a", 1}}));
            }).code,
            OK);
  EXPECT_EQ(Stock("a"), "6/1/3/10");
  EXPECT_EQ(RedisGate("a"), PgGate("a"));
  EXPECT_EQ(RedisGate("a"), "remaining=6 limit=0 users={u1=3,u3=1} res={" +
                                Owner(gid) + "=1 u3}");
  EXPECT_EQ(Metric("turnstile_reconcile_keys_rebuilt_total"), 1);
}

TEST_F(InventoryGateTest, ReconcileAfterFlushAllRebuildsEveryGate) {
  // Three SKUs with locked, sold and released units, one with 4 buckets.
  ASSERT_EQ(CreateSku(SkuRequest("a", 10, 3)).code, OK);
  // 4 buckets of 6: each bucket serves exactly three 2-unit lines.
  ASSERT_EQ(CreateSku(SkuRequest("b", 24, 0, 4)).code, OK);
  ASSERT_EQ(CreateSku(SkuRequest("c", 5)).code, OK);
  std::vector<std::string> gids;
  for (int i = 0; i < 9; ++i) {
    gids.push_back(NewUuidV7());
    ASSERT_EQ(Reserve(ReserveRequest(gids[i], "u" + std::to_string(i % 3),
                                     {{"a", 1}, {"b", 2}}))
                  .code,
              OK);
  }
  for (int i = 0; i < 3; ++i) ASSERT_EQ(Confirm(gids[i]).code, OK);
  for (int i = 3; i < 6; ++i) ASSERT_EQ(Cancel(gids[i]).code, OK);
  const std::vector<std::string> skus = {"a", "b", "c"};
  for (const auto& s : skus) ASSERT_EQ(RedisGate(s), PgGate(s)) << s;

  SharedRedis().FlushAll();
  for (const auto& s : skus) ASSERT_EQ(RedisGate(s), "(no gate)");
  v1::ReconcileResponse report;
  ASSERT_EQ(Reconcile("", &report).code, OK);
  EXPECT_EQ(report.skus_checked(), 3);
  EXPECT_EQ(report.keys_rebuilt(), 3);
  EXPECT_EQ(report.fixes(), 3);
  ASSERT_EQ(report.differences_size(), 3);
  EXPECT_NE(report.differences(0).find("sku a: gate missing"),
            std::string::npos)
      << report.differences(0);
  for (const auto& s : skus) EXPECT_EQ(RedisGate(s), PgGate(s)) << s;
  EXPECT_EQ(RedisGate("a"), "remaining=4 limit=3 users={u0=2,u1=2,u2=2} " +
                                ResList({{Owner(gids[6]), "1 u0"},
                                         {Owner(gids[7]), "1 u1"},
                                         {Owner(gids[8]), "1 u2"}}));
  EXPECT_EQ(Metric("turnstile_reconcile_fixes_total"), 3);

  // Nothing left to fix.
  ASSERT_EQ(Reconcile("", &report).code, OK);
  EXPECT_EQ(report.skus_checked(), 3);
  EXPECT_EQ(report.keys_rebuilt(), 0);
  EXPECT_EQ(report.fixes(), 0);
  // The rebuilt gate knows the open reservations: Confirm and Cancel find
  // them there.
  ASSERT_EQ(Confirm(gids[6]).code, OK);
  ASSERT_EQ(Cancel(gids[7]).code, OK);
  EXPECT_EQ(Done("a", gids[6]), "C 1 u0");
  EXPECT_EQ(Done("b", gids[7]), "X 2 u1");
  for (const auto& s : skus) EXPECT_EQ(RedisGate(s), PgGate(s)) << s;
  // The limit survived the rebuild: u0 holds 2 of 3.
  EXPECT_EQ(Reserve(ReserveRequest(NewUuidV7(), "u0", {{"a", 2}})).reason,
            "USER_LIMIT");
}

TEST_F(InventoryGateTest, RedisRestartIsRepairedAtStartUpAndOnDemand) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10)).code, OK);
  ASSERT_EQ(CreateSku(SkuRequest("b", 10)).code, OK);
  const std::string g1 = NewUuidV7(), g2 = NewUuidV7();
  ASSERT_EQ(Reserve(ReserveRequest(g1, "u1", {{"a", 4}})).code, OK);
  ASSERT_EQ(Reserve(ReserveRequest(g2, "u2", {{"b", 1}})).code, OK);
  ASSERT_EQ(Confirm(g1).code, OK);

  // Redis restarts empty while the service runs: Reconcile of one SKU.
  SharedRedis().Restart();
  v1::ReconcileResponse report;
  ASSERT_EQ(WithRetry([&] { return Reconcile("a", &report); }).code, OK);
  EXPECT_EQ(report.skus_checked(), 1);
  EXPECT_EQ(report.keys_rebuilt(), 1);
  EXPECT_EQ(RedisGate("a"), PgGate("a"));
  EXPECT_EQ(RedisGate("a"), "remaining=6 limit=0 users={u1=4} res={}");
  EXPECT_EQ(RedisGate("b"), "(no gate)");
  EXPECT_EQ(Reconcile("zz").code, grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reconcile("a b").code, grpc::StatusCode::INVALID_ARGUMENT);

  // Redis restarts empty, then the service does: the start-up pass rebuilds
  // every gate before the first call is served.
  ASSERT_EQ(Stop(), 0);
  SharedRedis().Restart();
  Start();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(RedisGate("a"), PgGate("a"));
  EXPECT_EQ(RedisGate("b"), PgGate("b"));
  EXPECT_EQ(RedisGate("b"),
            "remaining=9 limit=0 users={u2=1} res={" + Owner(g2) + "=1 u2}");
  ASSERT_EQ(Confirm(g2).code, OK);
  EXPECT_EQ(Done("b", g2), "C 1 u2");
}

TEST_F(InventoryGateTest, DriftIsRepairedAndCounted) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10, 3)).code, OK);
  const std::string locked = NewUuidV7(), sold = NewUuidV7();
  ASSERT_EQ(Reserve(ReserveRequest(locked, "u1", {{"a", 2}})).code, OK);
  ASSERT_EQ(Reserve(ReserveRequest(sold, "u2", {{"a", 1}})).code, OK);
  ASSERT_EQ(Confirm(sold).code, OK);
  ASSERT_EQ(RedisGate("a"), PgGate("a"));
  ASSERT_EQ(RedisGate("a"), "remaining=7 limit=3 users={u1=2,u2=1} res={" +
                                Owner(locked) + "=2 u1}");

  // Five kinds of damage: remaining and limit off, a user count off, a
  // LOCKED reservation missing, and a stranded reservation (a Try that
  // died between Redis and PostgreSQL long ago).
  const std::string ghost = NewUuidV7();
  SharedRedis().Run(
      {"HSET", Key("a", "stock"), "remaining", "12", "limit", "7"});
  SharedRedis().Run({"HSET", Key("a", "users"), "u2", "5", "u3", "1"});
  SharedRedis().Run({"HDEL", Key("a", "res"), Owner(locked)});
  SharedRedis().Run({"HSET", Key("a", "res"), Owner(ghost), "1 1000 u3"});

  v1::ReconcileResponse report;
  ASSERT_EQ(Reconcile("a", &report).code, OK);
  EXPECT_EQ(report.keys_rebuilt(), 0);
  EXPECT_EQ(report.fixes(), 5) << absl::StrJoin(report.differences(), "\n");
  const std::string all = absl::StrJoin(report.differences(), "\n");
  EXPECT_NE(all.find("released open reservation " + Owner(ghost)),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("stranded"), std::string::npos) << all;
  EXPECT_NE(all.find("remaining 13 -> 7"), std::string::npos) << all;
  EXPECT_NE(all.find("per-user limit 7 -> 3"), std::string::npos) << all;
  EXPECT_NE(all.find("user u2 units 5 -> 1"), std::string::npos) << all;
  EXPECT_NE(
      all.find("reservation " + Owner(locked) + " (2 units of user u1) added"),
      std::string::npos)
      << all;
  EXPECT_EQ(RedisGate("a"), PgGate("a"));
  EXPECT_EQ(Done("a", ghost), "X 1 u3");
  EXPECT_EQ(Metric("turnstile_reconcile_fixes_total"), 5);

  ASSERT_EQ(Reconcile("a", &report).code, OK);
  EXPECT_EQ(report.fixes(), 0);
  // The repaired gate works: the restored reservation is confirmed in both.
  ASSERT_EQ(Confirm(locked).code, OK);
  EXPECT_EQ(Done("a", locked), "C 2 u1");
  EXPECT_EQ(RedisGate("a"), PgGate("a"));
}

TEST_F(InventoryGateTest, DamagedGateIsReportedAndTheOthersRebuilt) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 5)).code, OK);
  ASSERT_EQ(CreateSku(SkuRequest("b", 5)).code, OK);
  SharedRedis().FlushAll();
  // "a"'s gate hash replaced by a string: every script on it fails.
  SharedRedis().Run({"SET", Key("a", "stock"), "garbage"});
  v1::ReconcileResponse report;
  ASSERT_EQ(Reconcile("", &report).code, OK);
  EXPECT_EQ(report.skus_checked(), 2);
  EXPECT_EQ(report.keys_rebuilt(), 1);
  EXPECT_EQ(report.fixes(), 1);
  const std::string all = absl::StrJoin(report.differences(), "\n");
  EXPECT_NE(all.find("sku a: NOT reconciled"), std::string::npos) << all;
  EXPECT_NE(all.find("sku b: gate missing"), std::string::npos) << all;
  EXPECT_EQ(RedisGate("b"), PgGate("b"));
  EXPECT_EQ(Reconcile("a").code, grpc::StatusCode::INTERNAL);
  // A Try on the damaged SKU fails without touching PostgreSQL.
  const std::string before = Snapshot();
  EXPECT_EQ(Reserve(ReserveRequest(NewUuidV7(), "u", {{"a", 1}})).code,
            grpc::StatusCode::INTERNAL);
  EXPECT_EQ(Snapshot(), before);
  // Once an operator deletes the damaged key, the next Try rebuilds it.
  SharedRedis().Run({"DEL", Key("a", "stock")});
  ASSERT_EQ(Reserve(ReserveRequest(NewUuidV7(), "u", {{"a", 1}})).code, OK);
  EXPECT_EQ(RedisGate("a"), PgGate("a"));
}

// Reservations in flight while the reconciler loops: it must find nothing to
// fix (the gate = PostgreSQL + in flight at every instant), and neither
// over- nor under-sell.
TEST_F(InventoryGateTest, ReconcileWhileTriesRunFixesNothing) {
  ASSERT_EQ(CreateSku(SkuRequest("hot", 50)).code, OK);
  std::atomic<bool> done{false};
  std::atomic<int64_t> loops{0}, fixes{0};
  std::mutex mu;
  std::vector<std::string> diffs;
  std::thread reconciler([&] {
    while (!done.load()) {
      v1::ReconcileResponse report;
      const Outcome o = Reconcile("hot", &report);
      if (o.code == OK) {
        ++loops;
        fixes += report.fixes();
        std::lock_guard<std::mutex> lock(mu);
        for (const auto& d : report.differences()) diffs.push_back(d);
      } else if (o.code != grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ADD_FAILURE() << "reconcile: " << o;
      }
    }
  });

  // Phase 1: 200 buyers for 50 units.
  constexpr int kBuyers = 200;
  std::vector<std::string> gids(kBuyers);
  for (auto& g : gids) g = NewUuidV7();
  std::vector<Outcome> outcomes(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    outcomes[i] = WithRetry([&] {
      return Reserve(
          ReserveRequest(gids[i], "u" + std::to_string(i), {{"hot", 1}}));
    });
  });
  std::vector<int> winners;
  for (int i = 0; i < kBuyers; ++i) {
    if (outcomes[i].code == OK) {
      winners.push_back(i);
    } else {
      EXPECT_EQ(outcomes[i].reason, "SOLD_OUT") << outcomes[i];
    }
  }
  EXPECT_EQ(winners.size(), 50u);

  // Phase 2: half the winners confirm, half cancel, while 100 new buyers
  // race for the units the cancels give back.
  constexpr int kLate = 100;
  std::vector<std::string> late(kLate);
  for (auto& g : late) g = NewUuidV7();
  std::vector<Outcome> late_outcomes(kLate);
  const int decided = static_cast<int>(winners.size());
  RunConcurrently(decided + kLate, [&](int i) {
    if (i < decided) {
      const std::string& gid = gids[winners[i]];
      const Outcome o =
          WithRetry([&] { return i % 2 == 0 ? Confirm(gid) : Cancel(gid); });
      EXPECT_EQ(o.code, OK) << o;
    } else {
      const int j = i - decided;
      late_outcomes[j] = WithRetry([&] {
        return Reserve(
            ReserveRequest(late[j], "late" + std::to_string(j), {{"hot", 1}}));
      });
    }
  });
  int late_ok = 0;
  for (const Outcome& o : late_outcomes) {
    if (o.code == OK) {
      ++late_ok;
    } else {
      EXPECT_EQ(o.reason, "SOLD_OUT") << o;
    }
  }
  done = true;
  reconciler.join();

  EXPECT_GT(loops.load(), 3);
  EXPECT_EQ(fixes.load(), 0) << absl::StrJoin(diffs, "\n");
  EXPECT_LE(late_ok, 25);
  EXPECT_EQ(Stock("hot"), absl::StrCat(25 - late_ok, "/", late_ok, "/25/50"));
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state = 'LOCKED'"),
            late_ok);
  v1::ReconcileResponse report;
  ASSERT_EQ(Reconcile("hot", &report).code, OK);
  EXPECT_EQ(report.fixes(), 0) << absl::StrJoin(report.differences(), "\n");
  EXPECT_EQ(RedisGate("hot"), PgGate("hot"));
}

// Redis loses everything (FLUSHALL, then a restart) in the middle of a
// flash sale while the reconciler loops: PostgreSQL still sells exactly the
// stock, and a final pass makes the gate equal to PostgreSQL.
TEST_F(InventoryGateTest, RedisLossDuringTheSaleNeverOversells) {
  for (const char* event : {"flushall", "restart"}) {
    SCOPED_TRACE(event);
    const std::string sku = std::string("sale-") + event;
    ASSERT_EQ(CreateSku(SkuRequest(sku, 50)).code, OK);
    std::atomic<bool> done{false};
    std::thread reconciler([&] {
      while (!done.load()) {
        Reconcile(sku);  // errors while Redis is down are expected
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    constexpr int kBuyers = 200;
    std::vector<Outcome> outcomes(kBuyers);
    std::thread sale([&] {
      RunConcurrently(kBuyers, [&](int i) {
        const std::string gid = NewUuidV7();
        // Stagger the buyers so that the loss lands mid-sale.
        std::this_thread::sleep_for(std::chrono::milliseconds(5 * (i % 100)));
        outcomes[i] = WithRetry([&] {
          return Reserve(
              ReserveRequest(gid, "u" + std::to_string(i), {{sku, 1}}));
        });
      });
    });
    // From this thread: a child process dies with the thread that started
    // it (PR_SET_PDEATHSIG), so the restarted redis-server must not be
    // started by a short-lived thread.
    const double rebuilt = Metric("turnstile_reconcile_keys_rebuilt_total");
    const std::string locked_units =
        "SELECT sum(locked) FROM stock WHERE sku_id = '" + sku + "'";
    // One connection for the whole poll: with a new connection per look
    // (each now a SCRAM login) the sale sometimes ended, under ctest -j2,
    // before the loss could land.
    pqxx::connection poll(SharedPg().Conninfo(db_));
    auto locked_now = [&] {
      return pqxx::nontransaction(poll).exec1(locked_units)[0].as<int64_t>(0);
    };
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (locked_now() < 10) {
      ASSERT_LT(std::chrono::steady_clock::now(), until);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const int64_t sold_before_loss = locked_now();
    if (std::string(event) == "flushall") {
      SharedRedis().FlushAll();
    } else {
      SharedRedis().Restart();
    }
    sale.join();
    done = true;
    reconciler.join();
    int ok = 0;
    for (const Outcome& o : outcomes) {
      if (o.code == OK) {
        ++ok;
      } else {
        EXPECT_EQ(o.reason, "SOLD_OUT") << o;
      }
    }
    EXPECT_EQ(ok, 50);
    EXPECT_LT(sold_before_loss, 50) << "the loss did not land mid-sale";
    // The gate was lost and rebuilt while buyers kept coming.
    EXPECT_GE(Metric("turnstile_reconcile_keys_rebuilt_total"), rebuilt + 1);
    EXPECT_EQ(Stock(sku), "0/50/0/50");
    EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state = 'LOCKED' "
                    "AND sku_id = '" +
                    sku + "'"),
              50);
    v1::ReconcileResponse report;
    ASSERT_EQ(WithRetry([&] { return Reconcile(sku, &report); }).code, OK);
    EXPECT_EQ(RedisGate(sku), PgGate(sku));
    ASSERT_EQ(Reconcile(sku, &report).code, OK);
    EXPECT_EQ(report.fixes(), 0);
  }
}

}  // namespace
}  // namespace turnstile
