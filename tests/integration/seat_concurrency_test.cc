// Concurrency tests of the seat service: the real turnstile-seat binary on a
// private PostgreSQL, hammered by many simultaneous gRPC calls. Checks that
// no seat is ever held or sold twice, that overlapping multi-seat holds stay
// all or nothing without deadlocking, and that the rows agree with what the
// callers were told.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "services/common/uuid.h"
#include "tests/support/mesh_test.h"
#include "tests/support/seat_harness.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile {
namespace {

using testing::EventRequest;
using testing::HoldRequest;
using testing::Outcome;
using testing::RunConcurrently;
using testing::Section;
using testing::SharedPg;
using testing::SharedRedis;
namespace v1 = turnstile::v1;

// Calls of the current test retried after RESOURCE_EXHAUSTED/UNAVAILABLE.
std::atomic<int> g_transient_retries{0};

class SeatConcurrencyTest : public testing::SeatHarness {
 protected:
  SeatConcurrencyTest() : SeatHarness("seat_conc", 40) {}

  void SetUp() override {
    SeatHarness::SetUp();
    Start();
  }

  void TearDown() override {
    SeatHarness::TearDown();
    if (const int n = g_transient_retries.exchange(0); n > 0) {
      std::fprintf(stderr, "note: %d calls retried after a transient error\n",
                   n);
    }
  }

  // Starts the binary on a fresh port and waits until it serves.
  void Start() {
    LaunchSeat({"--metrics_listen=", "--pg_pool_size=16", RedisFlag()});
  }
};

constexpr auto OK = grpc::StatusCode::OK;

// Overload answers (RESOURCE_EXHAUSTED, UNAVAILABLE) are retried as a caller
// would: safe, because the barrier makes every phase idempotent. They are
// counted and reported, so that a test run shows how often it happened.
template <typename F>
Outcome WithRetry(F call) {
  return testing::RetryTransient(call, 20, 10,
                                 [](const Outcome&) { ++g_transient_retries; });
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
        SharedRedis().FlushAll();
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
