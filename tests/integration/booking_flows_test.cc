// Range bookings through the whole mesh (issue 10's tests): real PostgreSQL,
// Redis and every process, orders placed as buyers through turnstile-order,
// the booking branch driven by the coordinator like any other.
//   - 200 concurrent buyers of one machine over overlapping windows: nothing
//     overlapping sold, every loser SLOT_TAKEN with nothing held, adjacent
//     windows [18,22) and [22,24) both sold;
//   - a 10-stop run of 100 seats in two classes and 1,000 buyers with random
//     legs and 1-5 passengers: no seat sold twice on any leg (on the data),
//     RemainingSeats and the stop matrix equal a recount from PostgreSQL,
//     the seat-legs sold reported as a share of the capacity;
//   - reserve-then-pay with a 2-second window: the order EXPIRES and the
//     slot and the legs are free again in PostgreSQL and in Redis;
//   - FLUSHALL during a sale, then reconcile: no double sale, the gates
//     agree with PostgreSQL;
//   - per-document and per-user daily limits, with two concurrent orders
//     that would pass a limit together: exactly one wins, USER_LIMIT.
// Each test ends with turnstilectl check's invariants (tools/invariants.h)
// and the range gates compared with PostgreSQL (tools/range_gate_check.h).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/common/range_gate.h"
#include "services/common/redis_client.h"
#include "services/common/status.h"
#include "tests/support/mesh_test.h"
#include "tools/invariant_rows.h"
#include "tools/limit_gate_check.h"
#include "tools/load.h"
#include "tools/range_gate_check.h"
#include "turnstile/v1/booking.grpc.pb.h"

namespace turnstile::testing {
namespace {

// Tomorrow (UTC): every start is in the future.
absl::CivilDay Day() {
  return absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + 1;
}
std::string DayText() { return absl::FormatCivilTime(Day()); }
int64_t At(int hour) {
  return absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilHour(Day()) + hour, absl::UTCTimeZone()));
}

std::string ReasonOfGrpc(const grpc::Status& s) {
  return s.ok() ? "OK" : ReasonOf(FromGrpc(s));
}

class BookingFlowsTest : public MeshTest {
 protected:
  void SetUp() override {
    MeshTest::SetUp();
    booking_ = v1::Booking::NewStub(mesh().Channel("booking"));
  }

  tools::TextRows Rows(const std::string& sql) {
    pqxx::connection conn(mesh().Conninfo("booking"));
    return tools::Rows(conn, sql);
  }
  int64_t Count(const std::string& sql) {
    return std::stoll(mesh().Query("booking", sql));
  }

