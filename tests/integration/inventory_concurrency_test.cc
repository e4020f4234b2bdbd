// Concurrency tests of the inventory service: the real turnstile-inventory
// binary on a private PostgreSQL, hammered by many simultaneous gRPC calls.
// Checks that stock is never oversold, per-user limits hold under races, and
// the stock counters match the reservation rows afterwards.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "services/common/status.h"
#include "services/common/uuid.h"
#include "tests/support/child_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/redis_server.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"

namespace turnstile {
namespace {

using testing::Binary;
using testing::ChildProcess;
using testing::FreePort;
using testing::PgCluster;
using testing::RedisServer;
namespace v1 = turnstile::v1;

PgCluster* g_pg = nullptr;
// The Redis gate of the default (gate) strategy; flushed before every test.
RedisServer* g_redis = nullptr;
// Calls of the current test retried after RESOURCE_EXHAUSTED/UNAVAILABLE.
std::atomic<int> g_transient_retries{0};

class PgEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    pg_ = PgCluster::Start();
    g_pg = pg_.get();
    redis_ = RedisServer::Start();
    g_redis = redis_.get();
  }
  void TearDown() override {
    g_redis = nullptr;
    redis_.reset();
    g_pg = nullptr;
    pg_.reset();
  }

 private:
  std::unique_ptr<PgCluster> pg_;
  std::unique_ptr<RedisServer> redis_;
};

[[maybe_unused]] auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new PgEnvironment);

// The outcome of one RPC: code plus the machine-readable reason.
struct Outcome {
  grpc::StatusCode code;
  std::string reason;
  std::string message;
};

Outcome OutcomeOf(const grpc::Status& status) {
  return {status.error_code(), ReasonOf(FromGrpc(status)),
          status.error_message()};
}

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "code=" << o.code << " reason=" << o.reason
            << " message=" << o.message;
}

v1::CreateSkuRequest SkuRequest(const std::string& id, int64_t stock,
                                int64_t price = 250, int32_t limit = 0,
                                const std::string& currency = "EUR") {
  v1::CreateSkuRequest r;
  r.set_sku_id(id);
  r.set_name("Item " + id);
  r.mutable_price()->set_currency(currency);
  r.mutable_price()->set_minor_units(price);
  r.set_stock(stock);
  r.set_per_user_limit(limit);
  return r;
}

v1::ReserveStockRequest ReserveRequest(
    const std::string& gid, const std::string& user,
    const std::vector<std::pair<std::string, int64_t>>& items,
    const std::string& branch = "inventory") {
  v1::ReserveStockRequest r;
  r.mutable_txn()->set_gid(gid);
  r.mutable_txn()->set_branch_id(branch);
  r.set_user_id(user);
  for (const auto& [sku, quantity] : items) {
    auto* item = r.add_items();
    item->set_sku_id(sku);
    item->set_quantity(quantity);
  }
  return r;
}

class InventoryConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    db_ = "inventory_conc_" + std::to_string(++counter);
    g_pg->CreateDatabase(db_);
    g_redis->FlushAll();
    Start();
  }

  void TearDown() override {
    if (HasFailure()) {
      std::system(("tail -n 40 " + LogPath() + " >&2").c_str());
    }
    Stop();
    if (const int n = g_transient_retries.exchange(0); n > 0) {
      std::fprintf(stderr, "note: %d calls retried after a transient error\n",
                   n);
    }
  }

  // Graceful stop; the client goes first so that the server need not wait
  // for its connection to drain.
  int Stop() {
    inventory_.reset();
    participant_.reset();
    channel_.reset();
    return process_.Terminate(5000);
  }

  std::string LogPath() const { return g_pg->dir() + "/" + db_ + ".log"; }

  // Starts the binary on a fresh port and waits until it serves.
  void Start() {
    address_ = "127.0.0.1:" + std::to_string(FreePort());
    process_.Start(Binary("turnstile-inventory"),
                   {"--listen=" + address_, "--pg=" + g_pg->Conninfo(db_),
                    "--metrics_listen=",
                    "--redis=127.0.0.1:" + std::to_string(g_redis->port()),
                    "--pg_pool_size=16"},
                   LogPath());
    // Short reconnect backoff: the first attempt may come before the port
    // is open.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
    channel_ = grpc::CreateCustomChannel(
        address_, grpc::InsecureChannelCredentials(), args);
    const auto until =
        std::chrono::system_clock::now() + std::chrono::seconds(30);
    while (!channel_->WaitForConnected(std::chrono::system_clock::now() +
                                       std::chrono::milliseconds(100))) {
      ASSERT_FALSE(process_.Exited()) << "turnstile-inventory exited";
      ASSERT_LT(std::chrono::system_clock::now(), until) << "no start";
    }
    inventory_ = v1::Inventory::NewStub(channel_);
    participant_ = v1::Participant::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(10));
    return ctx;
  }

  Outcome CreateSku(const v1::CreateSkuRequest& request,
                    v1::Sku* out = nullptr) {
    v1::Sku sku;
    auto status = inventory_->CreateSku(Ctx().get(), request, &sku);
    if (out) *out = sku;
    return OutcomeOf(status);
  }

  Outcome GetSku(const std::string& id, v1::Sku* out = nullptr) {
    v1::GetSkuRequest request;
    request.set_sku_id(id);
    v1::Sku sku;
    auto status = inventory_->GetSku(Ctx().get(), request, &sku);
    if (out) *out = sku;
    return OutcomeOf(status);
  }

  Outcome List(int32_t page_size, const std::string& token,
               v1::ListSkusResponse* out = nullptr) {
    v1::ListSkusRequest request;
    request.set_page_size(page_size);
    request.set_page_token(token);
    v1::ListSkusResponse response;
    auto status = inventory_->ListSkus(Ctx().get(), request, &response);
    if (out) *out = response;
    return OutcomeOf(status);
  }

  Outcome Reserve(const v1::ReserveStockRequest& request,
                  v1::ReserveStockResponse* out = nullptr) {
    v1::ReserveStockResponse response;
    auto status = inventory_->ReserveStock(Ctx().get(), request, &response);
    if (out) *out = response;
    return OutcomeOf(status);
  }

  Outcome Confirm(const std::string& gid, bool* applied = nullptr,
                  const std::string& branch = "inventory") {
    v1::ConfirmRequest request;
    request.mutable_txn()->set_gid(gid);
    request.mutable_txn()->set_branch_id(branch);
    v1::ConfirmResponse response;
    auto status = participant_->Confirm(Ctx().get(), request, &response);
    if (applied) *applied = response.applied();
    return OutcomeOf(status);
  }

  Outcome Cancel(const std::string& gid, bool* applied = nullptr,
                 const std::string& branch = "inventory") {
    v1::CancelRequest request;
    request.mutable_txn()->set_gid(gid);
    request.mutable_txn()->set_branch_id(branch);
    request.set_reason(v1::CANCEL_REASON_TRY_FAILED);
    v1::CancelResponse response;
    auto status = participant_->Cancel(Ctx().get(), request, &response);
    if (applied) *applied = response.applied();
    return OutcomeOf(status);
  }

  std::string Query(const std::string& sql) const {
    return g_pg->Query(db_, sql);
  }
  int64_t Count(const std::string& sql) const { return std::stoll(Query(sql)); }

  // "available/locked/sold/total" of a SKU, straight from the table.
  std::string Stock(const std::string& sku) const {
    return Query(
        "SELECT available || '/' || locked || '/' || sold || '/' || total "
        "FROM stock WHERE sku_id = '" +
        sku + "'");
  }
  // States of a branch's reservation lines, e.g. "a:LOCKED:2,b:LOCKED:1".
  std::string Reservations(const std::string& gid,
                           const std::string& branch = "inventory") const {
    return Query(
        "SELECT string_agg(sku_id || ':' || state || ':' || quantity, ',' "
        "ORDER BY sku_id) FROM reservation WHERE gid = '" +
        gid + "' AND branch_id = '" + branch + "'");
  }
  std::string Barrier(const std::string& gid) const {
    return Query(
        "SELECT string_agg(phase, ',' ORDER BY phase) FROM tcc_barrier "
        "WHERE gid = '" +
        gid + "'");
  }
  int64_t Purchased(const std::string& user, const std::string& sku) const {
    const std::string q =
        Query("SELECT quantity FROM user_purchase WHERE user_id = '" + user +
              "' AND sku_id = '" + sku + "'");
    return q.empty() ? -1 : std::stoll(q);
  }
  // Everything a request could change, as one comparable string.
  std::string Snapshot() const {
    return Query(
        "SELECT concat_ws(' | ', "
        "(SELECT count(*) FROM tcc_barrier), "
        "(SELECT count(*) FROM sku), "
        "(SELECT string_agg(sku_id || ':' || name || ':' || price_minor || "
        "':' || currency || ':' || per_user_limit, ',' ORDER BY sku_id) "
        "FROM sku), "
        "(SELECT string_agg(sku_id || ':' || total || ':' || available || ':' "
        "|| locked || ':' || sold || ':' || version, ',' ORDER BY sku_id) "
        "FROM stock), "
        "(SELECT string_agg(gid || ':' || branch_id || ':' || sku_id || ':' "
        "|| state || ':' || quantity, ',' ORDER BY gid, branch_id, sku_id) "
        "FROM reservation), "
        "(SELECT string_agg(user_id || ':' || sku_id || ':' || quantity, ',' "
        "ORDER BY user_id, sku_id) FROM user_purchase))");
  }

  std::string db_;
  std::string address_;
  ChildProcess process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Inventory::Stub> inventory_;
  std::unique_ptr<v1::Participant::Stub> participant_;
};

