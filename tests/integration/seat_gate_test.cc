// The seat service with its Redis gate (issue 3 items 2 and 4): the real
// turnstile-seat binary on a private PostgreSQL and a private redis-server,
// called over gRPC. Checks both stores after every step: gate refusals that
// never reach PostgreSQL (no connection, no transaction), PostgreSQL
// refusals that release the gate hold, Confirm/Cancel following in the
// gate, Redis down, and the reconciler rebuilding a lost gate (FLUSHALL,
// restart, start-up, periodic) and repairing drift while counting it.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "services/common/uuid.h"
#include "tests/support/mesh.h"
#include "tests/support/mesh_test.h"
#include "tests/support/seat_harness.h"
#include "tests/support/try_deadline.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile {
namespace {

using testing::FreePort;
using testing::Outcome;
using testing::PgCluster;
using testing::SharedPg;
using testing::SharedRedis;
namespace v1 = turnstile::v1;

class Environment : public ::testing::Environment {
 public:
  void SetUp() override {
    PgCluster& pg = SharedPg();
    // No autovacuum worker may connect to a test database while a test
    // counts its transactions (this cluster is private to this binary).
    pg.Query("postgres", "ALTER SYSTEM SET autovacuum = off");
    pg.Query("postgres", "SELECT pg_reload_conf()");
    SharedRedis();
  }
};

[[maybe_unused]] auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new Environment);

constexpr auto OK = grpc::StatusCode::OK;
constexpr int64_t kMarginMs = 60'000;  // --gate_hold_margin_s=60

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sections A (2 rows x 3 seats at 5000) and B (1 row x 2 seats at 2500).
v1::CreateEventRequest EventRequest(const std::string& id) {
  v1::CreateEventRequest r;
  r.set_event_id(id);
  r.set_name("Concert " + id);
  r.mutable_starts_at()->set_seconds(1'900'000'000);
  r.set_currency("EUR");
  auto* a = r.add_sections();
  a->set_name("A");
  a->set_rows(2);
  a->set_seats_per_row(3);
  a->set_price_minor_units(5000);
  auto* b = r.add_sections();
  b->set_name("B");
  b->set_rows(1);
  b->set_seats_per_row(2);
  b->set_price_minor_units(2500);
  return r;
}

v1::HoldSeatsRequest HoldRequest(const std::string& gid,
                                 const std::vector<std::string>& seats,
                                 const std::string& event = "gig") {
  v1::HoldSeatsRequest r;
  r.mutable_txn()->set_gid(gid);
  r.mutable_txn()->set_branch_id("seat");
  r.set_user_id("u" + gid.substr(30));
  testing::SetTryDeadline(r.mutable_deadline());
  r.set_event_id(event);
  for (const auto& s : seats) r.add_seat_ids(s);
  return r;
}

// One plain HTTP/1.0 GET of the metrics endpoint; the body.
std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\n\r\n";
    if (write(fd, request.data(), request.size()) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
    }
  }
  close(fd);
  return out;
}

