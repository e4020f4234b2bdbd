// The range-booking scenarios (bench_booking.h): setup, the steps and the
// baselines, in that order.
#include "tools/bench_booking.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <iostream>
#include <memory>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/booking/model.h"
#include "services/common/clients.h"
#include "services/common/pg_password.h"
#include "services/common/redis_flags.h"
#include "tools/bench_booking_setup.h"
#include "tools/bench_flags.h"
#include "tools/bench_load.h"
#include "tools/bench_orders.h"
#include "tools/bench_outcome.h"
#include "tools/bench_report.h"
#include "tools/bench_rpc.h"
#include "tools/bench_setup.h"
#include "turnstile/v1/booking.grpc.pb.h"
#include "turnstile/v1/order.grpc.pb.h"

namespace turnstile::bench {
namespace {

using std::chrono::seconds;

constexpr const char* kSteps[] = {"alloc", "train", "remaining", "soldout",
                                  "cafe"};
// The remaining-seat query of the run: one class, one trip.
constexpr char kRemainingClass[] = "c2";
constexpr int kRemainingFrom = 2, kRemainingTo = 7;
// The sold-out run: every seat sold from the first stop to the last; the
// refused orders ask for this trip.
constexpr int kSoldOutFrom = 3, kSoldOutTo = 5;

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

std::set<std::string> StepsFromFlag() {
  std::set<std::string> steps;
  for (absl::string_view s : absl::StrSplit(absl::GetFlag(FLAGS_booking_steps),
                                            ',', absl::SkipWhitespace())) {
    if (std::find(std::begin(kSteps), std::end(kSteps), s) ==
        std::end(kSteps)) {
      Die(absl::StrCat("unknown --booking_steps entry ", s));
    }
    steps.insert(std::string(s));
  }
  return steps;
}

// Train numbers are 1-16 of [A-Za-z0-9]: "B" and a random number.
std::string TrainNumber(int k) {
  std::mt19937_64 rng(std::random_device{}());
  return absl::StrCat("B", rng() % 100000000, "x", k);
}

LoadOptions Timed(const std::string& label) {
  LoadOptions options;
  options.label = label;
  options.count = int64_t{1} << 40;
  options.concurrency = absl::GetFlag(FLAGS_concurrency);
  options.duration_cap = seconds(absl::GetFlag(FLAGS_throughput_s));
  return options;
}

v1::PlaceOrderRequest Order(const std::string& request_id, v1::OrderLine line) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  req.set_pay_now(true);
  *req.add_lines() = std::move(line);
  return req;
}

// Places one order and waits for it (setup only).
grpc::Status PlaceAndWait(v1::Order::Stub& stub, const std::string& user,
                          v1::PlaceOrderRequest req) {
  std::promise<grpc::Status> done;
  PlaceRequest(stub, user, std::move(req),
               [&done](const grpc::Status& s) { done.set_value(s); });
  return done.get_future().get();
}

// --- the steps ------------------------------------------------------------

void TrainStep(BookingRun& run, StubPool<v1::Order>& orders) {
  const int64_t buyers =
      std::max<int64_t>(1, absl::GetFlag(FLAGS_booking_buyers));
  const uint64_t seed = Mix(std::hash<std::string>{}(run.tag));
  const int legs = kTrainStops - 1;
  const auto& runs = run.train_runs;
  run.train =
      RunAsyncLoad(Timed("train bookings"), [&](int64_t i, OpDone done) {
        const uint64_t r = Mix(seed ^ static_cast<uint64_t>(i));
        const int from = static_cast<int>(r % legs);
        const int to = from + 1 + static_cast<int>((r >> 8) % (legs - from));
        const char* cls = (r >> 16) % 5 < 2 ? "c1" : "c2";
        PlaceRequest(
            orders[i], User(i % buyers),
            Order(absl::StrCat("bk-", run.tag, "-", i),
                  LegLine(runs[static_cast<size_t>(i) % runs.size()], from, to,
                          cls, 1, absl::StrCat("d", run.tag, "-", i, "-"))),
            std::move(done));
      });
  PrintTally("-- train bookings: PlaceOrder pay_now, one leg line, full TCC --",
             run.train);
}

void RemainingStep(BookingRun& run) {
  StubPool<v1::Booking> booking(absl::GetFlag(FLAGS_booking), "booking",
                                absl::GetFlag(FLAGS_channels));
  const int64_t buyers =
      std::max<int64_t>(1, absl::GetFlag(FLAGS_booking_buyers));
  auto answer = std::make_shared<std::atomic<int64_t>>(-1);
  auto differs = std::make_shared<std::atomic<int64_t>>(0);
  v1::RemainingSeatsRequest req;
  req.set_run_id(run.remaining_run);
  req.set_from_stop(run.remaining_from);
  req.set_to_stop(run.remaining_to);
  req.set_class_id(run.remaining_class);
  run.remaining = RunAsyncLoad(
      Timed("remaining-seat queries"), [&](int64_t i, OpDone done) {
        auto& stub = booking[i];
        Send<v1::RemainingSeatsRequest, v1::RemainingSeatsResponse>(
            [&stub](auto... a) { stub.async()->RemainingSeats(a...); }, req,
            [done, answer, differs](const grpc::Status& s,
                                    const v1::RemainingSeatsResponse& resp) {
              if (s.ok()) {
                if (resp.classes_size() != 1) {
                  return done(grpc::Status(grpc::StatusCode::UNKNOWN,
                                           "not one class in the answer"));
                }
                int64_t expected = -1;
                const int64_t got = resp.classes(0).remaining();
                if (!answer->compare_exchange_strong(expected, got) &&
                    expected != got) {
                  differs->fetch_add(1);
                }
              }
              done(s);
            },
            User(i % buyers));
      });
  run.remaining_answer = answer->load();
  PrintTally(absl::StrFormat("-- remaining-seat queries: RemainingSeats %s "
                             "[%d, %d) class %s, direct gRPC --",
                             run.remaining_run, run.remaining_from,
                             run.remaining_to, run.remaining_class),
             run.remaining);
  if (differs->load() > 0) {
    std::cout << "  warning: " << differs->load()
              << " answers differed from the first (" << run.remaining_answer
              << "); nothing was being sold\n";
  }
}

void SoldOutStep(BookingRun& run, StubPool<v1::Order>& orders) {
  const int64_t buyers =
      std::max<int64_t>(1, absl::GetFlag(FLAGS_booking_buyers));
  run.soldout = RunAsyncLoad(Timed("sold-out leg refusals"), [&](int64_t i,
                                                                 OpDone done) {
    PlaceRequest(orders[i], User(i % buyers),
                 Order(absl::StrCat("so-", run.tag, "-", i),
                       LegLine(run.soldout_run, kSoldOutFrom, kSoldOutTo, "c2",
                               1, absl::StrCat("s", run.tag, "-", i, "-"))),
                 std::move(done));
  });
  PrintTally("-- sold-out leg: PlaceOrder pay_now, refused by the gate --",
             run.soldout);
}

void CafeStep(BookingRun& run, StubPool<v1::Order>& orders) {
  // Buyers of their own: after the train buyers.
  const int64_t first = absl::GetFlag(FLAGS_booking_buyers);
  LoadOptions options;
  options.label = "net-cafe zone, 4h";
  options.count = run.cafe_buyers;
  options.concurrency = run.cafe_buyers;  // every buyer at once
  run.cafe = RunAsyncLoad(options, [&](int64_t i, OpDone done) {
    PlaceRequest(orders[i], User(first + i),
                 Order(absl::StrCat("cafe-", run.tag, "-", i),
                       SlotLine(run.venue, run.cafe_starts_at)),
                 std::move(done));
  });
  std::vector<double> all = run.cafe.ok_ms;
  all.insert(all.end(), run.cafe.refused_ms.begin(), run.cafe.refused_ms.end());
  run.cafe_all = Summarize(all);
  PrintTally(absl::StrFormat("-- %d concurrent buyers of any machine of a "
                             "%d-machine zone, 4h package, PlaceOrder pay_now "
                             "--",
                             run.cafe_buyers, run.cafe_machines),
             run.cafe);
  std::cout << "  every buyer (PAID or refused): "
            << FormatSummary(run.cafe_all) << "\n";
}

}  // namespace

