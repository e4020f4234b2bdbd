// Concurrency tests of the seat service: the real turnstile-seat binary on a
// private PostgreSQL, hammered by many simultaneous gRPC calls. Checks that
// no seat is ever held or sold twice, that overlapping multi-seat holds stay
// all or nothing without deadlocking, and that the rows agree with what the
// callers were told.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "services/common/status.h"
#include "services/common/uuid.h"
#include "tests/support/child_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/redis_server.h"
#include "turnstile/v1/participant.grpc.pb.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile {
namespace {

using testing::Binary;
using testing::ChildProcess;
using testing::FreePort;
using testing::PgCluster;
using testing::RedisServer;
namespace v1 = turnstile::v1;

PgCluster* g_pg = nullptr;
// The seat gate in front of PostgreSQL (flushed before every test: the
// event ids repeat across tests while the databases are fresh).
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

v1::SectionSpec Section(const std::string& name, int rows, int per_row,
                        int64_t price) {
  v1::SectionSpec s;
  s.set_name(name);
  s.set_rows(rows);
  s.set_seats_per_row(per_row);
  s.set_price_minor_units(price);
  return s;
}

// Sections A (2 rows x 3 seats at 5000) and B (1 row x 2 seats at 2500).
v1::CreateEventRequest EventRequest(const std::string& id) {
  v1::CreateEventRequest r;
  r.set_event_id(id);
  r.set_name("Concert " + id);
  r.mutable_starts_at()->set_seconds(1'900'000'000);
  r.mutable_starts_at()->set_nanos(123'456'000);
  r.set_currency("EUR");
  *r.add_sections() = Section("A", 2, 3, 5000);
  *r.add_sections() = Section("B", 1, 2, 2500);
  return r;
}

v1::HoldSeatsRequest HoldRequest(const std::string& gid,
                                 const std::string& user,
                                 const std::string& event,
                                 const std::vector<std::string>& seats,
                                 const std::string& branch = "seat") {
  v1::HoldSeatsRequest r;
  r.mutable_txn()->set_gid(gid);
  r.mutable_txn()->set_branch_id(branch);
  r.set_user_id(user);
  r.set_event_id(event);
  for (const auto& s : seats) r.add_seat_ids(s);
  return r;
}

class SeatConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    db_ = "seat_conc_" + std::to_string(++counter);
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
    seat_.reset();
    participant_.reset();
    channel_.reset();
    return process_.Terminate(5000);
  }

  std::string LogPath() const { return g_pg->dir() + "/" + db_ + ".log"; }

