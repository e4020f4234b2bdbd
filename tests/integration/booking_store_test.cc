// services/booking/store.h against a real PostgreSQL (migrated sql/booking):
// the catalogues, the three TCC phases inside the barrier (repeat, mismatch,
// Try after Cancel, BRANCH_NOT_TRIED), groups held all or nothing, the
// quotas under concurrent holders and given back by Cancel, 200 concurrent
// buyers of overlapping windows of one machine (no overlap sold, every loser
// SLOT_TAKEN with nothing held, adjacent windows both sell), the legs of a
// 10-stop run, the orphan sweep's list and the reconciler's snapshot.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "services/booking/model.h"
#include "services/booking/store.h"
#include "services/booking/validation.h"
#include "services/common/migrate.h"
#include "services/common/status.h"
#include "services/common/uuid.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_process.h"

ABSL_DECLARE_FLAG(int, pg_pool_max_wait_ms);

namespace turnstile::booking {
namespace {

using turnstile::testing::SharedPg;

constexpr absl::CivilDay kDay(2026, 12, 24);

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class BookingStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 200 concurrent holders share the pool: let them wait for it.
    absl::SetFlag(&FLAGS_pg_pool_max_wait_ms, 30000);
    db_ = testing::TestDatabaseName("bstore");
    SharedPg().CreateDatabase(db_, "booking");
    auto migrated = Migrate(SharedPg().OwnerConninfo(db_, "booking"),
                            MigrationDir("booking"));
    ASSERT_TRUE(migrated.ok()) << migrated.status();
    ASSERT_EQ(*migrated, testing::MigrationCount("booking"));
    store_ = std::make_unique<BookingStore>(
        SharedPg().OwnerConninfo(db_, "booking"), 16);
    ASSERT_TRUE(ValidateVenue(Cafe()).ok()) << ValidateVenue(Cafe());
    ASSERT_TRUE(store_->CreateVenue(Cafe()).ok());
    ASSERT_TRUE(ValidateRun(Train()).ok()) << ValidateRun(Train());
    ASSERT_TRUE(store_->CreateRun(Train()).ok());
  }

  std::string Q(const std::string& sql) { return SharedPg().Query(db_, sql); }
  int64_t N(const std::string& sql) { return std::stoll(Q(sql)); }

  // Open 24 hours from 10:00 in 30-minute slots: 48 slots a day.
  static Venue Cafe() {
    Venue v;
    v.venue_id = "cafe";
    v.name = "Net Cafe";
    v.tz_name = "Europe/Berlin";
    v.currency = "EUR";
    v.opening_minute = 600;
    v.closing_minute = 600;
    v.slot_minutes = 30;
    Zone premium{
        "premium", "Premium", 800, {{"2h", 2, 1500}, {"4h", 4, 2800}}, {}};
    for (int i = 1; i <= 25; ++i) {
      premium.machine_ids.push_back("p" + std::to_string(i));
    }
    Zone room{"room", "Private room", 1500, {{"6h", 6, 8000}}, {"r1", "r2"}};
    v.zones = {premium, room};
    return v;
  }