int RunBookingAlloc() {
  AllocShape shape;
  shape.buyers = absl::GetFlag(FLAGS_alloc_buyers);
  PrintAlloc(CompareAllocators(shape, 1, absl::GetFlag(FLAGS_alloc_seeds)));
  return 0;
}

int RunBooking() {
  BookingRun run;
  run.steps = StepsFromFlag();
  run.label = absl::GetFlag(FLAGS_label).empty() ? "booking"
                                                 : absl::GetFlag(FLAGS_label);
  run.tag = Tag();
  run.concurrency = absl::GetFlag(FLAGS_concurrency);
  const absl::CivilDay day = BenchDay();
  run.day = absl::FormatCivilTime(day);
  auto has = [&run](const char* step) { return run.steps.count(step) > 0; };
  const bool live =
      has("train") || has("remaining") || has("soldout") || has("cafe");

  if (has("alloc")) {
    AllocShape shape;
    shape.buyers = absl::GetFlag(FLAGS_alloc_buyers);
    run.alloc = CompareAllocators(shape, 1, absl::GetFlag(FLAGS_alloc_seeds));
    PrintAlloc(*run.alloc);
  }
  if (!live) {
    run.all_ok = true;
    if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
      WriteBookingJson(path, run);
    }
    return 0;
  }

  const auto pg_password = PgPasswordFromFlags();
  if (!pg_password.ok()) Die(pg_password.status().ToString());
  const auto pg_base = PgConninfoFromFlags(absl::GetFlag(FLAGS_pg_base));
  if (!pg_base.ok()) Die(pg_base.status().ToString());
  const auto dbs =
      tools::DatabasesFor(*pg_base, absl::GetFlag(FLAGS_db_prefix));
  const std::string booking_db = absl::StrCat(
      *pg_base, " dbname=", absl::GetFlag(FLAGS_db_prefix), "_booking");
  std::unique_ptr<RedisClient> redis;
  if (auto options = RedisOptionsFromFlags(); options.ok()) {
    redis = std::make_unique<RedisClient>(*options);
  } else {
    std::cerr << "warning: no Redis baselines: " << options.status() << "\n";
  }

  // 1. Setup: the runs, the venue, the sold-out run sold out, the wallets.
  const int64_t buyers =
      std::max<int64_t>(1, absl::GetFlag(FLAGS_booking_buyers));
  run.cafe_buyers = absl::GetFlag(FLAGS_cafe_buyers);
  run.cafe_machines = absl::GetFlag(FLAGS_cafe_machines);
  std::cout << absl::StrFormat(
      "== %s: steps=%s day=%s concurrency=%d train_runs=%d x %d seats "
      "buyers=%d tag=%s ==\n",
      run.label, absl::GetFlag(FLAGS_booking_steps), run.day, run.concurrency,
      absl::GetFlag(FLAGS_train_runs), absl::GetFlag(FLAGS_train_seats), buyers,
      run.tag);
  if (absl::GetFlag(FLAGS_fund)) {
    const int64_t wallets = buyers + run.cafe_buyers + 1;
    run.funding = Fund(wallets);
    if (run.funding.ok != wallets) {
      PrintTally("deposits", run.funding);
      Die("funding the wallets failed");
    }
    std::cout << absl::StrFormat("funded %d wallets in %.1f s\n", wallets,
                                 run.funding.seconds);
  }
  if (has("train") || has("remaining")) {
    const int runs = std::max(1, absl::GetFlag(FLAGS_train_runs));
    for (int k = 0; k < runs; ++k) {
      run.train_runs.push_back(
          CreateBenchRun(TrainNumber(k), day, absl::GetFlag(FLAGS_train_seats))
              .run_id());
    }
    run.remaining_run = run.train_runs[0];
    run.remaining_class = kRemainingClass;
    run.remaining_from = kRemainingFrom;
    run.remaining_to = kRemainingTo;
  }
  StubPool<v1::Order> orders(absl::GetFlag(FLAGS_order), "order",
                             absl::GetFlag(FLAGS_channels));
  v1::Run soldout_run;
  if (has("soldout")) {
    soldout_run = CreateBenchRun(TrainNumber(99), day, kSoldOutSeats);
    run.soldout_run = soldout_run.run_id();
    // Every seat of both classes from the first stop to the last, by one
    // buyer of its own (after the cafe's).
    const std::string filler = User(buyers + run.cafe_buyers);
    for (const char* cls : {"c1", "c2"}) {
      const int n = static_cast<int>(SeatsOfClass(soldout_run, cls).size());
      const auto s = PlaceAndWait(
          orders[0], filler,
          Order(absl::StrCat("fill-", run.tag, "-", cls),
                LegLine(run.soldout_run, 0, kTrainStops - 1, cls, n,
                        absl::StrCat("f", run.tag, "-", cls, "-"))));
      if (!s.ok()) {
        Die(absl::StrCat("selling out ", run.soldout_run, " class ", cls, ": ",
                         s.error_message()));
      }
    }
  }
  if (has("cafe")) {
    run.venue = absl::StrCat("bench-v-", run.tag);
    CreateBenchVenue(run.venue, run.cafe_machines);
    run.cafe_starts_at = absl::ToUnixSeconds(
        absl::FromCivil(absl::CivilHour(day) + 18, absl::UTCTimeZone()));
  }

  // 2. The steps, each after the system has settled.
  run.load_before = LoadAverage();
  if (has("train")) {
    Settle(dbs);
    TrainStep(run, orders);
  }
  if (has("remaining")) {
    Settle(dbs);
    RemainingStep(run);
  }
  if (has("soldout")) {
    Settle(dbs);
    SoldOutStep(run, orders);
  }
  if (has("cafe")) {
    Settle(dbs);
    CafeStep(run, orders);
  }
  run.load_after = LoadAverage();

  // 3. Baselines on the same servers.
  std::cout << "== baselines (same servers, same run) ==\n";
  if (has("train")) {
    const std::string pgbench_db =
        absl::GetFlag(FLAGS_pgbench_db).empty()
            ? absl::GetFlag(FLAGS_db_prefix) + "_pgbench"
            : absl::GetFlag(FLAGS_pgbench_db);
    auto pg =
        RunPgbench({absl::GetFlag(FLAGS_pg_base), *pg_password, pgbench_db,
                    run.concurrency, absl::GetFlag(FLAGS_pgbench_seconds),
                    absl::GetFlag(FLAGS_pgbench_scale)});
    if (pg.ok()) {
      run.pgbench = *pg;
      std::cout << absl::StrFormat(
          "-- pgbench tpcb-like: %d clients, %d s: %.0f TPS\n", pg->clients,
          pg->seconds, pg->tps);
    } else {
      std::cout << "warning: pgbench skipped: " << pg.status() << "\n";
    }
  }
  if (redis && (has("remaining") || has("soldout"))) {
    // The remaining-seat count of the query above, on the same gate (or, with
    // no train step, a fresh run's).
    std::string free_run = run.remaining_run;
    std::vector<std::string> ids;
    v1::Run fresh;
    if (free_run.empty()) {
      fresh = CreateBenchRun(TrainNumber(98), day,
                             absl::GetFlag(FLAGS_train_seats));
      free_run = fresh.run_id();
    }
    v1::GetRunRequest get;
    get.set_run_id(free_run);
    v1::Run info;
    auto stub = v1::Booking::NewStub(
        MakeChannel(absl::GetFlag(FLAGS_booking), "booking"));
    auto ctx = CallContextFor(seconds(30), User(0));
    if (auto s = stub->GetRun(ctx.get(), get, &info); !s.ok()) {
      Die("GetRun " + free_run + ": " + s.error_message());
    }
    for (const std::string& seat : SeatsOfClass(info, kRemainingClass)) {
      ids.push_back(booking::SeatResource(free_run, seat));
    }
    auto rf = RedisBenchmarkRangeFree(*redis, booking::RunGate(free_run),
                                      kRemainingFrom, kRemainingTo, ids);
    if (rf.ok()) {
      run.range_free = *rf;
      std::cout << absl::StrFormat(
          "-- redis-benchmark EVALSHA range_free (%d seats, [%d, %d)), %d "
          "clients: %.0f/s (it counts %d free)\n",
          ids.size(), kRemainingFrom, kRemainingTo, run.concurrency, rf->rps,
          rf->answer);
    } else {
      std::cout << "warning: redis-benchmark range_free skipped: "
                << rf.status() << "\n";
    }
    if (has("soldout")) {
      auto rh = RedisBenchmarkRangeHoldTaken(
          *redis, booking::RunGate(run.soldout_run),
          booking::SeatResource(run.soldout_run,
                                SeatsOfClass(soldout_run, "c2").at(0)),
          kSoldOutFrom, kSoldOutTo);
      if (rh.ok()) {
        run.range_hold_taken = *rh;
        std::cout << absl::StrFormat(
            "-- redis-benchmark EVALSHA range_hold of a sold seat (TAKEN), %d "
            "clients: %.0f/s\n",
            run.concurrency, rh->rps);
      } else {
        std::cout << "warning: redis-benchmark range_hold skipped: "
                  << rh.status() << "\n";
      }
    }
  }
  PrintBookingRatios(run);

  // 4. Invariants and the bench's own checks.
  const int64_t open =
      SettleTransactions(dbs, seconds(absl::GetFlag(FLAGS_settle_s)));
  if (absl::GetFlag(FLAGS_check)) {
    auto results = tools::CheckInvariants(dbs, {.horizon_seconds = 60});
    if (!results.ok()) Die("invariant check: " + results.status().ToString());
    run.checks = *results;
  }
  run.checks.push_back({"bench: every transaction terminal", open == 0,
                        absl::StrCat(open, " open")});
  for (auto& c : CheckBookingRun(booking_db, run)) {
    run.checks.push_back(std::move(c));
  }
  std::cout
      << "-- invariants (as turnstilectl check) and the bench's gates --\n"
      << tools::FormatResults(run.checks);
  run.all_ok = tools::AllOk(run.checks);
  std::cout << (run.all_ok ? "RESULT: PASS\n" : "RESULT: FAIL\n");
  if (const std::string path = absl::GetFlag(FLAGS_json); !path.empty()) {
    WriteBookingJson(path, run);
  }
  return run.all_ok ? 0 : 1;
}

}  // namespace turnstile::bench