  // Starts the binary on a fresh port and waits until it serves.
  void Start() {
    address_ = "127.0.0.1:" + std::to_string(FreePort());
    process_.Start(Binary("turnstile-seat"),
                   {"--listen=" + address_, "--pg=" + g_pg->Conninfo(db_),
                    "--metrics_listen=", "--pg_pool_size=16",
                    "--redis=127.0.0.1:" + std::to_string(g_redis->port())},
                   LogPath());
    // Short reconnect backoff: the first attempt may come before the port
    // is open. Seat maps of big events exceed the 4 MB default.
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
    args.SetMaxReceiveMessageSize(64 << 20);
    channel_ = grpc::CreateCustomChannel(
        address_, grpc::InsecureChannelCredentials(), args);
    const auto until =
        std::chrono::system_clock::now() + std::chrono::seconds(30);
    while (!channel_->WaitForConnected(std::chrono::system_clock::now() +
                                       std::chrono::milliseconds(100))) {
      ASSERT_FALSE(process_.Exited()) << "turnstile-seat exited";
      ASSERT_LT(std::chrono::system_clock::now(), until) << "no start";
    }
    seat_ = v1::Seat::NewStub(channel_);
    participant_ = v1::Participant::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 10) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() +
                      std::chrono::seconds(seconds));
    return ctx;
  }

  Outcome CreateEvent(const v1::CreateEventRequest& request,
                      v1::Event* out = nullptr) {
    v1::Event event;
    auto status = seat_->CreateEvent(Ctx(30).get(), request, &event);
    if (out) *out = event;
    return OutcomeOf(status);
  }

  Outcome GetSeatMap(const std::string& id, v1::SeatMap* out = nullptr) {
    v1::GetSeatMapRequest request;
    request.set_event_id(id);
    v1::SeatMap map;
    auto status = seat_->GetSeatMap(Ctx(30).get(), request, &map);
    if (out) *out = map;
    return OutcomeOf(status);
  }

  Outcome Hold(const v1::HoldSeatsRequest& request,
               v1::HoldSeatsResponse* out = nullptr) {
    v1::HoldSeatsResponse response;
    auto status = seat_->HoldSeats(Ctx().get(), request, &response);
    if (out) *out = response;
    return OutcomeOf(status);
  }

  Outcome Confirm(const std::string& gid, bool* applied = nullptr,
                  const std::string& branch = "seat") {
    v1::ConfirmRequest request;
    request.mutable_txn()->set_gid(gid);
    request.mutable_txn()->set_branch_id(branch);
    v1::ConfirmResponse response;
    auto status = participant_->Confirm(Ctx().get(), request, &response);
    if (applied) *applied = response.applied();
    return OutcomeOf(status);
  }

  Outcome Cancel(const std::string& gid, bool* applied = nullptr,
                 const std::string& branch = "seat") {
    v1::CancelRequest request;
    request.mutable_txn()->set_gid(gid);
    request.mutable_txn()->set_branch_id(branch);
    request.set_reason(v1::CANCEL_REASON_DEADLINE);
    v1::CancelResponse response;
    auto status = participant_->Cancel(Ctx().get(), request, &response);
    if (applied) *applied = response.applied();
    return OutcomeOf(status);
  }

  std::string Query(const std::string& sql) const {
    return g_pg->Query(db_, sql);
  }
  int64_t Count(const std::string& sql) const { return std::stoll(Query(sql)); }

  // "seat:STATE" of every seat of the event that is not AVAILABLE.
  std::string Taken(const std::string& event) const {
    return Query(
        "SELECT string_agg(seat_id || ':' || state, ',' ORDER BY seat_id) "
        "FROM seat WHERE event_id = '" +
        event + "' AND state <> 'AVAILABLE'");
  }
  // State and holder of one seat, e.g. "HELD:<gid>:seat:alice".
  std::string SeatRow(const std::string& event, const std::string& seat) const {
    return Query(
        "SELECT state || ':' || coalesce(hold_gid::text, '-') || ':' || "
        "coalesce(hold_branch, '-') || ':' || coalesce(hold_user, '-') "
        "FROM seat WHERE event_id = '" +
        event + "' AND seat_id = '" + seat + "'");
  }
  std::string Barrier(const std::string& gid) const {
    return Query(
        "SELECT string_agg(phase, ',' ORDER BY phase) FROM tcc_barrier "
        "WHERE gid = '" +
        gid + "'");
  }
  // Everything a request could change, as one comparable string.
  std::string Snapshot() const {
    return Query(
        "SELECT concat_ws(' | ', "
        "(SELECT count(*) FROM tcc_barrier), "
        "(SELECT string_agg(event_id || ':' || name || ':' || currency || ':' "
        "|| seat_count, ',' ORDER BY event_id) FROM event), "
        "(SELECT count(*) FROM seat), "
        "(SELECT md5(string_agg(event_id || ':' || seat_id || ':' || state || "
        "':' || coalesce(hold_gid::text, '-') || ':' || "
        "coalesce(hold_branch, '-') || ':' || price_minor, ',' "
        "ORDER BY event_id, seat_id)) FROM seat))");
  }

  Outcome Reconcile(const std::string& event,
                    v1::ReconcileSeatsResponse* out = nullptr) {
    v1::ReconcileSeatsRequest request;
    request.set_event_id(event);
    v1::ReconcileSeatsResponse response;
    auto status = seat_->Reconcile(Ctx(30).get(), request, &response);
    if (out) *out = response;
    return OutcomeOf(status);
  }

  // "seat:S|H:<gid>:<branch>" of every taken seat, from PostgreSQL and from
  // the Redis gate (live holds and sales), comparable.
  std::string PgView(const std::string& event) const {
    return Query(
        "SELECT coalesce(string_agg(seat_id || ':' || left(state, 1) || ':' "
        "|| hold_gid || ':' || hold_branch, ',' ORDER BY seat_id), '') FROM "
        "seat WHERE event_id = '" +
        event + "' AND state <> 'AVAILABLE'");
  }
  std::string GateView(const std::string& event) const {
    const auto t = g_redis->RunList({"TIME"});
    const int64_t now = std::stoll(t[0]) * 1000 + std::stoll(t[1]) / 1000;
    std::string out;
    for (const auto& [seat, value] :
         g_redis->HGetAll("ts:{evt:" + event + "}:seats")) {
      std::istringstream in(value);
      std::string state, owner;
      int64_t expiry = 0;
      in >> state >> expiry >> owner;
      if (state == "H" && expiry <= now) continue;
      if (!out.empty()) out += ",";
      out += seat + ":" + state + ":" + owner;
    }
    return out;
  }

  std::string db_;
  std::string address_;
  ChildProcess process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Seat::Stub> seat_;
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