// Sum of every sample of `metric` (any labels) whose labels contain
// `label` (e.g. reason="SEAT_TAKEN"; "" = all) in a Prometheus text page.
double MetricSum(const std::string& page, const std::string& metric,
                 const std::string& label = "") {
  double sum = 0;
  std::istringstream in(page);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(metric + "{", 0) != 0 && line.rfind(metric + " ", 0) != 0) {
      continue;
    }
    if (!label.empty() && line.find(label) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

class SeatGateTest : public testing::SeatHarness {
 protected:
  SeatGateTest() : SeatHarness("seat_gate", 60) {
    cancel_reason_ = v1::CANCEL_REASON_TRY_FAILED;
  }

  void SetUp() override {
    SeatHarness::SetUp();
    Start();
  }

  // Starts the binary (periodic reconciler off unless `extra` says
  // otherwise) and waits until it serves.
  void Start(const std::vector<std::string>& extra = {}) {
    metrics_port_ = FreePort();
    std::vector<std::string> args = {
        "--metrics_listen=127.0.0.1:" + std::to_string(metrics_port_),
        "--pg_pool_size=8", RedisFlag(), "--reconcile_interval_s=0",
        "--gate_hold_margin_s=60"};
    args.insert(args.end(), extra.begin(), extra.end());
    Launch(args);
  }

  using SeatHarness::CreateEvent;
  Outcome CreateEvent(const std::string& id) {
    return CreateEvent(EventRequest(id));
  }

  using SeatHarness::Hold;
  Outcome Hold(const std::string& gid, const std::vector<std::string>& seats) {
    return Hold(HoldRequest(gid, seats));
  }
  std::string Metrics() { return HttpGet(metrics_port_, "/metrics"); }
  // Everything a request could change, as one comparable string.
  std::string Snapshot() const {
    return Query(
        "SELECT concat_ws(' | ', (SELECT count(*) FROM tcc_barrier), "
        "(SELECT md5(string_agg(event_id || ':' || seat_id || ':' || state || "
        "':' || coalesce(hold_gid::text, '-') || ':' || "
        "coalesce(hold_branch, '-') || ':' || "
        "coalesce(hold_expires_at::text, '-'), ',' "
        "ORDER BY event_id, seat_id)) FROM seat))");
  }
  int64_t PgExpiryMs(const std::string& seat) const {
    return Count(
        "SELECT (extract(epoch FROM hold_expires_at) * 1000)::bigint FROM "
        "seat WHERE event_id = 'gig' AND seat_id = '" +
        seat + "'");
  }
  // Transactions committed or rolled back in the seat database so far, read
  // from another database so that the reading does not count.
  int64_t Transactions() const {
    return std::stoll(SharedPg().Query(
        "postgres",
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE "
        "datname = '" +
            db_ + "'"));
  }
  int64_t Backends() const {
    return std::stoll(SharedPg().Query(
        "postgres",
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + db_ + "'"));
  }
  // Ends every connection to the seat database (their statistics are
  // flushed as they exit) and waits until they are gone. The service's pool
  // then holds dead connections: any statement it runs later opens a new
  // one.
  void DropConnections() const {
    SharedPg().Query(
        "postgres",
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = '" +
            db_ + "'");
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (Backends() > 0) {
      ASSERT_LT(std::chrono::steady_clock::now(), until);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // A backend leaves pg_stat_activity just before it flushes its
    // statistics: wait until the counters settle.
    for (int64_t last = -1, now = Transactions(); now != last;
         last = now, now = Transactions()) {
      ASSERT_LT(std::chrono::steady_clock::now(), until);
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
  }
  // --- Redis --------------------------------------------------------------
  static std::string Key(const std::string& event, const std::string& suffix) {
    return "ts:{evt:" + event + "}:" + suffix;
  }
  std::map<std::string, std::string> GateSeats(
      const std::string& event = "gig") {
    return SharedRedis().HGetAll(Key(event, "seats"));
  }
  std::string OwnerRecord(const std::string& gid,
                          const std::string& event = "gig") {
    return SharedRedis().Run({"GET", Key(event, "own:" + gid + ":seat")});
  }
  int64_t RedisNowMs() {
    const auto t = SharedRedis().RunList({"TIME"});
    return std::stoll(t[0]) * 1000 + std::stoll(t[1]) / 1000;
  }
  bool GateExists(const std::string& event = "gig") {
    return SharedRedis().Run({"EXISTS", Key(event, "meta")}) == "1";
  }
  std::string GateVer(const std::string& event = "gig") {
    return SharedRedis().Run({"HGET", Key(event, "meta"), "ver"});
  }

  int metrics_port_ = 0;
};

// "H <expiry> <gid>:seat" / "S 0 <gid>:seat", as the gate stores a seat.
std::string Held(const std::string& gid, int64_t expiry_ms) {
  return "H " + std::to_string(expiry_ms) + " " + gid + ":seat";
}
std::string Sold(const std::string& gid) { return "S 0 " + gid + ":seat"; }

TEST_F(SeatGateTest, CreateEventInitialisesAnEmptyGate) {
  // A stale gate under the same key (another database's event) is replaced.
  SharedRedis().Run({"HSET", Key("gig", "meta"), "ver", "7"});
  SharedRedis().Run({"HSET", Key("gig", "seats"), "A-1-1", Sold(NewUuidV7())});
  ASSERT_EQ(CreateEvent("gig").code, OK);
  EXPECT_TRUE(GateExists());
  EXPECT_TRUE(GateSeats().empty());
  EXPECT_EQ(GateView(), PgView());
  ASSERT_EQ(Hold(NewUuidV7(), {"A-1-1"}).code, OK);
  // ALREADY_EXISTS leaves the live gate alone.
  const auto before = GateSeats();
  EXPECT_EQ(CreateEvent("gig").code, grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(GateSeats(), before);
}

TEST_F(SeatGateTest, GateRefusalNeverReachesPostgres) {
  ASSERT_EQ(CreateEvent("gig").code, OK);
  const std::string holder = NewUuidV7();
  ASSERT_EQ(Hold(holder, {"A-1-1", "A-1-2"}).code, OK);
  const std::string sold = NewUuidV7();
  ASSERT_EQ(Hold(sold, {"B-1-1"}).code, OK);
  ASSERT_EQ(Confirm(sold).code, OK);
  // A fresh process: even the first Try after start-up needs no query.
  ASSERT_EQ(Stop(), 0);
  ASSERT_NO_FATAL_FAILURE(Start());
  const auto gate_before = SharedRedis().Snapshot();
  const std::string pg_before = Snapshot();
  ASSERT_NO_FATAL_FAILURE(DropConnections());
  const int64_t xacts = Transactions();

  std::vector<std::string> refused;
  for (int i = 0; i < 40; ++i) {
    const std::string gid = NewUuidV7();
    refused.push_back(gid);
    std::vector<std::string> seats;
    switch (i % 4) {
      case 0:
        seats = {"A-1-2"};
        break;
      case 1:
        seats = {"A-2-1", "A-1-1"};
        break;  // one free, one taken
      case 2:
        seats = {"B-1-1"};
        break;  // sold
      case 3:
        seats = {"B-1-2", "A-1-2", "B-1-1"};
        break;
    }
    const Outcome o = Hold(gid, seats);
    ASSERT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION) << i << " " << o;
    EXPECT_EQ(o.reason, "SEAT_TAKEN") << o;
    if (i % 4 == 2) EXPECT_NE(o.message.find("B-1-1"), std::string::npos) << o;
  }
  // No connection was opened and no transaction ran in the seat database
  // (terminated backends flushed their statistics before exiting).
  EXPECT_EQ(Backends(), 0);
  EXPECT_EQ(Transactions(), xacts);
  // Nothing changed anywhere: no hold, no owner record of a loser.
  EXPECT_EQ(SharedRedis().Snapshot(), gate_before);
  EXPECT_EQ(OwnerRecord(refused[0]), "(nil)");
  EXPECT_EQ(Snapshot(), pg_before);
  EXPECT_EQ(MetricSum(Metrics(), "turnstile_gate_refusals_total",
                      "reason=\"SEAT_TAKEN\""),
            40);

  // The measurement can fail: a hold that passes the gate shows up. (The
  // pool first finds its connection dead: a transient error, retried.)
  const std::string winner = NewUuidV7();
  Outcome o;
  for (int i = 0; i < 5; ++i) {
    o = Hold(winner, {"A-2-1"});
    if (o.code != grpc::StatusCode::UNAVAILABLE) break;
  }
  ASSERT_EQ(o.code, OK) << o;
  EXPECT_GT(Backends(), 0);
  ASSERT_NO_FATAL_FAILURE(DropConnections());
  EXPECT_GT(Transactions(), xacts);
  EXPECT_EQ(GateSeats()["A-2-1"].substr(0, 2), "H ");
}

TEST_F(SeatGateTest, PostgresRefusalReleasesTheGateHold) {
  ASSERT_EQ(CreateEvent("gig").code, OK);
  // A-1-1 is HELD in PostgreSQL only: the gate lets a buyer through.
  const std::string ghost = NewUuidV7();
  Query("UPDATE seat SET state = 'HELD', hold_gid = '" + ghost +
        "', hold_branch = 'seat', hold_user = 'ghost', hold_expires_at = "
        "now() + interval '1 hour' WHERE seat_id = 'A-1-1' RETURNING 1");
  const std::string pg_before = Snapshot();
  const std::string gid = NewUuidV7();
  const Outcome o = Hold(gid, {"A-1-2", "A-1-1"});
  EXPECT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION) << o;
  EXPECT_EQ(o.reason, "SEAT_TAKEN");
  EXPECT_NE(o.message.find("A-1-1"), std::string::npos) << o;
  EXPECT_EQ(Snapshot(), pg_before);
  // The gate hold of both seats was released, and recorded as released.
  EXPECT_TRUE(GateSeats().empty());
  EXPECT_EQ(OwnerRecord(gid), "X 2");
  // So the free seat can go to the next buyer at once.
  const std::string next = NewUuidV7();
  ASSERT_EQ(Hold(next, {"A-1-2"}).code, OK);
  EXPECT_EQ(PgView(), "A-1-1:H:" + ghost + ":seat,A-1-2:H:" + next + ":seat");
  EXPECT_EQ(GateView(), "A-1-2:H:" + next + ":seat");

  // A Try refused by the barrier (its Cancel came first) releases too, and
  // a repeat of it is then refused by the gate without PostgreSQL.
  const std::string late = NewUuidV7();
  bool applied = true;
  ASSERT_EQ(Cancel(late, &applied).code, OK);
  EXPECT_FALSE(applied);
  const Outcome refused = Hold(late, {"B-1-1"});
  EXPECT_EQ(refused.code, grpc::StatusCode::ABORTED) << refused;
  EXPECT_EQ(refused.reason, "BRANCH_CANCELLED");
  EXPECT_EQ(GateSeats().count("B-1-1"), 0u);
  EXPECT_EQ(OwnerRecord(late), "X 1");
  ASSERT_NO_FATAL_FAILURE(DropConnections());
  const int64_t xacts = Transactions();
  const Outcome again = Hold(late, {"B-1-1"});
  EXPECT_EQ(again.code, grpc::StatusCode::ABORTED) << again;
  EXPECT_EQ(again.reason, "BRANCH_CANCELLED");
  EXPECT_EQ(Backends(), 0);
  EXPECT_EQ(Transactions(), xacts);
  EXPECT_EQ(Count("SELECT count(*) FROM seat WHERE seat_id = 'B-1-1' AND "
                  "state = 'AVAILABLE'"),
            1);
}

TEST_F(SeatGateTest, ConfirmAndCancelUpdateBoth) {
  ASSERT_EQ(CreateEvent("gig").code, OK);
  const std::string buyer = NewUuidV7();
  ASSERT_EQ(Hold(buyer, {"B-1-2", "A-1-1"}).code, OK);
  auto gate = GateSeats();
  ASSERT_EQ(gate.size(), 2u);
  const int64_t expiry = PgExpiryMs("A-1-1");
  EXPECT_EQ(gate["A-1-1"], Held(buyer, expiry));
  EXPECT_EQ(gate["B-1-2"], Held(buyer, expiry));
  EXPECT_EQ(OwnerRecord(buyer), "H " + std::to_string(expiry) + " 2");

  bool applied = false;
  ASSERT_EQ(Confirm(buyer, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(PgView(), "A-1-1:S:" + buyer + ":seat,B-1-2:S:" + buyer + ":seat");
  gate = GateSeats();
  EXPECT_EQ(gate["A-1-1"], Sold(buyer));
  EXPECT_EQ(gate["B-1-2"], Sold(buyer));
  EXPECT_EQ(OwnerRecord(buyer), "C 2");
  ASSERT_EQ(Confirm(buyer, &applied).code, OK);  // repeat: nothing new
  EXPECT_FALSE(applied);
  EXPECT_EQ(GateSeats(), gate);

  const std::string quitter = NewUuidV7();
  ASSERT_EQ(Hold(quitter, {"A-2-2"}).code, OK);
  EXPECT_EQ(GateSeats().count("A-2-2"), 1u);
  ASSERT_EQ(Cancel(quitter, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(GateSeats().count("A-2-2"), 0u);
  EXPECT_EQ(OwnerRecord(quitter), "X 1");
  ASSERT_EQ(Cancel(quitter, &applied).code, OK);
  EXPECT_FALSE(applied);
  // A late repeat of the cancelled Try is refused; the seat is free.
  EXPECT_EQ(Hold(quitter, {"A-2-2"}).reason, "BRANCH_CANCELLED");
  const std::string next = NewUuidV7();
  ASSERT_EQ(Hold(next, {"A-2-2"}).code, OK);
  // A Cancel after the Confirm changes neither store.
  ASSERT_EQ(Cancel(buyer, &applied).code, OK);
  EXPECT_FALSE(applied);
  EXPECT_EQ(GateSeats()["A-1-1"], Sold(buyer));
  // Sold seats are refused by the gate.
  EXPECT_EQ(Hold(NewUuidV7(), {"A-1-1"}).reason, "SEAT_TAKEN");
  EXPECT_EQ(GateView(), PgView());
  EXPECT_EQ(PgView(), "A-1-1:S:" + buyer + ":seat,A-2-2:H:" + next +
                          ":seat,B-1-2:S:" + buyer + ":seat");
}

TEST_F(SeatGateTest, DeadlineSetsTheHoldExpiryInBothStores) {
  ASSERT_EQ(CreateEvent("gig").code, OK);
  const int64_t deadline_s = NowMs() / 1000 + 120;
  v1::HoldSeatsRequest request = HoldRequest(NewUuidV7(), {"A-1-1"});
  request.mutable_deadline()->set_seconds(deadline_s);
  request.mutable_deadline()->set_nanos(250'000'000);
  ASSERT_EQ(Hold(request).code, OK);
  const int64_t want = deadline_s * 1000 + 250 + kMarginMs;
  EXPECT_EQ(PgExpiryMs("A-1-1"), want);
  EXPECT_EQ(GateSeats()["A-1-1"], Held(request.txn().gid(), want));

  // Too late or no deadline at all: refused before the gate, nothing
  // anywhere.
  const auto gate_before = SharedRedis().Snapshot();
  const std::string pg_before = Snapshot();
  v1::HoldSeatsRequest plain = HoldRequest(NewUuidV7(), {"A-1-2"});
  plain.clear_deadline();
  EXPECT_EQ(Hold(plain).code, grpc::StatusCode::INVALID_ARGUMENT);
  v1::HoldSeatsRequest late = HoldRequest(NewUuidV7(), {"A-1-3"});
  late.mutable_deadline()->set_seconds(NowMs() / 1000 - 600);
  const Outcome o = Hold(late);
  EXPECT_EQ(o.code, grpc::StatusCode::ABORTED) << o;
  EXPECT_EQ(o.reason, "TXN_DEADLINE");
  EXPECT_EQ(SharedRedis().Snapshot(), gate_before);
  EXPECT_EQ(Snapshot(), pg_before);

  // Malformed deadlines: INVALID_ARGUMENT before anything.
  for (auto [seconds, nanos] : std::vector<std::pair<int64_t, int32_t>>{
           {deadline_s, -1},
           {deadline_s, 1'000'000'000},
           {5, 0},
           {NowMs() / 1000 + 40 * 86400, 0}}) {
    v1::HoldSeatsRequest bad = HoldRequest(NewUuidV7(), {"A-1-3"});
    bad.mutable_deadline()->set_seconds(seconds);
    bad.mutable_deadline()->set_nanos(nanos);
    const Outcome b = Hold(bad);
    EXPECT_EQ(b.code, grpc::StatusCode::INVALID_ARGUMENT)
        << seconds << "." << nanos << " " << b;
  }
  EXPECT_EQ(SharedRedis().Snapshot(), gate_before);
  EXPECT_EQ(Snapshot(), pg_before);
}

TEST_F(SeatGateTest, RedisDownRefusesTriesButNotConfirmOrCancel) {
  ASSERT_EQ(CreateEvent("gig").code, OK);
  const std::string buyer = NewUuidV7(), quitter = NewUuidV7();
  ASSERT_EQ(Hold(buyer, {"A-1-1"}).code, OK);
  ASSERT_EQ(Hold(quitter, {"A-1-2"}).code, OK);
  SharedRedis().Stop();
  const std::string pg_before = Snapshot();
  const Outcome o = Hold(NewUuidV7(), {"A-1-3"});
  EXPECT_EQ(o.code, grpc::StatusCode::UNAVAILABLE) << o;
  EXPECT_EQ(o.reason, "REDIS_UNAVAILABLE");
  EXPECT_EQ(Snapshot(), pg_before);
  // PostgreSQL decides; the gate is repaired later.
  bool applied = false;
  ASSERT_EQ(Confirm(buyer, &applied).code, OK);
  EXPECT_TRUE(applied);
  ASSERT_EQ(Cancel(quitter, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(PgView(), "A-1-1:S:" + buyer + ":seat");
  const std::string page = Metrics();
  EXPECT_EQ(MetricSum(page, "turnstile_seat_gate_calls_total",
                      "result=\"REDIS_ERROR\""),
            3);

  SharedRedis().StartAgain();  // empty
  v1::ReconcileSeatsResponse report;
  ASSERT_EQ(Reconcile("gig", &report).code, OK);
  EXPECT_EQ(report.events_checked(), 1);
  EXPECT_EQ(report.keys_rebuilt(), 1);
  EXPECT_EQ(GateView(), PgView());
  EXPECT_EQ(GateView(), "A-1-1:S:" + buyer + ":seat");
  EXPECT_EQ(Hold(NewUuidV7(), {"A-1-1"}).reason, "SEAT_TAKEN");
  ASSERT_EQ(Hold(NewUuidV7(), {"A-1-2"}).code, OK);
}

TEST_F(SeatGateTest, MissingGateIsRebuiltOnTheSpotByATry) {
  ASSERT_EQ(CreateEvent("gig").code, OK);
  const std::string buyer = NewUuidV7(), holder = NewUuidV7();
  ASSERT_EQ(Hold(buyer, {"A-1-1"}).code, OK);
  ASSERT_EQ(Confirm(buyer).code, OK);
  ASSERT_EQ(Hold(holder, {"A-1-2"}).code, OK);
  const int64_t expiry = PgExpiryMs("A-1-2");
  SharedRedis().FlushAll();
  // The first Try finds no gate, rebuilds it from PostgreSQL and is
  // answered from the rebuilt gate.
  const Outcome o = Hold(NewUuidV7(), {"A-1-3", "A-1-1"});
  EXPECT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION) << o;
  EXPECT_EQ(o.reason, "SEAT_TAKEN");
  auto gate = GateSeats();
  EXPECT_EQ(gate.size(), 2u);
  EXPECT_EQ(gate["A-1-1"], Sold(buyer));
  EXPECT_EQ(gate["A-1-2"], Held(holder, expiry));
  EXPECT_EQ(Hold(NewUuidV7(), {"A-1-2"}).reason, "SEAT_TAKEN");
  const std::string next = NewUuidV7();
  ASSERT_EQ(Hold(next, {"A-1-3"}).code, OK);
  // The rebuilt gate has no owner records; Confirm works all the same.
  ASSERT_EQ(Confirm(holder).code, OK);
  EXPECT_EQ(GateSeats()["A-1-2"], Sold(holder));
  EXPECT_EQ(GateView(), PgView());
}

TEST_F(SeatGateTest, ReconcileRebuildsAfterFlushAllAndRestart) {
  ASSERT_EQ(CreateEvent("gig").code, OK);
  ASSERT_EQ(CreateEvent("other").code, OK);
  const std::string sold = NewUuidV7(), held = NewUuidV7(), gone = NewUuidV7(),
                    other = NewUuidV7();
  ASSERT_EQ(Hold(sold, {"A-1-1", "A-1-2"}).code, OK);
  ASSERT_EQ(Confirm(sold).code, OK);
  ASSERT_EQ(Hold(held, {"B-1-1"}).code, OK);
  ASSERT_EQ(Hold(gone, {"A-2-1"}).code, OK);
  ASSERT_EQ(Cancel(gone).code, OK);
  ASSERT_EQ(Hold(HoldRequest(other, {"A-1-1"}, "other")).code, OK);
  const std::string gig = PgView("gig"), oth = PgView("other");
  ASSERT_EQ(GateView("gig"), gig);
  ASSERT_EQ(GateView("other"), oth);
  const int64_t expiry = PgExpiryMs("B-1-1");

  for (const char* how : {"flushall", "restart"}) {
    SCOPED_TRACE(how);
    if (std::string(how) == "flushall") {
      SharedRedis().FlushAll();
    } else {
      SharedRedis().Restart();
    }
    EXPECT_FALSE(GateExists("gig"));
    v1::ReconcileSeatsResponse report;
    ASSERT_EQ(Reconcile("", &report).code, OK);
    EXPECT_EQ(report.events_checked(), 2);
    EXPECT_EQ(report.keys_rebuilt(), 2);
    EXPECT_EQ(report.fixes(), 0);
    ASSERT_EQ(report.differences_size(), 2);
    EXPECT_NE(report.differences(0).find("1 held and 2 sold"),
              std::string::npos)
        << report.differences(0);
    EXPECT_EQ(GateView("gig"), gig);
    EXPECT_EQ(GateView("other"), oth);
    // Held seats keep their expiry.
    EXPECT_EQ(GateSeats("gig")["B-1-1"], Held(held, expiry));
    // A second pass finds nothing to do and writes nothing.
    const std::string ver = GateVer("gig");
    ASSERT_EQ(Reconcile("", &report).code, OK);
    EXPECT_EQ(report.keys_rebuilt(), 0);
    EXPECT_EQ(report.fixes(), 0);
    EXPECT_EQ(report.differences_size(), 0);
    EXPECT_EQ(GateVer("gig"), ver);
    // The rebuilt gate works: sold and held seats refused, others free.
    EXPECT_EQ(Hold(NewUuidV7(), {"A-1-2"}).reason, "SEAT_TAKEN");
    EXPECT_EQ(Hold(NewUuidV7(), {"B-1-1"}).reason, "SEAT_TAKEN");
  }
  ASSERT_EQ(Confirm(held).code, OK);
  EXPECT_EQ(GateSeats("gig")["B-1-1"], Sold(held));
  EXPECT_EQ(GateView("gig"), PgView("gig"));
  // Unknown or malformed events.
  EXPECT_EQ(Reconcile("nope").code, grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reconcile("a b").code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_FALSE(GateExists("nope"));
}

TEST_F(SeatGateTest, ReconcileRepairsDriftAndCountsIt) {
  ASSERT_EQ(CreateEvent("gig").code, OK);
  const std::string sold = NewUuidV7(), held = NewUuidV7(), held2 = NewUuidV7(),
                    cancelled = NewUuidV7(), flying = NewUuidV7(),
                    stranger = NewUuidV7();
  ASSERT_EQ(Hold(sold, {"A-1-1"}).code, OK);
  ASSERT_EQ(Confirm(sold).code, OK);
  ASSERT_EQ(Hold(held, {"A-1-2"}).code, OK);
  ASSERT_EQ(Hold(held2, {"A-1-3"}).code, OK);
  ASSERT_EQ(Hold(cancelled, {"B-1-1"}).code, OK);
  ASSERT_EQ(Cancel(cancelled).code, OK);
  const int64_t now = RedisNowMs();
  const int64_t later = now + 600'000;
  const std::string seats = Key("gig", "seats");
  // Drift, one of each kind.
  SharedRedis().Run({"HSET", seats, "A-2-1", Sold(stranger)});  // sold, PG free
  SharedRedis().Run({"HDEL", seats, "A-1-1"});                  // PG sold, free
  SharedRedis().Run({"HSET", seats, "A-1-2", Sold(held)});      // PG held, sold
  SharedRedis().Run({"HSET", seats, "A-1-3", Held(stranger, later)});  // other
  SharedRedis().Run({"HSET", seats, "A-2-3", Held(stranger, now - 1000)});
  SharedRedis().Run(
      {"HSET", seats, "B-1-1", Held(cancelled, later)});  // decided
  // A Try between its gate step and PostgreSQL: not drift, left alone.
  SharedRedis().Run({"HSET", seats, "A-2-2", Held(flying, later)});

  v1::ReconcileSeatsResponse report;
  ASSERT_EQ(Reconcile("gig", &report).code, OK);
  EXPECT_EQ(report.events_checked(), 1);
  EXPECT_EQ(report.keys_rebuilt(), 0);
  EXPECT_EQ(report.fixes(), 6);
  std::string all;
  for (const auto& line : report.differences()) all += line + "\n";
  for (const char* want :
       {"gig/A-2-1 sold_but_free", "gig/A-1-1 sold_missing",
        "gig/A-1-2 held_but_sold", "gig/A-1-3 held_by_other",
        "gig/A-2-3 lapsed_hold", "gig/B-1-1 finished_hold"}) {
    EXPECT_NE(all.find(want), std::string::npos) << want << " in\n" << all;
  }
  EXPECT_EQ(all.find("A-2-2"), std::string::npos) << all;
  auto gate = GateSeats();
  EXPECT_EQ(gate.size(), 4u);
  EXPECT_EQ(gate["A-1-1"], Sold(sold));
  EXPECT_EQ(gate["A-1-2"], Held(held, PgExpiryMs("A-1-2")));
  EXPECT_EQ(gate["A-1-3"], Held(held2, PgExpiryMs("A-1-3")));
  EXPECT_EQ(gate["A-2-2"], Held(flying, later));
  EXPECT_EQ(GateView(), PgView() + ",A-2-2:H:" + flying + ":seat");
  const std::string page = Metrics();
  EXPECT_EQ(MetricSum(page, "turnstile_reconcile_fixes_total"), 6);
  EXPECT_EQ(MetricSum(page, "turnstile_reconcile_fixes_total",
                      "kind=\"sold_missing\""),
            1);

  // Once repaired, a pass finds nothing.
  ASSERT_EQ(Reconcile("gig", &report).code, OK);
  EXPECT_EQ(report.fixes(), 0);
  EXPECT_EQ(report.differences_size(), 0);
  // The in-flight hold goes once PostgreSQL has decided its branch.
  bool applied = true;
  ASSERT_EQ(Cancel(flying, &applied).code, OK);  // empty rollback
  EXPECT_FALSE(applied);
  ASSERT_EQ(Reconcile("gig", &report).code, OK);
  EXPECT_EQ(report.fixes(), 1);
  EXPECT_EQ(GateView(), PgView());
  // The repaired gate drives the next calls correctly.
  ASSERT_EQ(Confirm(held).code, OK);
  EXPECT_EQ(GateSeats()["A-1-2"], Sold(held));
  ASSERT_EQ(Hold(NewUuidV7(), {"A-2-1"}).code, OK);
  EXPECT_EQ(GateView(), PgView());
}

TEST_F(SeatGateTest, StartupAndPeriodicPassesRebuildTheGate) {
  ASSERT_EQ(CreateEvent("gig").code, OK);
  const std::string buyer = NewUuidV7();
  ASSERT_EQ(Hold(buyer, {"A-1-1"}).code, OK);
  ASSERT_EQ(Confirm(buyer).code, OK);
  ASSERT_EQ(Stop(), 0);
  SharedRedis().FlushAll();
  ASSERT_NO_FATAL_FAILURE(Start());
  // Rebuilt before the port opened.
  EXPECT_EQ(GateView(), "A-1-1:S:" + buyer + ":seat");

  ASSERT_EQ(Stop(), 0);
  ASSERT_NO_FATAL_FAILURE(Start({"--reconcile_interval_s=1"}));
  SharedRedis().FlushAll();
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!GateExists()) {
    ASSERT_LT(std::chrono::steady_clock::now(), until) << "no periodic pass";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(GateView(), PgView());
  EXPECT_EQ(GateView(), "A-1-1:S:" + buyer + ":seat");
}

// PostgreSQL fails transiently after the gate passed: the gate hold stays for
// the caller's retry; a Cancel with nothing in PostgreSQL still releases it.
TEST_F(SeatGateTest, TransientPostgresFailureKeepsTheHoldForTheRetry) {
  ASSERT_EQ(CreateEvent("gig").code, OK);
  ASSERT_EQ(Hold(NewUuidV7(), {"A-2-3"}).code, OK);  // warm up the pool

  ASSERT_NO_FATAL_FAILURE(DropConnections());
  const std::string retried = NewUuidV7();
  Outcome o = Hold(retried, {"A-1-1"});
  ASSERT_EQ(o.code, grpc::StatusCode::UNAVAILABLE) << o;
  EXPECT_EQ(
      Count("SELECT count(*) FROM seat WHERE hold_gid = '" + retried + "'"), 0);
  EXPECT_EQ(GateSeats()["A-1-1"].substr(0, 2), "H ");
  EXPECT_EQ(Hold(NewUuidV7(), {"A-1-1"}).reason, "SEAT_TAKEN");
  ASSERT_EQ(Hold(retried, {"A-1-1"}).code, OK);  // the retry goes through
  EXPECT_EQ(Query("SELECT state || ':' || hold_gid FROM seat WHERE seat_id = "
                  "'A-1-1'"),
            "HELD:" + retried);
  EXPECT_EQ(GateView(), PgView());

  ASSERT_NO_FATAL_FAILURE(DropConnections());
  const std::string abandoned = NewUuidV7();
  o = Hold(abandoned, {"B-1-1", "B-1-2"});
  ASSERT_EQ(o.code, grpc::StatusCode::UNAVAILABLE) << o;
  EXPECT_EQ(GateSeats().count("B-1-2"), 1u);
  bool applied = true;
  ASSERT_EQ(Cancel(abandoned, &applied).code, OK);
  EXPECT_FALSE(applied);  // nothing in PostgreSQL
  EXPECT_EQ(GateSeats().count("B-1-1"), 0u);
  EXPECT_EQ(GateSeats().count("B-1-2"), 0u);
  EXPECT_EQ(OwnerRecord(abandoned), "X 2");
  EXPECT_EQ(Hold(abandoned, {"B-1-1", "B-1-2"}).reason, "BRANCH_CANCELLED");
  ASSERT_EQ(Hold(NewUuidV7(), {"B-1-2"}).code, OK);
  EXPECT_EQ(GateView(), PgView());
}

}  // namespace
}  // namespace turnstile