constexpr auto OK = grpc::StatusCode::OK;

// Runs fn(i) for i in [0, n) on n threads at once (a start barrier lines them
// up) and waits for all.
template <typename F>
void RunConcurrently(int n, F fn) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (!go.load()) std::this_thread::yield();
      fn(i);
    });
  }
  while (ready.load() < n) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
}

// Overload answers (RESOURCE_EXHAUSTED, UNAVAILABLE) are retried as a caller
// would: safe, because the barrier makes every phase idempotent. They are
// counted and reported, so that a test run shows how often it happened.
template <typename F>
Outcome WithRetry(F call) {
  for (int attempt = 0;; ++attempt) {
    Outcome outcome = call();
    const bool transient =
        outcome.code == grpc::StatusCode::RESOURCE_EXHAUSTED ||
        outcome.code == grpc::StatusCode::UNAVAILABLE;
    if (!transient || attempt == 20) return outcome;
    ++g_transient_retries;
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * (attempt + 1)));
  }
}

TEST_F(InventoryConcurrencyTest, TwoHundredBuyersFiftyUnits) {
  ASSERT_EQ(CreateSku(SkuRequest("flash", 50, 999)).code, OK);
  constexpr int kBuyers = 200;
  std::vector<std::string> gids(kBuyers);
  for (auto& g : gids) g = NewUuidV7();
  std::vector<Outcome> outcomes(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    outcomes[i] = WithRetry([&] {
      return Reserve(
          ReserveRequest(gids[i], "user" + std::to_string(i), {{"flash", 1}}));
    });
  });
  int ok = 0, sold_out = 0;
  std::vector<int> winners, losers;
  for (int i = 0; i < kBuyers; ++i) {
    if (outcomes[i].code == OK) {
      ++ok;
      winners.push_back(i);
    } else if (outcomes[i].code == grpc::StatusCode::FAILED_PRECONDITION &&
               outcomes[i].reason == "SOLD_OUT") {
      ++sold_out;
      losers.push_back(i);
    } else {
      ADD_FAILURE() << "buyer " << i << ": " << outcomes[i];
    }
  }
  EXPECT_EQ(ok, 50);
  EXPECT_EQ(sold_out, 150);
  EXPECT_EQ(Stock("flash"), "0/50/0/50");
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state = 'LOCKED'"),
            50);
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier"), 50);
  EXPECT_EQ(Count("SELECT coalesce(sum(quantity), 0) FROM user_purchase"), 50);

  // Decide them all at once: the winners confirm (each twice, racing
  // itself), the losers cancel (empty rollbacks).
  std::vector<Outcome> confirms(2 * winners.size());
  std::vector<Outcome> cancels(losers.size());
  const int n = static_cast<int>(confirms.size() + cancels.size());
  RunConcurrently(n, [&](int i) {
    if (i < static_cast<int>(confirms.size())) {
      confirms[i] = WithRetry([&] { return Confirm(gids[winners[i / 2]]); });
    } else {
      const int j = i - static_cast<int>(confirms.size());
      cancels[j] = WithRetry([&] { return Cancel(gids[losers[j]]); });
    }
  });
  for (const Outcome& o : confirms) EXPECT_EQ(o.code, OK) << o;
  for (const Outcome& o : cancels) EXPECT_EQ(o.code, OK) << o;
  EXPECT_EQ(Stock("flash"), "0/0/50/50");
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state = 'SOLD'"), 50);
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state <> 'SOLD'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier WHERE phase = 'confirm'"),
            50);
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier WHERE phase = 'cancel'"),
            150);
  v1::Sku sku;
  ASSERT_EQ(GetSku("flash", &sku).code, OK);
  EXPECT_EQ(sku.sold(), 50);
  EXPECT_EQ(sku.available(), 0);
}