// A 50-seat event: section A, 5 rows of 10.
v1::CreateEventRequest FiftySeats(const std::string& id) {
  v1::CreateEventRequest r = EventRequest(id);
  r.clear_sections();
  *r.add_sections() = Section("A", 5, 10, 1000);
  return r;
}

std::string RandomSeat(std::mt19937& rng) {
  return "A-" + std::to_string(rng() % 5 + 1) + "-" +
         std::to_string(rng() % 10 + 1);
}

TEST_F(SeatConcurrencyTest, TwoHundredBuyersOnFiftySeats) {
  ASSERT_EQ(CreateEvent(FiftySeats("gig")).code, OK);
  constexpr int kBuyers = 200;
  std::vector<std::string> gids(kBuyers);
  for (auto& g : gids) g = NewUuidV7();
  std::vector<std::vector<std::string>> wanted(kBuyers);
  std::mt19937 rng(42);
  for (auto& w : wanted) w = {RandomSeat(rng)};
  std::vector<Outcome> outcomes(kBuyers);
  std::vector<v1::HoldSeatsResponse> responses(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    outcomes[i] = WithRetry([&] {
      return Hold(
          HoldRequest(gids[i], "user" + std::to_string(i), "gig", wanted[i]),
          &responses[i]);
    });
  });
  std::map<std::string, int> winners_of;  // seat -> number of OK callers
  int ok = 0;
  for (int i = 0; i < kBuyers; ++i) {
    if (outcomes[i].code == OK) {
      ++ok;
      ASSERT_EQ(responses[i].seats_size(), 1);
      EXPECT_EQ(responses[i].seats(0).seat_id(), wanted[i][0]);
      ++winners_of[wanted[i][0]];
      EXPECT_EQ(SeatRow("gig", wanted[i][0]),
                "HELD:" + gids[i] + ":seat:user" + std::to_string(i));
    } else {
      EXPECT_EQ(outcomes[i].code, grpc::StatusCode::FAILED_PRECONDITION)
          << outcomes[i];
      EXPECT_EQ(outcomes[i].reason, "SEAT_TAKEN") << outcomes[i];
    }
  }
  for (const auto& [seat, n] : winners_of) EXPECT_EQ(n, 1) << seat;
  // Every distinct seat asked for went to exactly one caller.
  std::set<std::string> distinct;
  for (const auto& w : wanted) distinct.insert(w[0]);
  EXPECT_EQ(ok, static_cast<int>(distinct.size()));
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE state = 'HELD'"), ok);
  EXPECT_EQ(Count("SELECT count(DISTINCT hold_gid) FROM seat"), ok);
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier"), ok);

  // Decide everything at once: winners confirm, losers cancel.
  std::vector<Outcome> decisions(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    decisions[i] = WithRetry([&] {
      return outcomes[i].code == OK ? Confirm(gids[i]) : Cancel(gids[i]);
    });
  });
  for (const Outcome& o : decisions) EXPECT_EQ(o.code, OK) << o;
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE state = 'SOLD'"), ok);
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE state = 'HELD'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE state = 'AVAILABLE'"),
            50 - ok);
  // The gate followed every step without a reconciler pass.
  EXPECT_EQ(GateView("gig"), PgView("gig"));
}