  // A venue open 10:00-02:00 UTC in 30-minute slots, one zone "z" of
  // `machines` machines m1.. with 2h and 4h packages.
  void CreateCafe(const std::string& venue, int machines) {
    v1::CreateVenueRequest req;
    req.set_venue_id(venue);
    req.set_name("Cafe");
    req.set_time_zone("UTC");
    req.set_currency("EUR");
    req.set_opening_minute(600);
    req.set_closing_minute(120);
    req.set_slot_minutes(30);
    auto* zone = req.add_zones();
    zone->set_zone_id("z");
    zone->set_name("Zone");
    zone->set_price_per_hour_minor_units(500);
    for (const auto& [id, hours] : {std::pair{"2h", 2}, {"4h", 4}}) {
      auto* p = zone->add_packages();
      p->set_package_id(id);
      p->set_hours(hours);
      p->set_price_minor_units(hours * 400);
    }
    for (int i = 1; i <= machines; ++i)
      zone->add_machine_ids(absl::StrCat("m", i));
    v1::Venue out;
    auto s = booking_->CreateVenue(Ctx().get(), req, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // 10 stops; car 1: 40 "first" seats, car 2: 60 "second" seats.
  std::string CreateRun(const std::string& number) {
    v1::CreateRunRequest req;
    req.set_train_number(number);
    req.set_service_date(DayText());
    req.set_currency("EUR");
    for (int i = 0; i < 10; ++i) {
      auto* stop = req.add_stops();
      stop->set_station(absl::StrCat("Station ", i));
      stop->mutable_departs_at()->set_seconds(At(8) + 1800 * i);
    }
    for (const auto& [id, price] : {std::pair{"first", 300}, {"second", 100}}) {
      auto* c = req.add_classes();
      c->set_class_id(id);
      c->set_price_per_leg_minor_units(price);
    }
    for (const auto& [car, cls, seats] :
         {std::tuple{1, "first", 40}, {2, "second", 60}}) {
      auto* c = req.add_cars();
      c->set_car(car);
      c->set_class_id(cls);
      c->set_seats(seats);
    }
    v1::Run out;
    auto s = booking_->CreateRun(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.run_id();
  }

  static v1::PlaceOrderRequest SlotOrder(const std::string& request_id,
                                         const std::string& venue,
                                         const std::string& machine,
                                         int64_t start, int minutes,
                                         bool pay_now = true) {
    v1::PlaceOrderRequest req;
    req.set_request_id(request_id);
    req.set_pay_now(pay_now);
    auto* slot = req.add_lines()->mutable_slot();
    slot->set_venue_id(venue);
    slot->set_zone_id("z");
    if (!machine.empty()) slot->add_machine_ids(machine);
    slot->mutable_starts_at()->set_seconds(start);
    slot->set_duration_minutes(minutes);
    return req;
  }

  static v1::PlaceOrderRequest LegOrder(const std::string& request_id,
                                        const std::string& run, int from,
                                        int to, const std::string& cls,
                                        const std::vector<std::string>& docs,
                                        bool pay_now = true) {
    v1::PlaceOrderRequest req;
    req.set_request_id(request_id);
    req.set_pay_now(pay_now);
    auto* leg = req.add_lines()->mutable_leg();
    leg->set_run_id(run);
    leg->set_from_stop(from);
    leg->set_to_stop(to);
    leg->set_class_id(cls);
    for (const auto& d : docs) leg->add_passengers()->set_doc_id(d);
    return req;
  }

  int Remaining(const std::string& run, int from, int to,
                const std::string& cls) {
    v1::RemainingSeatsRequest req;
    req.set_run_id(run);
    req.set_from_stop(from);
    req.set_to_stop(to);
    req.set_class_id(cls);
    v1::RemainingSeatsResponse resp;
    auto s = booking_->RemainingSeats(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.classes_size() == 1 ? resp.classes(0).remaining() : -1;
  }

  // Seats of `cls` with no HELD or SOLD booking over any leg of [from, to).
  int Recount(const std::string& run, int from, int to,
              const std::string& cls) {
    return static_cast<int>(Count(absl::StrCat(
        "SELECT count(*) FROM run_seat s WHERE s.run_id = '", run,
        "' AND s.class_id = '", cls,
        "' AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.resource_id = "
        "'s:' || s.run_id || ':' || s.seat_id AND b.during && int4range(",
        from, ", ", to, "))")));
  }

  int FreeMachines(const std::string& venue, int64_t start, int minutes) {
    v1::FreeMachinesRequest req;
    req.set_venue_id(venue);
    req.set_zone_id("z");
    req.mutable_starts_at()->set_seconds(start);
    req.set_duration_minutes(minutes);
    v1::FreeMachinesResponse resp;
    auto s = booking_->FreeMachines(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.machine_ids_size();
  }

  void Reconcile() {
    v1::ReconcileBookingsRequest req;
    v1::ReconcileBookingsResponse resp;
    auto s = booking_->Reconcile(Ctx(60000).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // The invariants, then the range gates against PostgreSQL.
  void ExpectConsistent() {
    EXPECT_EQ(shop().Violations(std::chrono::seconds(30)), "");
    Reconcile();
    RedisClient redis(mesh().redis().Options());
    RangeGate gate(&redis);
    auto gates = tools::CheckRangeGates(mesh().Conninfo("booking"), gate);
    ASSERT_TRUE(gates.ok()) << gates.status();
    EXPECT_TRUE(gates->ok) << gates->detail;
    LimitGate limit_gate(&redis);
    auto limits =
        tools::CheckLimitGates(mesh().Conninfo("booking"), limit_gate);
    ASSERT_TRUE(limits.ok()) << limits.status();
    EXPECT_TRUE(limits->ok) << limits->detail;
  }

  std::unique_ptr<v1::Booking::Stub> booking_;
};

TEST_F(BookingFlowsTest, TwoHundredBuyersOfOneMachine) {
  CreateCafe("cafe", 1);
  constexpr int kBuyers = 200;
  for (int i = 0; i < kBuyers; ++i)
    shop().Deposit(absl::StrCat("b", i), 100000);
  // Buyer 0: [18,22), buyer 1: [22,24): adjacent, both must sell. The others
  // fight over overlapping 2-hour windows between 10:00 and 18:00.
  std::vector<grpc::Status> outcome(kBuyers);
  std::vector<std::string> order_ids(kBuyers);
  auto tally = tools::RunLoad(kBuyers, kBuyers, [&](int i) {
    int64_t start = At(18);
    int minutes = 240;
    if (i == 1) {
      start = At(22);
      minutes = 120;
    } else if (i > 1) {
      start = At(10) + 1800 * ((i * 7919) % 13);  // 10:00 .. 16:00
      minutes = 120;
    }
    v1::OrderInfo resp;
    outcome[i] =
        shop().Place(absl::StrCat("b", i),
                     SlotOrder("slot", "cafe", "m1", start, minutes), &resp);
    order_ids[i] = resp.order_id();
    return outcome[i];
  });
  std::cout << tally.Summary("slot orders");
  ASSERT_TRUE(outcome[0].ok()) << outcome[0].error_message();
  ASSERT_TRUE(outcome[1].ok()) << outcome[1].error_message();
  int sold = 0;
  for (int i = 0; i < kBuyers; ++i) {
    if (outcome[i].ok()) {
      ++sold;
      continue;
    }
    EXPECT_EQ(outcome[i].error_code(), grpc::StatusCode::FAILED_PRECONDITION)
        << i << ": " << outcome[i].error_message();
    EXPECT_EQ(ReasonOfGrpc(outcome[i]), "SLOT_TAKEN") << i;
    // Nothing held for a loser: the wallet is whole.
    EXPECT_EQ(shop().GetWallet(absl::StrCat("b", i)).balance().minor_units(),
              100000)
        << i;
  }
  // 16 slots between 10:00 and 18:00: at most 4 two-hour windows; [18,24)
  // are the two adjacent ones.
  EXPECT_GE(sold, 3);
  EXPECT_LE(sold, 6);
  EXPECT_EQ(Count("SELECT count(*) FROM booking WHERE state = 'SOLD'"), sold);
  EXPECT_EQ(Count("SELECT count(*) FROM booking a JOIN booking b ON "
                  "a.resource_id = b.resource_id AND a.during && b.during "
                  "AND a.booking_id < b.booking_id"),
            0);
  ExpectConsistent();
  EXPECT_EQ(Count("SELECT count(*) FROM booking WHERE state = 'HELD'"), 0);
}

TEST_F(BookingFlowsTest, ThousandTrainBuyersRandomLegs) {
  const std::string run = CreateRun("G100");
  constexpr int kBuyers = 1000;
  for (int i = 0; i < kBuyers; ++i)
    shop().Deposit(absl::StrCat("t", i), 100000);
  std::mt19937 rng(20261201);
  std::vector<v1::PlaceOrderRequest> orders;
  int64_t asked_legs = 0;
  for (int i = 0; i < kBuyers; ++i) {
    int from = static_cast<int>(rng() % 9);
    int to = from + 1 + static_cast<int>(rng() % (9 - from));
    const int n = 1 + static_cast<int>(rng() % 5);
    std::vector<std::string> docs;
    for (int p = 0; p < n; ++p) docs.push_back(absl::StrCat("D", i, "x", p));
    orders.push_back(LegOrder("trip", run, from, to,
                              rng() % 3 == 0 ? "first" : "second", docs));
    asked_legs += static_cast<int64_t>(to - from) * n;
  }
  std::mutex mu;
  std::map<std::string, int> by_reason;
  auto tally = tools::RunLoad(kBuyers, 64, [&](int i) {
    v1::OrderInfo resp;
    auto s = shop().Place(absl::StrCat("t", i), orders[i], &resp);
    std::lock_guard<std::mutex> lock(mu);
    ++by_reason[ReasonOfGrpc(s)];
    return s;
  });
  std::cout << tally.Summary("train orders");
  for (const auto& [reason, n] : by_reason) {
    EXPECT_TRUE(reason == "OK" || reason == "SEAT_TAKEN")
        << reason << " x" << n;
  }
  EXPECT_GT(by_reason["OK"], 0);
  ExpectConsistent();
  // No seat sold twice on any leg, on the data.
  EXPECT_EQ(Count("SELECT count(*) FROM booking a JOIN booking b ON "
                  "a.resource_id = b.resource_id AND a.during && b.during "
                  "AND a.booking_id < b.booking_id"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM booking WHERE state = 'HELD'"), 0);
  const int64_t sold_legs = Count(
      "SELECT coalesce(sum(upper(during) - lower(during)), 0) FROM booking "
      "WHERE state = 'SOLD'");
  const int64_t capacity = 100 * 9;
  std::cout << "seat-legs sold: " << sold_legs << " / " << capacity << " = "
            << 100.0 * sold_legs / capacity << "% of capacity (asked "
            << asked_legs << ")\n";
  RecordProperty("seat_legs_sold", static_cast<int>(sold_legs));
  RecordProperty("seat_legs_capacity", static_cast<int>(capacity));
  // PAID orders carry exactly the sold items.
  EXPECT_EQ(Count("SELECT count(*) FROM booking WHERE state = 'SOLD'"),
            std::stoll(mesh().Query(
                "order",
                "SELECT count(*) FROM order_item i JOIN orders o USING "
                "(order_id) WHERE o.state = 'PAID' AND i.kind = 'leg'")));
  // RemainingSeats (Redis only) and the stop matrix equal the recount.
  for (const std::string cls : {"first", "second"}) {
    v1::GetStopMatrixRequest mreq;
    mreq.set_run_id(run);
    mreq.set_class_id(cls);
    v1::StopMatrix matrix;
    auto s = booking_->GetStopMatrix(Ctx().get(), mreq, &matrix);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(matrix.rows_size(), 10);
    for (int from = 0; from < 9; ++from) {
      for (int to = from + 1; to <= 9; ++to) {
        const int recount = Recount(run, from, to, cls);
        EXPECT_EQ(Remaining(run, from, to, cls), recount)
            << cls << " " << from << "->" << to;
        EXPECT_EQ(matrix.rows(from).remaining(to), recount)
            << cls << " " << from << "->" << to;
      }
    }
  }
}

TEST_F(BookingFlowsTest, TwoSecondWindowExpiresSlotAndLegs) {
  CreateCafe("cafe", 2);
  const std::string run = CreateRun("G200");
  shop().Deposit("u", 100000);
  v1::OrderInfo slot, trip;
  ASSERT_TRUE(shop()
                  .Place(
                      "u",
                      [&] {
                        auto r =
                            SlotOrder("s", "cafe", "m1", At(18), 120, false);
                        r.set_payment_window_seconds(2);
                        return r;
                      }(),
                      &slot)
                  .ok());
  ASSERT_TRUE(shop()
                  .Place(
                      "u",
                      [&] {
                        auto r = LegOrder("l", run, 2, 5, "second",
                                          {"P1", "P2"}, false);
                        r.set_payment_window_seconds(2);
                        return r;
                      }(),
                      &trip)
                  .ok());
  EXPECT_EQ(slot.state(), v1::ORDER_STATE_PENDING_PAYMENT);
  EXPECT_EQ(FreeMachines("cafe", At(18), 120), 1);
  EXPECT_EQ(Remaining(run, 2, 5, "second"), 58);
  EXPECT_EQ(Remaining(run, 5, 9, "second"), 60);
  EXPECT_EQ(Count("SELECT count(*) FROM booking WHERE state = 'HELD'"), 3);
  ASSERT_TRUE(shop().WaitOrder(slot.order_id(), v1::ORDER_STATE_EXPIRED,
                               std::chrono::seconds(20)));
  ASSERT_TRUE(shop().WaitOrder(trip.order_id(), v1::ORDER_STATE_EXPIRED,
                               std::chrono::seconds(20)));
  // Released in PostgreSQL ...
  for (int i = 0; i < 100 && Count("SELECT count(*) FROM booking") > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Count("SELECT count(*) FROM booking"), 0);
  // ... and in Redis (these read only the gate).
  EXPECT_EQ(FreeMachines("cafe", At(18), 120), 2);
  EXPECT_EQ(Remaining(run, 2, 5, "second"), 60);
  // Paying after expiry is refused and changes nothing.
  auto late = shop().Pay(slot.order_id(), "u");
  EXPECT_FALSE(late.ok());
  EXPECT_EQ(shop().GetWallet("u").balance().minor_units(), 100000);
  ExpectConsistent();
}

TEST_F(BookingFlowsTest, FlushAllDuringSaleThenReconcile) {
  const std::string run = CreateRun("G300");
  constexpr int kBuyers = 300;
  for (int i = 0; i < kBuyers; ++i)
    shop().Deposit(absl::StrCat("f", i), 100000);
  std::atomic<bool> flushed{false};
  auto tally = tools::RunLoad(kBuyers, 32, [&](int i) {
    if (i == kBuyers / 3 && !flushed.exchange(true)) mesh().redis().FlushAll();
    std::mt19937 rng(i + 1);
    const int from = static_cast<int>(rng() % 5);
    v1::OrderInfo resp;
    return shop().Place(
        absl::StrCat("f", i),
        LegOrder("trip", run, from, from + 4, "second",
                 {absl::StrCat("F", i, "a"), absl::StrCat("F", i, "b")}),
        &resp);
  });
  std::cout << tally.Summary("orders around FLUSHALL");
  EXPECT_TRUE(flushed.load());
  EXPECT_EQ(tally.errors_total(), 0) << tally.Summary("errors");
  Reconcile();
  ExpectConsistent();
  EXPECT_EQ(Count("SELECT count(*) FROM booking a JOIN booking b ON "
                  "a.resource_id = b.resource_id AND a.during && b.during "
                  "AND a.booking_id < b.booking_id"),
            0);
  for (int from = 0; from < 9; ++from) {
    EXPECT_EQ(Remaining(run, from, from + 1, "second"),
              Recount(run, from, from + 1, "second"));
  }
}

class BookingLimitsTest : public BookingFlowsTest {
 protected:
  void Configure(Mesh& mesh) override {
    mesh.SetArgs("booking",
                 {"--per_doc_day_limit=1", "--per_user_day_limit=4"});
  }
};

TEST_F(BookingLimitsTest, ConcurrentOrdersCannotPassALimitTogether) {
  const std::string run = CreateRun("G400");
  CreateCafe("cafe", 4);
  for (int i = 0; i < 40; ++i) shop().Deposit(absl::StrCat("l", i), 100000);
  // Per document per day: 10 rounds of two buyers with the same passenger
  // document at once; exactly one of each pair wins.
  for (int round = 0; round < 10; ++round) {
    std::vector<grpc::Status> out(2);
    auto tally = tools::RunLoad(2, 2, [&](int i) {
      v1::OrderInfo resp;
      out[i] = shop().Place(
          absl::StrCat("l", 2 * round + i),
          LegOrder(absl::StrCat("doc", round), run, i * 4, i * 4 + 3, "second",
                   {absl::StrCat("SAME", round)}),
          &resp);
      return out[i];
    });
    EXPECT_EQ(out[0].ok() + out[1].ok(), 1) << round;
    for (const auto& s : out) {
      if (!s.ok()) {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
        EXPECT_EQ(ReasonOfGrpc(s), "USER_LIMIT") << s.error_message();
        EXPECT_EQ(MetadataOf(FromGrpc(s))["quota"], "doc");
      }
    }
  }
  // Per user per day (4): 1 booked, then two concurrent orders of 2 would
  // make 5 together: exactly one wins.
  v1::OrderInfo first;
  ASSERT_TRUE(
      shop()
          .Place("l30", LegOrder("first", run, 0, 1, "first", {"U1"}), &first)
          .ok());
  std::vector<grpc::Status> out(2);
  tools::RunLoad(2, 2, [&](int i) {
    v1::OrderInfo resp;
    out[i] = shop().Place(
        "l30",
        LegOrder(absl::StrCat("pair", i), run, 1 + i * 3, 3 + i * 3, "first",
                 {absl::StrCat("U2", i), absl::StrCat("U3", i)}),
        &resp);
    return out[i];
  });
  EXPECT_EQ(out[0].ok() + out[1].ok(), 1);
  for (const auto& s : out) {
    if (!s.ok()) {
      EXPECT_EQ(ReasonOfGrpc(s), "USER_LIMIT") << s.error_message();
    }
  }
  // The user-day limit also counts net-cafe machines: 3 used, a 2-machine
  // group would make 5, one machine makes 4.
  v1::OrderInfo resp;
  auto group = SlotOrder("cafe2", "cafe", "m1", At(12), 60);
  group.mutable_lines(0)->mutable_slot()->add_machine_ids("m2");
  auto refused = shop().Place("l30", group, &resp);
  EXPECT_EQ(ReasonOfGrpc(refused), "USER_LIMIT") << refused.error_message();
  EXPECT_TRUE(
      shop()
          .Place("l30", SlotOrder("cafe1", "cafe", "m3", At(12), 60), &resp)
          .ok());
  ExpectConsistent();
  EXPECT_EQ(Count("SELECT count(*) FROM booking WHERE user_id = 'l30'"), 4);
}

}  // namespace
}  // namespace turnstile::testing
