// Range bookings under real process kills (SIGKILL): the booking participant
// killed in the middle of a train sale and restarted, and killed after the
// commit decision so that its Confirm must wait for it. Afterwards every
// transaction ends, nothing is sold twice on any leg, no HELD booking
// outlives its transaction, every SOLD booking has its PAID order
// (turnstilectl check's invariants), and after a reconcile the Redis range
// gate equals PostgreSQL.
#include <gtest/gtest.h>

#include <future>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/common/range_gate.h"
#include "services/common/redis_client.h"
#include "tests/support/mesh_test.h"
#include "tools/load.h"
#include "tools/range_gate_check.h"
#include "turnstile/v1/booking.grpc.pb.h"

namespace turnstile::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class BookingCrashTest : public MeshTest {
 protected:
  void Configure(Mesh& mesh) override {
    mesh.SetArgs("coordinator",
                 {"--backoff_initial_ms=50", "--backoff_max_ms=500"});
  }

  std::unique_ptr<v1::Booking::Stub> Booking() {
    return v1::Booking::NewStub(mesh().Channel("booking"));
  }

  // A 10-stop run of 50 "std" seats, tomorrow.
  std::string CreateRun() {
    const absl::CivilDay day =
        absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + 1;
    v1::CreateRunRequest req;
    req.set_train_number("K7");
    req.set_service_date(absl::FormatCivilTime(day));
    req.set_currency("EUR");
    const int64_t start = absl::ToUnixSeconds(
        absl::FromCivil(absl::CivilHour(day) + 8, absl::UTCTimeZone()));
    for (int i = 0; i < 10; ++i) {
      auto* stop = req.add_stops();
      stop->set_station(absl::StrCat("S", i));
      stop->mutable_departs_at()->set_seconds(start + 1200 * i);
    }
    auto* cls = req.add_classes();
    cls->set_class_id("std");
    cls->set_price_per_leg_minor_units(100);
    auto* car = req.add_cars();
    car->set_car(1);
    car->set_class_id("std");
    car->set_seats(50);
    v1::Run out;
    auto s = Booking()->CreateRun(Ctx().get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out.run_id();
  }

  static v1::PlaceOrderRequest Trip(const std::string& id,
                                    const std::string& run, int from, int to,
                                    int passengers) {
    v1::PlaceOrderRequest req;
    req.set_request_id("trip");
    req.set_pay_now(true);
    auto* leg = req.add_lines()->mutable_leg();
    leg->set_run_id(run);
    leg->set_from_stop(from);
    leg->set_to_stop(to);
    leg->set_class_id("std");
    for (int p = 0; p < passengers; ++p) {
      leg->add_passengers()->set_doc_id(absl::StrCat(id, "p", p));
    }
    return req;
  }

  int64_t Count(const std::string& sql) {
    return std::stoll(mesh().Query("booking", sql));
  }

  void ExpectGatesAgree() {
    v1::ReconcileBookingsRequest req;
    v1::ReconcileBookingsResponse resp;
    auto s = Booking()->Reconcile(Ctx(60000).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    RedisClient redis(mesh().redis().Options());
    RangeGate gate(&redis);
    auto gates = tools::CheckRangeGates(mesh().Conninfo("booking"), gate);
    ASSERT_TRUE(gates.ok()) << gates.status();
    EXPECT_TRUE(gates->ok) << gates->detail;
  }
};

TEST_F(BookingCrashTest, BookingKilledMidSaleEveryTransactionEnds) {
  const std::string run = CreateRun();
  constexpr int kBuyers = 200;
  for (int i = 0; i < kBuyers; ++i)
    shop().Deposit(absl::StrCat("c", i), 100000);
  std::atomic<int> done{0};
  std::atomic<bool> restarted{false}, finished{false};
  // The restarted process dies with the thread that started it
  // (PR_SET_PDEATHSIG): this one lives until the test ends.
  std::thread killer([&] {
    while (done.load() < kBuyers / 4) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    mesh().Kill("booking");
    std::this_thread::sleep_for(seconds(1));
    mesh().Start("booking");
    restarted = true;
    while (!finished.load()) std::this_thread::sleep_for(milliseconds(10));
  });
  struct Join {
    std::atomic<bool>& finished;
    std::thread& thread;
    ~Join() {
      finished = true;
      thread.join();
    }
  } join{finished, killer};
  auto tally = tools::RunLoad(kBuyers, 16, [&](int i) {
    std::mt19937 rng(i + 7);
    const int from = static_cast<int>(rng() % 8);
    const int to = from + 1 + static_cast<int>(rng() % (9 - from));
    auto s = shop().Place(absl::StrCat("c", i),
                          Trip(absl::StrCat("c", i), run, from, to,
                               1 + static_cast<int>(rng() % 3)));
    ++done;
    return s;
  });
  while (!restarted.load()) std::this_thread::sleep_for(milliseconds(10));
  std::cout << tally.Summary("trips around a booking SIGKILL");
  EXPECT_GT(tally.ok, 0);
  // Every transaction ends and every participant agrees with it.
  EXPECT_EQ(shop().Violations(seconds(60)), "");
  EXPECT_EQ(std::stoll(mesh().Query(
                "coordinator",
                "SELECT count(*) FROM global_txn WHERE state NOT IN "
                "('CONFIRMED', 'CANCELLED')")),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM booking WHERE state = 'HELD'"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM booking a JOIN booking b ON "
                  "a.resource_id = b.resource_id AND a.during && b.during "
                  "AND a.booking_id < b.booking_id"),
            0);
  ExpectGatesAgree();
}

TEST_F(BookingCrashTest, BookingDownDuringConfirmIsRetriedUntilBack) {
  const std::string run = CreateRun();
  shop().Deposit("cat", 100000);
  mesh().Stop("coordinator");
  mesh().Start("coordinator",
               {"--test_pause_after_decision_ms=1500",
                "--backoff_initial_ms=50", "--backoff_max_ms=300"});
  auto placed = std::async(std::launch::async, [&] {
    return shop().Place("cat", Trip("cat", run, 2, 5, 2));
  });
  std::string gid;
  for (int i = 0; i < 300 && gid.empty(); ++i) {
    gid = mesh().Query("coordinator",
                       "SELECT gid::text FROM global_txn WHERE state = "
                       "'CONFIRMING' LIMIT 1");
    if (gid.empty()) std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_FALSE(gid.empty());
  mesh().Kill("booking");  // before its Confirm is delivered
  std::this_thread::sleep_for(seconds(2));
  EXPECT_EQ(shop().GetTxn(gid).state(), v1::TXN_STATE_CONFIRMING);
  EXPECT_EQ(Count("SELECT count(*) FROM booking WHERE state = 'HELD'"), 2);
  mesh().Start("booking");
  ASSERT_TRUE(shop().WaitTxn(gid, v1::TXN_STATE_CONFIRMED, seconds(30)));
  placed.wait();
  ASSERT_TRUE(shop().WaitOrder(gid, v1::ORDER_STATE_PAID, seconds(10)));
  EXPECT_EQ(Count("SELECT count(*) FROM booking WHERE state = 'SOLD'"), 2);
  EXPECT_EQ(shop().Violations(), "");
  ExpectGatesAgree();
}

}  // namespace
}  // namespace turnstile::testing