TEST_F(SeatConcurrencyTest, OverlappingMultiSeatHoldsAreAllOrNothing) {
  ASSERT_EQ(CreateEvent(FiftySeats("gig")).code, OK);
  constexpr int kBuyers = 200;
  std::vector<std::string> gids(kBuyers);
  for (auto& g : gids) g = NewUuidV7();
  // 1..4 random distinct seats each, in random order: many requests overlap
  // in several seats, listed in different orders.
  std::vector<std::vector<std::string>> wanted(kBuyers);
  std::mt19937 rng(7);
  for (auto& w : wanted) {
    std::set<std::string> seats;
    const size_t n = rng() % 4 + 1;
    while (seats.size() < n) seats.insert(RandomSeat(rng));
    w.assign(seats.begin(), seats.end());
    std::shuffle(w.begin(), w.end(), rng);
  }
  std::vector<Outcome> outcomes(kBuyers);
  std::vector<v1::HoldSeatsResponse> responses(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    outcomes[i] = WithRetry([&] {
      return Hold(
          HoldRequest(gids[i], "user" + std::to_string(i), "gig", wanted[i]),
          &responses[i]);
    });
  });
  std::map<std::string, std::string> owner;  // seat -> gid told it won
  int ok = 0;
  for (int i = 0; i < kBuyers; ++i) {
    if (outcomes[i].code != OK) {
      EXPECT_EQ(outcomes[i].reason, "SEAT_TAKEN") << outcomes[i];
      continue;
    }
    ++ok;
    ASSERT_EQ(responses[i].seats_size(), static_cast<int>(wanted[i].size()));
    for (const auto& seat : wanted[i]) {
      EXPECT_TRUE(owner.emplace(seat, gids[i]).second)
          << seat << " granted twice";
    }
  }
  EXPECT_GT(ok, 0);
  // The rows say exactly what the callers were told.
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE state = 'HELD'"),
            static_cast<int64_t>(owner.size()));
  for (const auto& [seat, gid] : owner) {
    EXPECT_EQ(Query("SELECT hold_gid FROM seat WHERE seat_id = '" + seat + "'"),
              gid)
        << seat;
  }
  // A refused request held none of its seats.
  for (int i = 0; i < kBuyers; ++i) {
    if (outcomes[i].code == OK) continue;
    EXPECT_EQ(
        Count("SELECT count(*) FROM seat WHERE hold_gid = '" + gids[i] + "'"),
        0);
  }
  // Cancel everything at once, winners and losers: all seats come back.
  std::vector<Outcome> cancels(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    cancels[i] = WithRetry([&] { return Cancel(gids[i]); });
  });
  for (const Outcome& o : cancels) EXPECT_EQ(o.code, OK) << o;
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE state = 'AVAILABLE'"), 50);
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier WHERE phase = 'cancel'"),
            kBuyers);
  EXPECT_EQ(GateView("gig"), "");
}

TEST_F(SeatConcurrencyTest, RacingDuplicatesOfOneBranchApplyOnce) {
  ASSERT_EQ(CreateEvent(FiftySeats("gig")).code, OK);
  const std::string gid = NewUuidV7();
  constexpr int kCopies = 30;
  std::vector<Outcome> holds(kCopies);
  std::vector<v1::HoldSeatsResponse> responses(kCopies);
  RunConcurrently(kCopies, [&](int i) {
    holds[i] = WithRetry([&] {
      return Hold(HoldRequest(gid, "racer", "gig", {"A-3-3", "A-3-4"}),
                  &responses[i]);
    });
  });
  for (int i = 0; i < kCopies; ++i) {
    EXPECT_EQ(holds[i].code, OK) << holds[i];
    EXPECT_EQ(responses[i].seats_size(), 2);
    EXPECT_EQ(responses[i].total().minor_units(), 2000);
  }
  std::atomic<int> applied{0};
  std::vector<Outcome> confirms(kCopies);
  RunConcurrently(kCopies, [&](int i) {
    bool a = false;
    confirms[i] = WithRetry([&] { return Confirm(gid, &a); });
    if (a) ++applied;
  });
  for (const Outcome& o : confirms) EXPECT_EQ(o.code, OK) << o;
  EXPECT_EQ(applied.load(), 1);
  EXPECT_EQ(Taken("gig"), "A-3-3:SOLD,A-3-4:SOLD");
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier"), 2);
  EXPECT_EQ(GateView("gig"), PgView("gig"));
}