  // 10 stops, 2 classes, 4 seats.
  static booking::Run Train() {
    booking::Run r;
    r.train_number = "G1234";
    r.service_date = kDay;
    r.run_id = RunId(r.train_number, kDay);
    r.currency = "CNY";
    for (int i = 0; i < 10; ++i) {
      r.stops.push_back({i, "station-" + std::to_string(i),
                         1'798'000'000 + 1800 * int64_t{i}});
    }
    r.classes = {{"first", 9000}, {"second", 4000}};
    r.seats = {{"1A", 1, 1, "first"},
               {"1B", 1, 2, "first"},
               {"2A", 2, 1, "second"},
               {"2B", 2, 2, "second"}};
    return r;
  }

  static std::string Machine(const std::string& m) {
    return MachineResource("cafe", m, kDay);
  }
  static std::string Seat(const std::string& s) {
    return SeatResource(RunId("G1234", kDay), s);
  }

  static HoldCommand CafeHold(const std::string& user,
                              std::vector<HoldItem> items) {
    HoldCommand c;
    c.gid = NewUuidV7();
    c.branch_id = "booking";
    c.user_id = user;
    c.gate_key = VenueDayGate("cafe", kDay);
    c.day = kDay;
    c.deadline_ms = NowMs() + 300'000;
    c.items = std::move(items);
    return c;
  }

  static HoldCommand TrainHold(const std::string& user,
                               std::vector<HoldItem> items) {
    HoldCommand c = CafeHold(user, std::move(items));
    c.gate_key = RunGate(RunId("G1234", kDay));
    return c;
  }

  // Hold, validated first (as the service will).
  absl::StatusOr<HoldResult> Hold(const HoldCommand& c) {
    if (absl::Status s = ValidateHold(c); !s.ok()) return s;
    return store_->Hold(c);
  }

  int64_t RowsOf(const HoldCommand& c) {
    return N("SELECT count(*) FROM booking WHERE gid = '" + c.gid + "'");
  }

  std::string db_;
  std::unique_ptr<BookingStore> store_;
};

TEST_F(BookingStoreTest, CatalogueRoundTripsAndRefusesTakenIds) {
  auto venue = store_->GetVenue("cafe");
  ASSERT_TRUE(venue.ok()) << venue.status();
  EXPECT_EQ(venue->tz_name, "Europe/Berlin");
  EXPECT_EQ(venue->slot_minutes, 30);
  ASSERT_EQ(venue->zones.size(), 2u);
  EXPECT_EQ(venue->zones[0].zone_id, "premium");
  EXPECT_EQ(venue->zones[0].machine_ids.size(), 25u);
  ASSERT_EQ(venue->zones[0].packages.size(), 2u);
  EXPECT_EQ(venue->zones[0].packages[1].package_id, "4h");
  EXPECT_EQ(venue->zones[0].packages[1].price_minor, 2800);
  EXPECT_EQ(venue->zones[1].machine_ids,
            (std::vector<std::string>{"r1", "r2"}));
  auto again = store_->CreateVenue(Cafe());
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(again), "VENUE_EXISTS");
  EXPECT_EQ(ReasonOf(store_->GetVenue("nope").status()), "VENUE_NOT_FOUND");

  auto run = store_->GetRun("G1234:2026-12-24");
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->service_date, kDay);
  ASSERT_EQ(run->stops.size(), 10u);
  EXPECT_EQ(run->stops[9].departs_at_unix, 1'798'000'000 + 9 * 1800);
  EXPECT_EQ(run->stops[3].station, "station-3");
  EXPECT_EQ(run->classes.size(), 2u);
  ASSERT_EQ(run->seats.size(), 4u);
  EXPECT_EQ(run->seats[2].seat_id, "2A");
  EXPECT_EQ(run->seats[2].class_id, "second");
  auto run_again = store_->CreateRun(Train());
  EXPECT_EQ(run_again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(run_again), "RUN_EXISTS");
  EXPECT_EQ(ReasonOf(store_->GetRun("X:2026-01-01").status()), "RUN_NOT_FOUND");
}

TEST_F(BookingStoreTest, HoldConfirmAndRepeatedConfirm) {
  const HoldCommand c = CafeHold(
      "u1", {{Machine("p2"), {4, 12}, ""}, {Machine("p1"), {4, 12}, ""}});
  auto held = Hold(c);
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_FALSE(held->duplicate);
  ASSERT_EQ(held->rows.size(), 2u);
  EXPECT_EQ(held->rows[0].resource_id, Machine("p1"));  // sorted
  EXPECT_EQ(Q("SELECT string_agg(state || during::text, ',' ORDER BY "
              "resource_id) FROM booking"),
            "HELD[4,12),HELD[4,12)");

  auto confirmed = store_->Confirm(c.gid, c.branch_id);
  ASSERT_TRUE(confirmed.ok()) << confirmed.status();
  EXPECT_TRUE(confirmed->applied);
  EXPECT_EQ(confirmed->gate_key, "v:cafe:2026-12-24");
  ASSERT_EQ(confirmed->rows.size(), 2u);
  EXPECT_EQ(confirmed->rows[1].resource_id, Machine("p2"));
  EXPECT_EQ(N("SELECT count(*) FROM booking WHERE state = 'SOLD'"), 2);

  auto repeat = store_->Confirm(c.gid, c.branch_id);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_FALSE(repeat->applied);
  EXPECT_EQ(repeat->rows.size(), 2u);
  EXPECT_EQ(repeat->gate_key, "v:cafe:2026-12-24");

  // Cancel after Confirm never touches SOLD rows.
  auto cancel = store_->Cancel(c.gid, c.branch_id);
  ASSERT_TRUE(cancel.ok()) << cancel.status();
  EXPECT_FALSE(cancel->applied);
  EXPECT_EQ(N("SELECT count(*) FROM booking WHERE state = 'SOLD'"), 2);

  auto untried = store_->Confirm(NewUuidV7(), "booking");
  EXPECT_EQ(untried.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(untried.status()), "BRANCH_NOT_TRIED");
}

TEST_F(BookingStoreTest, CancelReleasesAndRefusesLateTry) {
  const HoldCommand c = CafeHold("u1", {{Machine("p1"), {0, 8}, ""}});
  ASSERT_TRUE(Hold(c).ok());
  auto cancelled = store_->Cancel(c.gid, c.branch_id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_TRUE(cancelled->applied);
  ASSERT_EQ(cancelled->rows.size(), 1u);
  EXPECT_EQ(cancelled->rows[0].range, (UnitRange{0, 8}));
  EXPECT_EQ(N("SELECT count(*) FROM booking"), 0);
  auto repeat = store_->Cancel(c.gid, c.branch_id);
  ASSERT_TRUE(repeat.ok());
  EXPECT_FALSE(repeat->applied);

  // The same Try again, after its Cancel: refused, nothing held.
  auto late = Hold(c);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(late.status()), "BRANCH_CANCELLED");

  // Empty rollback: Cancel before any Try, then the Try arrives.
  const HoldCommand hanging = CafeHold("u2", {{Machine("p1"), {0, 8}, ""}});
  auto empty = store_->Cancel(hanging.gid, hanging.branch_id);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->applied);
  EXPECT_EQ(ReasonOf(Hold(hanging).status()), "BRANCH_CANCELLED");
  EXPECT_EQ(N("SELECT count(*) FROM booking"), 0);
  EXPECT_EQ(ReasonOf(store_->Confirm(hanging.gid, hanging.branch_id).status()),
            "BRANCH_NOT_TRIED");