TEST_F(InventoryConcurrencyTest, PerUserLimitHoldsUnderRaces) {
  ASSERT_EQ(CreateSku(SkuRequest("limited", 1000, 100, 3)).code, OK);
  constexpr int kAttempts = 40;
  std::vector<Outcome> outcomes(kAttempts);
  // Two users race 20 single-unit Tries each, every one its own gid.
  RunConcurrently(kAttempts, [&](int i) {
    outcomes[i] = WithRetry([&] {
      return Reserve(ReserveRequest(NewUuidV7(), i % 2 ? "odd" : "even",
                                    {{"limited", 1}}));
    });
  });
  std::map<std::string, int> ok;
  for (int i = 0; i < kAttempts; ++i) {
    if (outcomes[i].code == OK) {
      ++ok[i % 2 ? "odd" : "even"];
    } else {
      EXPECT_EQ(outcomes[i].reason, "USER_LIMIT") << outcomes[i];
    }
  }
  EXPECT_EQ(ok["odd"], 3);
  EXPECT_EQ(ok["even"], 3);
  EXPECT_EQ(Purchased("odd", "limited"), 3);
  EXPECT_EQ(Purchased("even", "limited"), 3);
  EXPECT_EQ(Stock("limited"), "994/6/0/1000");
}

TEST_F(InventoryConcurrencyTest,
       MultiSkuReservationsInAnyOrderNeitherDeadlockNorOversell) {
  // Every buyer wants 1 of each of four SKUs, listed in a random order;
  // rows are locked in sku_id order, so no deadlock, and all or nothing
  // means the four SKUs sell out together.
  const std::vector<std::string> skus = {"w", "x", "y", "z"};
  for (const auto& s : skus) ASSERT_EQ(CreateSku(SkuRequest(s, 30)).code, OK);
  constexpr int kBuyers = 100;
  std::vector<Outcome> outcomes(kBuyers);
  std::vector<std::string> gids(kBuyers);
  for (auto& g : gids) g = NewUuidV7();
  RunConcurrently(kBuyers, [&](int i) {
    std::vector<std::pair<std::string, int64_t>> items;
    for (const auto& s : skus) items.push_back({s, 1});
    std::mt19937 rng(i);
    std::shuffle(items.begin(), items.end(), rng);
    outcomes[i] = WithRetry([&] {
      return Reserve(ReserveRequest(gids[i], "u" + std::to_string(i), items));
    });
  });
  int ok = 0;
  for (const Outcome& o : outcomes) {
    if (o.code == OK) {
      ++ok;
    } else {
      EXPECT_EQ(o.reason, "SOLD_OUT") << o;
    }
  }
  EXPECT_EQ(ok, 30);
  for (const auto& s : skus) EXPECT_EQ(Stock(s), "0/30/0/30") << s;
  // Cancel every branch at once, winners and losers alike.
  std::vector<Outcome> cancels(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    cancels[i] = WithRetry([&] { return Cancel(gids[i]); });
  });
  for (const Outcome& o : cancels) EXPECT_EQ(o.code, OK) << o;
  for (const auto& s : skus) EXPECT_EQ(Stock(s), "30/0/0/30") << s;
  EXPECT_EQ(Count("SELECT coalesce(sum(quantity), 0) FROM user_purchase"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE state = 'RELEASED'"),
            4 * 30);
}

TEST_F(InventoryConcurrencyTest, RacingDuplicatesOfOneBranchApplyOnce) {
  ASSERT_EQ(CreateSku(SkuRequest("dup", 10)).code, OK);
  const std::string gid = NewUuidV7();
  constexpr int kCopies = 30;
  std::vector<Outcome> tries(kCopies);
  std::vector<v1::ReserveStockResponse> responses(kCopies);
  RunConcurrently(kCopies, [&](int i) {
    tries[i] = WithRetry([&] {
      return Reserve(ReserveRequest(gid, "racer", {{"dup", 3}}), &responses[i]);
    });
  });
  for (int i = 0; i < kCopies; ++i) {
    EXPECT_EQ(tries[i].code, OK) << tries[i];
    EXPECT_EQ(responses[i].total().minor_units(), 3 * 250);
  }
  EXPECT_EQ(Stock("dup"), "7/3/0/10");
  std::vector<Outcome> confirms(kCopies);
  std::atomic<int> applied{0};
  RunConcurrently(kCopies, [&](int i) {
    bool a = false;
    confirms[i] = WithRetry([&] { return Confirm(gid, &a); });
    if (a) ++applied;
  });
  for (const Outcome& o : confirms) EXPECT_EQ(o.code, OK) << o;
  EXPECT_EQ(applied.load(), 1);
  EXPECT_EQ(Stock("dup"), "7/0/3/10");
  EXPECT_EQ(Reservations(gid), "dup:SOLD:3");
}

}  // namespace
}  // namespace turnstile