// The reconciler runs in a loop (and Redis loses everything once) while 200
// buyers race for 50 seats and then confirm or cancel: PostgreSQL never
// grants a seat twice, every caller is told the truth, and once the dust has
// settled one more pass leaves the gate equal to PostgreSQL.
TEST_F(SeatConcurrencyTest, ReconcileRacingTwoHundredHolders) {
  ASSERT_EQ(CreateEvent(FiftySeats("gig")).code, OK);
  constexpr int kBuyers = 200;
  std::vector<std::string> gids(kBuyers);
  for (auto& g : gids) g = NewUuidV7();
  std::vector<std::vector<std::string>> wanted(kBuyers);
  std::mt19937 rng(11);
  for (auto& w : wanted) {
    std::set<std::string> seats;
    const size_t n = rng() % 2 + 1;
    while (seats.size() < n) seats.insert(RandomSeat(rng));
    w.assign(seats.begin(), seats.end());
  }
  std::atomic<bool> done{false}, flushed{false};
  std::atomic<int> passes{0}, busy{0}, fixes{0}, holds_done{0};
  std::vector<Outcome> failures;
  std::thread reconciler([&] {
    for (;;) {
      // Redis loses everything once, in the middle of the race (always
      // before the loop ends: holds_done is complete before done is set).
      if (!flushed.load() && holds_done.load() >= kBuyers / 4) {
        g_redis->FlushAll();
        flushed = true;
      }
      if (done.load()) break;
      v1::ReconcileSeatsResponse report;
      const Outcome o = Reconcile(passes.load() % 2 ? "gig" : "", &report);
      ++passes;
      if (o.code == OK) {
        fixes += static_cast<int>(report.fixes());
      } else if (o.code == grpc::StatusCode::UNAVAILABLE ||
                 o.code == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        // GATE_BUSY (the gate kept moving) or overload: the next pass
        // tries again.
        ++busy;
      } else {
        failures.push_back(o);
      }
    }
  });

  std::vector<Outcome> outcomes(kBuyers);
  std::vector<v1::HoldSeatsResponse> responses(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    outcomes[i] = WithRetry([&] {
      return Hold(
          HoldRequest(gids[i], "user" + std::to_string(i), "gig", wanted[i]),
          &responses[i]);
    });
    ++holds_done;
  });
  std::map<std::string, std::string> owner;  // seat -> gid told it won
  int ok = 0;
  for (int i = 0; i < kBuyers; ++i) {
    if (outcomes[i].code != OK) {
      EXPECT_EQ(outcomes[i].reason, "SEAT_TAKEN") << outcomes[i];
      continue;
    }
    ++ok;
    ASSERT_EQ(responses[i].seats_size(), static_cast<int>(wanted[i].size()));
    for (const auto& seat : wanted[i]) {
      EXPECT_TRUE(owner.emplace(seat, gids[i]).second)
          << seat << " granted twice";
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE state = 'HELD'"),
            static_cast<int64_t>(owner.size()));
  for (const auto& [seat, gid] : owner) {
    EXPECT_EQ(Query("SELECT hold_gid FROM seat WHERE seat_id = '" + seat + "'"),
              gid)
        << seat;
  }

  // Decide: every other winner confirms, the rest (and every loser) cancel.
  std::vector<Outcome> decisions(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    decisions[i] = WithRetry([&] {
      return outcomes[i].code == OK && i % 2 == 0 ? Confirm(gids[i])
                                                  : Cancel(gids[i]);
    });
  });
  done = true;
  reconciler.join();
  EXPECT_TRUE(flushed.load());
  for (const Outcome& o : decisions) EXPECT_EQ(o.code, OK) << o;
  for (const Outcome& o : failures) ADD_FAILURE() << "reconcile: " << o;
  std::fprintf(stderr, "note: %d reconcile passes, %d busy, %d fixes\n",
               passes.load(), busy.load(), fixes.load());
  EXPECT_GE(passes.load(), 5);

  int64_t sold = 0;
  for (int i = 0; i < kBuyers; i += 2) {
    if (outcomes[i].code == OK) sold += responses[i].seats_size();
  }
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE state = 'SOLD'"), sold);
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE state = 'HELD'"), 0);

  v1::ReconcileSeatsResponse report;
  ASSERT_EQ(Reconcile("gig", &report).code, OK);
  EXPECT_EQ(GateView("gig"), PgView("gig"));
  ASSERT_EQ(Reconcile("gig", &report).code, OK);
  EXPECT_EQ(report.fixes(), 0);
  EXPECT_EQ(report.keys_rebuilt(), 0);
  // The gate works on: every unsold seat can be held, no sold one can.
  for (int row = 1; row <= 5; ++row) {
    for (int n = 1; n <= 10; ++n) {
      const std::string seat =
          "A-" + std::to_string(row) + "-" + std::to_string(n);
      const Outcome o = WithRetry([&] {
        return Hold(HoldRequest(NewUuidV7(), "late", "gig", {seat}));
      });
      const bool was_sold =
          Count("SELECT count(*) FROM seat WHERE seat_id = '" + seat +
                "' AND state = 'SOLD' AND hold_user "
                "<> 'late'") == 1;
      EXPECT_EQ(o.code == OK, !was_sold) << seat << " " << o;
    }
  }
  EXPECT_EQ(GateView("gig"), PgView("gig"));
}

}  // namespace
}  // namespace turnstile