  // The slot is free again for somebody else.
  EXPECT_TRUE(Hold(CafeHold("u3", {{Machine("p1"), {0, 8}, ""}})).ok());
}

TEST_F(BookingStoreTest, RepeatedTryReturnsFirstResultAndMismatchIsRefused) {
  const HoldCommand c = TrainHold(
      "u1", {{Seat("1A"), {1, 4}, "doc-1"}, {Seat("1B"), {1, 4}, "doc-2"}});
  auto first = Hold(c);
  ASSERT_TRUE(first.ok()) << first.status();
  HoldCommand reordered = c;
  std::swap(reordered.items[0], reordered.items[1]);
  reordered.deadline_ms += 1000;  // not part of the content
  auto repeat = Hold(reordered);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_TRUE(repeat->duplicate);
  ASSERT_EQ(repeat->rows.size(), 2u);
  EXPECT_EQ(repeat->rows[0].resource_id, Seat("1A"));
  EXPECT_EQ(repeat->rows[0].doc_id, "doc-1");
  EXPECT_EQ(repeat->rows[1].range, (UnitRange{1, 4}));
  EXPECT_EQ(N("SELECT count(*) FROM booking"), 2);
  // Quotas were taken once.
  EXPECT_EQ(Q("SELECT used FROM booking_quota WHERE quota_key = "
              "'user-run:u1:G1234:2026-12-24'"),
            "2");

  HoldCommand other = c;
  other.items[0].range = {1, 5};
  auto mismatch = Hold(other);
  EXPECT_EQ(mismatch.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(mismatch.status()), "TRY_MISMATCH");
  EXPECT_EQ(N("SELECT count(*) FROM booking"), 2);
}

TEST_F(BookingStoreTest, OverlappingGroupFailsAllOrNothing) {
  ASSERT_TRUE(Hold(CafeHold("u1", {{Machine("p1"), {4, 8}, ""}})).ok());
  const HoldCommand group = CafeHold("u2", {{Machine("p2"), {4, 8}, ""},
                                            {Machine("p1"), {6, 10}, ""},
                                            {Machine("p3"), {4, 8}, ""}});
  auto refused = Hold(group);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(refused.status()), "SLOT_TAKEN");
  EXPECT_EQ(RowsOf(group), 0);
  EXPECT_EQ(N("SELECT count(*) FROM booking_quota WHERE used > 0 AND "
              "quota_key LIKE '%u2%'"),
            0);
  // p2 and p3 were never held: a group without p1 takes them.
  EXPECT_TRUE(Hold(CafeHold("u3", {{Machine("p2"), {4, 8}, ""},
                                   {Machine("p3"), {4, 8}, ""}}))
                  .ok());
}

TEST_F(BookingStoreTest, UserLimitHoldsUnderConcurrencyAndCancelGivesBack) {
  constexpr int kHolders = 20;
  std::vector<HoldCommand> commands;
  for (int i = 0; i < kHolders; ++i) {
    HoldCommand c =
        CafeHold("u1", {{Machine("p" + std::to_string(i + 1)), {10, 14}, ""}});
    c.limits.per_user_day = 5;
    commands.push_back(c);
  }
  std::vector<absl::Status> results(kHolders);
  std::vector<std::thread> threads;
  for (int i = 0; i < kHolders; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = store_->Hold(commands[i]).status(); });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (const absl::Status& s : results) {
    if (s.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
      EXPECT_EQ(ReasonOf(s), "USER_LIMIT") << s;
    }
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(N("SELECT count(*) FROM booking"), 5);
  EXPECT_EQ(Q("SELECT used FROM booking_quota WHERE quota_key = "
              "'user-day:u1:2026-12-24'"),
            "5");
  // Another user is not limited by u1's use.
  EXPECT_TRUE(Hold(CafeHold("u2", {{Machine("p25"), {10, 14}, ""}})).ok());

  for (int i = 0; i < kHolders; ++i) {
    if (results[i].ok()) {
      ASSERT_TRUE(store_->Cancel(commands[i].gid, "booking").ok());
    }
  }
  EXPECT_EQ(Q("SELECT used FROM booking_quota WHERE quota_key = "
              "'user-day:u1:2026-12-24'"),
            "0");
  HoldCommand after = CafeHold("u1", {{Machine("p1"), {10, 14}, ""}});
  after.limits.per_user_day = 5;
  EXPECT_TRUE(Hold(after).ok());
}

TEST_F(BookingStoreTest, DocumentAndRunLimits) {
  HoldCommand a = TrainHold("u1", {{Seat("1A"), {0, 2}, "doc-9"}});
  a.limits = {2, 0, 0};
  ASSERT_TRUE(Hold(a).ok());
  HoldCommand b = TrainHold("u2", {{Seat("1A"), {2, 4}, "doc-9"}});
  b.limits = a.limits;
  ASSERT_TRUE(Hold(b).ok());
  HoldCommand c = TrainHold("u3", {{Seat("1B"), {0, 9}, "doc-9"}});
  c.limits = a.limits;
  auto refused = Hold(c);
  EXPECT_EQ(ReasonOf(refused.status()), "USER_LIMIT");
  EXPECT_EQ(RowsOf(c), 0);
  // Cancel gives the document's unit back.
  ASSERT_TRUE(store_->Cancel(b.gid, "booking").ok());
  EXPECT_TRUE(Hold(c).ok());

  HoldCommand run_limited =
      TrainHold("u4", {{Seat("2A"), {0, 9}, "d1"}, {Seat("2B"), {0, 9}, "d2"}});
  run_limited.limits = {0, 0, 1};
  EXPECT_EQ(ReasonOf(Hold(run_limited).status()), "USER_LIMIT");
  EXPECT_EQ(RowsOf(run_limited), 0);
}

TEST_F(BookingStoreTest, TwoHundredBuyersOfOneMachineNeverOverlap) {
  constexpr int kBuyers = 200;
  std::mt19937 rng(42);
  std::vector<HoldCommand> commands;
  for (int i = 0; i < kBuyers; ++i) {
    const int length = 4 + static_cast<int>(rng() % 9);  // 2 h .. 6 h
    const int from = static_cast<int>(rng() % (48 - length + 1));
    commands.push_back(CafeHold("buyer-" + std::to_string(i),
                                {{Machine("r1"), {from, from + length}, ""}}));
  }
  std::vector<absl::Status> results(kBuyers);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kBuyers; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] = store_->Hold(commands[i]).status();
      if (results[i].ok()) {
        results[i] = store_->Confirm(commands[i].gid, "booking").status();
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  int sold = 0;
  for (int i = 0; i < kBuyers; ++i) {
    if (results[i].ok()) {
      ++sold;
      continue;
    }
    EXPECT_EQ(results[i].code(), absl::StatusCode::kFailedPrecondition)
        << results[i];
    EXPECT_EQ(ReasonOf(results[i]), "SLOT_TAKEN") << results[i];
    EXPECT_EQ(RowsOf(commands[i]), 0);
  }
  EXPECT_GT(sold, 0);
  EXPECT_EQ(N("SELECT count(*) FROM booking WHERE state = 'SOLD'"), sold);
  EXPECT_EQ(N("SELECT count(*) FROM booking a JOIN booking b ON "
              "a.resource_id = b.resource_id AND a.booking_id < b.booking_id "
              "AND a.during && b.during"),
            0);
  EXPECT_LE(N("SELECT coalesce(sum(upper(during) - lower(during)), 0) "
              "FROM booking"),
            48);

  // Adjacent windows on another machine both sell.
  const HoldCommand evening = CafeHold("u1", {{Machine("r2"), {18, 22}, ""}});
  const HoldCommand night = CafeHold("u2", {{Machine("r2"), {22, 24}, ""}});
  ASSERT_TRUE(Hold(evening).ok());
  ASSERT_TRUE(Hold(night).ok());
  EXPECT_TRUE(store_->Confirm(evening.gid, "booking").ok());
  EXPECT_TRUE(store_->Confirm(night.gid, "booking").ok());
  EXPECT_EQ(
      ReasonOf(Hold(CafeHold("u3", {{Machine("r2"), {21, 23}, ""}})).status()),
      "SLOT_TAKEN");
}

TEST_F(BookingStoreTest, TrainLegsConflictOnlyWhenTheyOverlap) {
  const HoldCommand first = TrainHold("u1", {{Seat("2A"), {1, 4}, "d1"}});
  const HoldCommand second = TrainHold("u2", {{Seat("2A"), {4, 8}, "d2"}});
  ASSERT_TRUE(Hold(first).ok());
  ASSERT_TRUE(Hold(second).ok());
  ASSERT_TRUE(store_->Confirm(first.gid, "booking").ok());
  ASSERT_TRUE(store_->Confirm(second.gid, "booking").ok());
  const HoldCommand across = TrainHold("u3", {{Seat("2A"), {3, 5}, "d3"}});
  auto refused = Hold(across);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(refused.status()), "SEAT_TAKEN");
  EXPECT_EQ(RowsOf(across), 0);
  EXPECT_TRUE(Hold(TrainHold("u3", {{Seat("2A"), {8, 9}, "d3"}})).ok());
  EXPECT_TRUE(Hold(TrainHold("u4", {{Seat("2B"), {3, 5}, "d4"}})).ok());

  // Occupancy of the second class over legs [2, 5).
  auto occupied = store_->Occupancy(RunGate(RunId("G1234", kDay)),
                                    {Seat("2A"), Seat("2B")}, {2, 5});
  ASSERT_TRUE(occupied.ok()) << occupied.status();
  ASSERT_EQ(occupied->size(), 3u);
  EXPECT_EQ((*occupied)[0].range, (UnitRange{1, 4}));
  EXPECT_EQ((*occupied)[0].state, BookingState::kSold);
  EXPECT_EQ((*occupied)[1].range, (UnitRange{4, 8}));
  EXPECT_EQ((*occupied)[2].resource_id, Seat("2B"));
  EXPECT_EQ((*occupied)[2].state, BookingState::kHeld);
}

TEST_F(BookingStoreTest, OverdueHoldsAndGateSnapshot) {
  HoldCommand old = CafeHold("u1", {{Machine("p1"), {0, 4}, ""}});
  old.deadline_ms = NowMs() - 600'000;
  ASSERT_TRUE(Hold(old).ok());
  const HoldCommand fresh = CafeHold("u2", {{Machine("p2"), {0, 4}, ""}});
  ASSERT_TRUE(Hold(fresh).ok());
  const HoldCommand sold = CafeHold("u3", {{Machine("p3"), {2, 6}, ""}});
  ASSERT_TRUE(Hold(sold).ok());
  ASSERT_TRUE(store_->Confirm(sold.gid, "booking").ok());

  auto overdue = store_->ListOverdue(std::chrono::seconds(60), 10);
  ASSERT_TRUE(overdue.ok()) << overdue.status();
  ASSERT_EQ(overdue->size(), 1u);
  EXPECT_EQ((*overdue)[0].gid, old.gid);
  EXPECT_EQ((*overdue)[0].branch_id, "booking");

  auto keys = store_->GateKeys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(*keys, (std::vector<std::string>{"v:cafe:2026-12-24"}));

  auto snap = store_->GateRows("v:cafe:2026-12-24",
                               {{old.gid, "booking"}, {sold.gid, "booking"}});
  ASSERT_TRUE(snap.ok()) << snap.status();
  EXPECT_NEAR(snap->now_ms, NowMs(), 60'000);
  ASSERT_EQ(snap->rows.size(), 3u);
  EXPECT_EQ(snap->rows[0].owner, old.gid + ":booking");
  EXPECT_NEAR(snap->rows[0].deadline_ms, old.deadline_ms, 1);
  EXPECT_EQ(snap->rows[2].booking.state, BookingState::kSold);
  EXPECT_EQ(snap->rows[2].deadline_ms, 0);
  EXPECT_EQ(snap->finished_owners,
            (std::vector<std::string>{sold.gid + ":booking"}));
  auto none = store_->GateRows("v:cafe:2030-01-01", {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->rows.empty());
}

}  // namespace
}  // namespace turnstile::booking
