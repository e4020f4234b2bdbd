// The real turnstile-booking process against real PostgreSQL and Redis
// (issue 10): catalogue RPCs, bad input for every RPC (right code, nothing
// changed in PostgreSQL or the gate), the Try with Participant Confirm /
// Cancel called directly (as the coordinator would), idempotent repeats,
// TRY_MISMATCH, deadlines, a FLUSHALL during holds then Reconcile (no
// double sale), availability answers against a recount from PostgreSQL,
// and the per-identity limits with two concurrent Tries.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "services/common/uuid.h"
#include "tests/support/booking_harness.h"
#include "tests/support/try_deadline.h"

namespace turnstile::testing {
namespace {

using grpc::StatusCode;

constexpr char kVenueGate[] = "v:cafe:2026-12-24";
constexpr char kRunGate[] = "r:G1:2026-12-24";

class BookingServiceTest : public BookingHarness {
 protected:
  void LaunchWithCatalog(const std::vector<std::string>& args = {}) {
    Launch(args);
    ASSERT_EQ(CreateVenue(VenueRequest()).code, StatusCode::OK);
    ASSERT_EQ(CreateRun(RunRequest()).code, StatusCode::OK);
  }
};

TEST_F(BookingServiceTest, CreatesAndReadsVenuesAndRuns) {
  Launch();
  v1::Venue venue;
  ASSERT_EQ(CreateVenue(VenueRequest(), &venue).code, StatusCode::OK);
  EXPECT_EQ(venue.zones_size(), 2);
  EXPECT_EQ(CreateVenue(VenueRequest()).reason, "VENUE_EXISTS");
  v1::Run run;
  ASSERT_EQ(CreateRun(RunRequest(), &run).code, StatusCode::OK);
  EXPECT_EQ(run.run_id(), kRunId);
  EXPECT_EQ(run.seats_size(), 8);
  EXPECT_EQ(run.seats(4).seat_id(), "2-1");
  EXPECT_EQ(CreateRun(RunRequest()).reason, "RUN_EXISTS");

  // A restart reads them back from PostgreSQL (catalogue loaded on use).
  Stop();
  Launch();
  v1::GetVenueRequest gv;
  gv.set_venue_id("cafe");
  v1::Venue again;
  ASSERT_TRUE(booking_->GetVenue(Ctx().get(), gv, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), venue.SerializeAsString());
  v1::GetRunRequest gr;
  gr.set_run_id(kRunId);
  v1::Run run_again;
  ASSERT_TRUE(booking_->GetRun(Ctx().get(), gr, &run_again).ok());
  EXPECT_EQ(run_again.SerializeAsString(), run.SerializeAsString());
  gv.set_venue_id("nowhere");
  EXPECT_EQ(OutcomeOf(booking_->GetVenue(Ctx().get(), gv, &again)).reason,
            "VENUE_NOT_FOUND");
  gr.set_run_id("X9:2026-12-24");
  EXPECT_EQ(OutcomeOf(booking_->GetRun(Ctx().get(), gr, &run_again)).reason,
            "RUN_NOT_FOUND");
}

TEST_F(BookingServiceTest, BadInputIsRefusedWithNothingChanged) {
  LaunchWithCatalog();
  // Something held, so that "nothing changed" is checked against a gate
  // with content.
  ASSERT_EQ(Hold(SlotTry(NewUuidV7(), {"m1"}, At(18), "2h")).code,
            StatusCode::OK);
  ASSERT_EQ(Hold(LegTry(NewUuidV7(), 1, 3, "first", {"D0"})).code,
            StatusCode::OK);
  const std::string before = Snapshot();
  const std::string venue_gate = GateView(kVenueGate);
  const std::string run_gate = GateView(kRunGate);

  struct Case {
    const char* name;
    v1::HoldBookingsRequest request;
    StatusCode code;
    const char* reason;
  };
  const std::string g = NewUuidV7();
  std::vector<Case> cases;
  auto slot = [&](auto edit) {
    auto r = SlotTry(g, {"m2"}, At(18), "2h");
    edit(r);
    return r;
  };
  auto leg = [&](auto edit) {
    auto r = LegTry(g, 1, 3, "first", {"D1"});
    edit(r);
    return r;
  };
  const auto kInvalid = StatusCode::INVALID_ARGUMENT;
  const auto kNotFound = StatusCode::NOT_FOUND;
  cases.push_back({"neither slot nor leg",
                   slot([](auto& r) { r.clear_slot(); }), kInvalid,
                   "INVALID_ARGUMENT"});
  cases.push_back({"both slot and leg", slot([](auto& r) {
                     *r.mutable_leg() = LegTry("", 1, 3, "first", {"D"}).leg();
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"no deadline", slot([](auto& r) { r.clear_deadline(); }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"bad gid",
                   slot([](auto& r) { r.mutable_txn()->set_gid("x"); }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"unknown venue", slot([](auto& r) {
                     r.mutable_slot()->set_venue_id("nope");
                   }),
                   kNotFound, "VENUE_NOT_FOUND"});
  cases.push_back({"unknown zone",
                   slot([](auto& r) { r.mutable_slot()->set_zone_id("nope"); }),
                   kNotFound, "ZONE_NOT_FOUND"});
  cases.push_back({"machine of another zone", slot([](auto& r) {
                     r.mutable_slot()->set_machine_ids(0, "v1");
                   }),
                   kNotFound, "MACHINE_NOT_FOUND"});
  cases.push_back({"duplicate machine", slot([](auto& r) {
                     r.mutable_slot()->add_machine_ids("m2");
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"both package and duration", slot([](auto& r) {
                     r.mutable_slot()->set_duration_minutes(60);
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"neither package nor duration",
                   slot([](auto& r) { r.mutable_slot()->clear_package_id(); }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"unknown package", slot([](auto& r) {
                     r.mutable_slot()->set_package_id("9h");
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"start before opening", slot([](auto& r) {
                     r.mutable_slot()->mutable_starts_at()->set_seconds(At(9));
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"start off the grid", slot([](auto& r) {
                     r.mutable_slot()->mutable_starts_at()->set_seconds(
                         At(18, 10));
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"runs past closing", slot([](auto& r) {
                     r.mutable_slot()->mutable_starts_at()->set_seconds(At(21));
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"duration not a multiple of the slot", slot([](auto& r) {
                     r.mutable_slot()->clear_package_id();
                     r.mutable_slot()->set_duration_minutes(45);
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"too many machines", slot([](auto& r) {
                     r.mutable_slot()->clear_machine_ids();
                     r.mutable_slot()->set_machines(9);
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"unknown run", leg([](auto& r) {
                     r.mutable_leg()->set_run_id("X1:2026-12-24");
                   }),
                   kNotFound, "RUN_NOT_FOUND"});
  cases.push_back({"empty trip",
                   leg([](auto& r) { r.mutable_leg()->set_to_stop(1); }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"reversed trip", leg([](auto& r) {
                     r.mutable_leg()->set_from_stop(4);
                     r.mutable_leg()->set_to_stop(2);
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"unknown stop",
                   leg([](auto& r) { r.mutable_leg()->set_to_stop(6); }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"unknown class",
                   leg([](auto& r) { r.mutable_leg()->set_class_id("royal"); }),
                   kNotFound, "CLASS_NOT_FOUND"});
  cases.push_back({"no passengers",
                   leg([](auto& r) { r.mutable_leg()->clear_passengers(); }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"six passengers", leg([](auto& r) {
                     for (int i = 2; i <= 6; ++i) {
                       r.mutable_leg()->add_passengers()->set_doc_id(
                           "P" + std::to_string(i));
                     }
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"duplicate document", leg([](auto& r) {
                     r.mutable_leg()->add_passengers()->set_doc_id("D1");
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  cases.push_back({"unknown seat",
                   leg([](auto& r) { r.mutable_leg()->add_seat_ids("9-9"); }),
                   kNotFound, "SEAT_NOT_FOUND"});
  cases.push_back({"seat of another class",
                   leg([](auto& r) { r.mutable_leg()->add_seat_ids("2-1"); }),
                   kNotFound, "SEAT_NOT_FOUND"});
  cases.push_back({"seats not one per passenger", leg([](auto& r) {
                     r.mutable_leg()->add_seat_ids("1-1");
                     r.mutable_leg()->add_seat_ids("1-2");
                   }),
                   kInvalid, "INVALID_ARGUMENT"});
  for (const Case& c : cases) {
    const Outcome o = Hold(c.request);
    EXPECT_EQ(o.code, c.code) << c.name << ": " << o;
    EXPECT_EQ(o.reason, c.reason) << c.name << ": " << o;
  }

  // The availability RPCs.
  auto fm = [&](auto edit) {
    v1::FreeMachinesRequest r;
    r.set_venue_id("cafe");
    r.set_zone_id("std");
    r.mutable_starts_at()->set_seconds(At(18));
    r.set_package_id("2h");
    edit(r);
    v1::FreeMachinesResponse out;
    return OutcomeOf(booking_->FreeMachines(Ctx().get(), r, &out));
  };
  EXPECT_EQ(fm([](auto&) {}).code, StatusCode::OK);
  EXPECT_EQ(fm([](auto& r) { r.set_zone_id("x"); }).reason, "ZONE_NOT_FOUND");
  EXPECT_EQ(fm([](auto& r) { r.set_duration_minutes(60); }).code, kInvalid);
  EXPECT_EQ(fm([](auto& r) { r.clear_starts_at(); }).code, kInvalid);
  EXPECT_EQ(
      fm([](auto& r) { r.mutable_starts_at()->set_seconds(At(23)); }).code,
      kInvalid);
  EXPECT_EQ(fm([](auto& r) { r.mutable_starts_at()->set_nanos(5); }).code,
            kInvalid);
  auto fw = [&](auto edit) {
    v1::FreeWindowsRequest r;
    r.set_venue_id("cafe");
    r.set_machine_id("m1");
    r.set_venue_day(kDay);
    edit(r);
    v1::FreeWindowsResponse out;
    return OutcomeOf(booking_->FreeWindows(Ctx().get(), r, &out));
  };
  EXPECT_EQ(fw([](auto&) {}).code, StatusCode::OK);
  EXPECT_EQ(fw([](auto& r) { r.set_machine_id("zz"); }).reason,
            "MACHINE_NOT_FOUND");
  EXPECT_EQ(fw([](auto& r) { r.set_venue_day("2026-13-01"); }).code, kInvalid);
  EXPECT_EQ(fw([](auto& r) { r.set_min_minutes(-1); }).code, kInvalid);
  auto rs = [&](int from, int to, const std::string& cls) {
    v1::RemainingSeatsRequest r;
    r.set_run_id(kRunId);
    r.set_from_stop(from);
    r.set_to_stop(to);
    r.set_class_id(cls);
    v1::RemainingSeatsResponse out;
    return OutcomeOf(booking_->RemainingSeats(Ctx().get(), r, &out));
  };
  EXPECT_EQ(rs(0, 5, "").code, StatusCode::OK);
  EXPECT_EQ(rs(3, 3, "").code, kInvalid);
  EXPECT_EQ(rs(4, 2, "").code, kInvalid);
  EXPECT_EQ(rs(0, 6, "").code, kInvalid);
  EXPECT_EQ(rs(-1, 2, "").code, kInvalid);
  EXPECT_EQ(rs(0, 2, "royal").reason, "CLASS_NOT_FOUND");
  v1::GetStopMatrixRequest sm;
  sm.set_run_id(kRunId);
  sm.set_class_id("royal");
  v1::StopMatrix matrix;
  EXPECT_EQ(OutcomeOf(booking_->GetStopMatrix(Ctx().get(), sm, &matrix)).reason,
            "CLASS_NOT_FOUND");
  v1::ReconcileBookingsRequest rec;
  rec.set_venue_day(kDay);
  EXPECT_EQ(Reconcile(rec).code, kInvalid);
  rec.set_venue_id("nope");
  EXPECT_EQ(Reconcile(rec).reason, "VENUE_NOT_FOUND");
  rec.Clear();
  rec.set_run_id("X1:2026-12-24");
  EXPECT_EQ(Reconcile(rec).reason, "RUN_NOT_FOUND");

  // The Create RPCs.
  auto venue = [&](auto edit) {
    auto r = VenueRequest("cafe2");
    edit(r);
    return CreateVenue(r).code;
  };
  EXPECT_EQ(venue([](auto& r) { r.set_slot_minutes(7); }), kInvalid);
  EXPECT_EQ(venue([](auto& r) {  // 1440 one-minute slots > 256
              r.set_slot_minutes(1);
              r.set_closing_minute(600);
            }),
            kInvalid);
  EXPECT_EQ(venue([](auto& r) { r.set_time_zone("Mars/Olympus"); }), kInvalid);
  EXPECT_EQ(venue([](auto& r) { r.mutable_zones(1)->add_machine_ids("m1"); }),
            kInvalid);
  EXPECT_EQ(venue([](auto& r) { r.clear_zones(); }), kInvalid);
  auto run = [&](auto edit) {
    auto r = RunRequest();
    r.set_train_number("G2");
    edit(r);
    return CreateRun(r).code;
  };
  EXPECT_EQ(run([](auto& r) {
              r.mutable_stops(3)->mutable_departs_at()->set_seconds(1);
            }),
            kInvalid);
  EXPECT_EQ(run([](auto& r) {
              r.mutable_stops()->RemoveLast();
              r.mutable_stops()->RemoveLast();
              r.mutable_stops()->RemoveLast();
              r.mutable_stops()->RemoveLast();
              r.mutable_stops()->RemoveLast();
            }),
            kInvalid);
  EXPECT_EQ(run([](auto& r) { r.mutable_cars(1)->set_class_id("royal"); }),
            kInvalid);
  EXPECT_EQ(run([](auto& r) { r.mutable_cars(1)->set_car(1); }), kInvalid);
  EXPECT_EQ(run([](auto& r) { r.set_service_date("24.12.2026"); }), kInvalid);
  EXPECT_EQ(run([](auto& r) {
              for (int i = 0; i < 60; ++i) {
                auto* s = r.add_stops();
                s->set_station("x");
                s->mutable_departs_at()->set_seconds(At(20) + i * 60);
              }
            }),
            kInvalid);  // 66 stops: more than 63 legs

  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(GateView(kVenueGate), venue_gate);
  EXPECT_EQ(GateView(kRunGate), run_gate);
}

TEST_F(BookingServiceTest, TryConfirmCancelAndRepeats) {
  LaunchWithCatalog();
  // Net cafe: two machines for the 4 h package.
  const std::string a = NewUuidV7();
  auto slot = SlotTry(a, {"m1", "m2"}, At(14), "4h");
  v1::HoldBookingsResponse first;
  ASSERT_EQ(Hold(slot, &first).code, StatusCode::OK);
  ASSERT_EQ(first.items_size(), 2);
  EXPECT_EQ(first.items(0).machine_id(), "m1");
  EXPECT_EQ(first.items(0).window().from_slot(), 8);
  EXPECT_EQ(first.items(0).window().to_slot(), 16);
  EXPECT_EQ(first.items(0).window().starts_at().seconds(), At(14));
  EXPECT_EQ(first.items(0).price().minor_units(), 1800);
  EXPECT_EQ(first.total().minor_units(), 3600);
  EXPECT_EQ(first.payment_window_seconds(), 300);
  v1::HoldBookingsResponse repeat;
  ASSERT_EQ(Hold(slot, &repeat).code, StatusCode::OK);
  EXPECT_EQ(repeat.SerializeAsString(), first.SerializeAsString());
  auto other = SlotTry(a, {"m3"}, At(14), "4h");
  EXPECT_EQ(Hold(other).reason, "TRY_MISMATCH");
  // m1 overlaps: refused in the gate, PostgreSQL untouched.
  EXPECT_EQ(Hold(SlotTry(NewUuidV7(), {"m1"}, At(17), "", 60)).reason,
            "SLOT_TAKEN");
  // Adjacent windows both sell.
  const std::string adj = NewUuidV7();
  EXPECT_EQ(Hold(SlotTry(adj, {"m1"}, At(18), "", 90)).code, StatusCode::OK);
  EXPECT_EQ(Count("SELECT count(*) FROM booking"), 3);

  bool applied = false;
  ASSERT_EQ(Confirm(a, &applied).code, StatusCode::OK);
  EXPECT_TRUE(applied);
  ASSERT_EQ(Confirm(a, &applied).code, StatusCode::OK);
  EXPECT_FALSE(applied);
  EXPECT_EQ(Count("SELECT count(*) FROM booking WHERE state = 'SOLD'"), 2);
  // Gate and PostgreSQL agree entry for entry.
  {
    const std::string pg = PgView(kVenueGate);
    const std::string gate = GateView(kVenueGate);
    EXPECT_EQ(gate, pg);
  }
  // Duration pricing: 90 min at 600/h.
  v1::HoldBookingsResponse dur;
  ASSERT_EQ(Hold(SlotTry(adj, {"m1"}, At(18), "", 90), &dur).code,
            StatusCode::OK);
  EXPECT_EQ(dur.total().minor_units(), 900);

  // Any machine of the zone.
  v1::HoldBookingsResponse any;
  const std::string b = NewUuidV7();
  auto any_try = SlotTry(b, {}, At(14), "2h");
  any_try.mutable_slot()->set_machines(2);
  ASSERT_EQ(Hold(any_try, &any).code, StatusCode::OK);
  ASSERT_EQ(any.items_size(), 2);
  EXPECT_EQ(any.items(0).machine_id(), "m3");
  EXPECT_EQ(any.items(1).machine_id(), "m4");
  v1::HoldBookingsResponse any_again;
  ASSERT_EQ(Hold(any_try, &any_again).code, StatusCode::OK);
  EXPECT_EQ(any_again.SerializeAsString(), any.SerializeAsString());
  auto none_left = SlotTry(NewUuidV7(), {}, At(15), "2h");
  EXPECT_EQ(Hold(none_left).reason, "SLOT_TAKEN");

  // Train: allocated seats, leg pricing, 15 min window.
  const std::string c = NewUuidV7();
  v1::HoldBookingsResponse legs;
  auto leg = LegTry(c, 1, 4, "second", {"P1", "P2"});
  ASSERT_EQ(Hold(leg, &legs).code, StatusCode::OK);
  ASSERT_EQ(legs.items_size(), 2);
  EXPECT_EQ(legs.items(0).seat_id(), "2-1");
  EXPECT_EQ(legs.items(1).seat_id(), "2-2");
  EXPECT_EQ(legs.items(0).doc_id(), "P1");
  EXPECT_EQ(legs.items(0).price().minor_units(), 150);
  EXPECT_EQ(legs.total().minor_units(), 300);
  EXPECT_EQ(legs.payment_window_seconds(), 900);
  v1::HoldBookingsResponse legs_again;
  ASSERT_EQ(Hold(leg, &legs_again).code, StatusCode::OK);
  EXPECT_EQ(legs_again.SerializeAsString(), legs.SerializeAsString());
  // A chosen seat that is taken on one leg of the trip.
  EXPECT_EQ(Hold(LegTry(NewUuidV7(), 3, 5, "second", {"P3"}, {"2-1"})).reason,
            "SEAT_TAKEN");
  EXPECT_EQ(Hold(LegTry(NewUuidV7(), 4, 5, "second", {"P4"}, {"2-1"})).code,
            StatusCode::OK);

  // Cancel: rows deleted, gate free; repeat; a late Try refused.
  ASSERT_EQ(Cancel(c, &applied).code, StatusCode::OK);
  EXPECT_TRUE(applied);
  ASSERT_EQ(Cancel(c, &applied).code, StatusCode::OK);
  EXPECT_FALSE(applied);
  EXPECT_EQ(Count("SELECT count(*) FROM booking WHERE gid = '" + c + "'"), 0);
  EXPECT_EQ(GateView(kRunGate), PgView(kRunGate));
  EXPECT_EQ(Hold(leg).reason, "BRANCH_CANCELLED");
  // Confirm of a branch that holds nothing.
  EXPECT_EQ(Confirm(NewUuidV7()).reason, "BRANCH_NOT_TRIED");
  EXPECT_EQ(GateView(kVenueGate), PgView(kVenueGate));
}

TEST_F(BookingServiceTest, DeadlinesAndExpiry) {
  LaunchWithCatalog();
  // A Try after its deadline.
  auto late = LegTry(NewUuidV7(), 0, 2, "first", {"L1"});
  SetTryDeadline(late.mutable_deadline(), std::chrono::milliseconds(-1000));
  const Outcome o = Hold(late);
  EXPECT_EQ(o.code, StatusCode::ABORTED) << o;
  EXPECT_EQ(o.reason, "TXN_DEADLINE");
  EXPECT_EQ(Count("SELECT count(*) FROM booking"), 0);

  // A 2-second window: held, the deadline passes, the Cancel (the
  // coordinator's or the orphan sweep's) frees it in PostgreSQL and Redis.
  const std::string g = NewUuidV7();
  auto slot = SlotTry(g, {"m1"}, At(12), "2h");
  SetTryDeadline(slot.mutable_deadline(), std::chrono::seconds(2));
  ASSERT_EQ(Hold(slot).code, StatusCode::OK);
  EXPECT_NE(GateView(kVenueGate), "");
  std::this_thread::sleep_for(std::chrono::milliseconds(2300));
  // The Try again, now after the deadline: refused.
  EXPECT_EQ(Hold(slot).code, StatusCode::ABORTED);
  ASSERT_EQ(Cancel(g).code, StatusCode::OK);
  EXPECT_EQ(Count("SELECT count(*) FROM booking"), 0);
  EXPECT_EQ(GateView(kVenueGate), "");
  EXPECT_EQ(Hold(SlotTry(NewUuidV7(), {"m1"}, At(12), "2h")).code,
            StatusCode::OK);
}

TEST_F(BookingServiceTest, FlushAllDuringHoldsThenReconcileNoDoubleSale) {
  LaunchWithCatalog({"--reconcile_interval_s=0"});
  const std::string sold = NewUuidV7(), held = NewUuidV7(),
                    seat_sold = NewUuidV7(), seat_held = NewUuidV7();
  ASSERT_EQ(Hold(SlotTry(sold, {"m1"}, At(12), "2h")).code, StatusCode::OK);
  ASSERT_EQ(Confirm(sold).code, StatusCode::OK);
  ASSERT_EQ(Hold(SlotTry(held, {"m2"}, At(12), "4h")).code, StatusCode::OK);
  ASSERT_EQ(Hold(LegTry(seat_sold, 0, 3, "first", {"A1"}, {"1-1"})).code,
            StatusCode::OK);
  ASSERT_EQ(Confirm(seat_sold).code, StatusCode::OK);
  ASSERT_EQ(Hold(LegTry(seat_held, 2, 5, "first", {"A2"}, {"1-2"})).code,
            StatusCode::OK);
  const std::string pg_venue = PgView(kVenueGate), pg_run = PgView(kRunGate);
  ASSERT_EQ(GateView(kVenueGate), pg_venue);
  ASSERT_EQ(GateView(kRunGate), pg_run);

  SharedRedis().FlushAll();
  EXPECT_EQ(GateView(kVenueGate), "absent");
  // A Try right after finds no gate: rebuilt on the spot, then refused.
  EXPECT_EQ(Hold(SlotTry(NewUuidV7(), {"m1"}, At(13), "2h")).reason,
            "SLOT_TAKEN");
  EXPECT_EQ(GateView(kVenueGate), pg_venue);
  SharedRedis().FlushAll();
  v1::ReconcileBookingsResponse report;
  ASSERT_EQ(Reconcile({}, &report).code, StatusCode::OK);
  EXPECT_EQ(report.gates_checked(), 2);
  EXPECT_EQ(report.gates_rebuilt(), 2);
  EXPECT_EQ(GateView(kVenueGate), pg_venue);
  EXPECT_EQ(GateView(kRunGate), pg_run);
  // Nothing sold or held twice.
  EXPECT_EQ(Hold(SlotTry(NewUuidV7(), {"m2"}, At(15), "2h")).reason,
            "SLOT_TAKEN");
  EXPECT_EQ(Hold(LegTry(NewUuidV7(), 1, 2, "first", {"B1"}, {"1-1"})).reason,
            "SEAT_TAKEN");
  EXPECT_EQ(Hold(LegTry(NewUuidV7(), 4, 5, "first", {"B2"}, {"1-2"})).reason,
            "SEAT_TAKEN");
  // The held branch confirms normally after the rebuild.
  ASSERT_EQ(Confirm(held).code, StatusCode::OK);
  ASSERT_EQ(Confirm(seat_held).code, StatusCode::OK);
  EXPECT_EQ(GateView(kVenueGate), PgView(kVenueGate));
  EXPECT_EQ(GateView(kRunGate), PgView(kRunGate));
  // A second pass finds nothing to fix.
  ASSERT_EQ(Reconcile({}, &report).code, StatusCode::OK);
  EXPECT_EQ(report.gates_rebuilt(), 0);
  EXPECT_EQ(report.fixes(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM booking b1 JOIN booking b2 ON "
                  "b1.resource_id = b2.resource_id AND b1.booking_id < "
                  "b2.booking_id AND b1.during && b2.during"),
            0);
}

TEST_F(BookingServiceTest, AvailabilityMatchesRecountFromPostgres) {
  Launch({"--per_doc_day_limit=0"});
  ASSERT_EQ(CreateVenue(VenueRequest()).code, StatusCode::OK);
  ASSERT_EQ(CreateRun(RunRequest(8, 10)).code, StatusCode::OK);
  std::mt19937 rng(7);
  int ok = 0;
  for (int i = 0; i < 60; ++i) {  // bounded: 60 random trips
    const int from = static_cast<int>(rng() % 7);
    const int to = from + 1 + static_cast<int>(rng() % (7 - from));
    const int n = 1 + static_cast<int>(rng() % 3);
    std::vector<std::string> docs;
    for (int k = 0; k < n; ++k) {
      docs.push_back("d" + std::to_string(i) + "_" + std::to_string(k));
    }
    const std::string gid = NewUuidV7();
    const Outcome o =
        Hold(LegTry(gid, from, to, rng() % 2 ? "first" : "second", docs));
    if (o.code == StatusCode::OK) {
      ++ok;
      if (rng() % 2) ASSERT_EQ(Confirm(gid).code, StatusCode::OK);
    } else {
      ASSERT_EQ(o.reason, "SEAT_TAKEN") << o;
    }
  }
  EXPECT_GT(ok, 10);
  for (int from = 0; from < 7; ++from) {
    for (int to = from + 1; to < 8; ++to) {
      v1::RemainingSeatsRequest r;
      r.set_run_id(kRunId);
      r.set_from_stop(from);
      r.set_to_stop(to);
      v1::RemainingSeatsResponse all;
      ASSERT_TRUE(booking_->RemainingSeats(Ctx().get(), r, &all).ok());
      ASSERT_EQ(all.classes_size(), 2);
      for (const auto& c : all.classes()) {
        const int64_t recount = Count(
            "SELECT count(*) FROM run_seat s WHERE s.run_id = '" +
            std::string(kRunId) + "' AND s.class_id = '" + c.class_id() +
            "' AND NOT EXISTS (SELECT 1 FROM booking b WHERE b.resource_id = "
            "'s:' || s.run_id || ':' || s.seat_id AND b.during && "
            "int4range(" +
            std::to_string(from) + "," + std::to_string(to) + "))");
        EXPECT_EQ(c.remaining(), recount)
            << c.class_id() << " " << from << "->" << to;
        EXPECT_EQ(c.seats(), 10);
        r.set_class_id(c.class_id());
        v1::RemainingSeatsResponse one;
        ASSERT_TRUE(booking_->RemainingSeats(Ctx().get(), r, &one).ok());
        ASSERT_EQ(one.classes_size(), 1);
        EXPECT_EQ(one.classes(0).remaining(), recount);
        EXPECT_EQ(one.classes(0).price().minor_units(),
                  (c.class_id() == "first" ? 100 : 50) * (to - from));
        r.clear_class_id();
      }
    }
  }
  v1::GetStopMatrixRequest sm;
  sm.set_run_id(kRunId);
  sm.set_class_id("second");
  v1::StopMatrix matrix;
  ASSERT_TRUE(booking_->GetStopMatrix(Ctx().get(), sm, &matrix).ok());
  ASSERT_EQ(matrix.rows_size(), 8);
  for (int from = 0; from < 7; ++from) {
    for (int to = from + 1; to < 8; ++to) {
      v1::RemainingSeatsRequest r;
      r.set_run_id(kRunId);
      r.set_from_stop(from);
      r.set_to_stop(to);
      r.set_class_id("second");
      v1::RemainingSeatsResponse one;
      ASSERT_TRUE(booking_->RemainingSeats(Ctx().get(), r, &one).ok());
      EXPECT_EQ(matrix.rows(from).remaining(to), one.classes(0).remaining());
    }
  }

  // Net cafe: free machines and free windows against PostgreSQL.
  ASSERT_EQ(Hold(SlotTry(NewUuidV7(), {"m2"}, At(12), "2h")).code,
            StatusCode::OK);
  ASSERT_EQ(Hold(SlotTry(NewUuidV7(), {"m2"}, At(16), "", 30)).code,
            StatusCode::OK);
  ASSERT_EQ(Hold(SlotTry(NewUuidV7(), {"m3"}, At(13), "4h")).code,
            StatusCode::OK);
  v1::FreeMachinesRequest fm;
  fm.set_venue_id("cafe");
  fm.set_zone_id("std");
  fm.mutable_starts_at()->set_seconds(At(13, 30));
  fm.set_duration_minutes(60);
  v1::FreeMachinesResponse free;
  ASSERT_TRUE(booking_->FreeMachines(Ctx().get(), fm, &free).ok());
  EXPECT_EQ(free.zone_machines(), 4);
  std::vector<std::string> got(free.machine_ids().begin(),
                               free.machine_ids().end());
  EXPECT_EQ(got, (std::vector<std::string>{"m1", "m4"}));
  EXPECT_EQ(free.window().from_slot(), 7);
  EXPECT_EQ(free.window().to_slot(), 9);
  v1::FreeWindowsRequest fw;
  fw.set_venue_id("cafe");
  fw.set_machine_id("m2");
  fw.set_venue_day(kDay);
  v1::FreeWindowsResponse windows;
  ASSERT_TRUE(booking_->FreeWindows(Ctx().get(), fw, &windows).ok());
  EXPECT_EQ(windows.slot_count(), 24);
  ASSERT_EQ(windows.windows_size(), 3);
  EXPECT_EQ(windows.windows(0).to_slot(), 4);    // 10:00-12:00
  EXPECT_EQ(windows.windows(1).from_slot(), 8);  // 14:00-16:00
  EXPECT_EQ(windows.windows(1).to_slot(), 12);
  EXPECT_EQ(windows.windows(2).from_slot(), 13);  // 16:30-22:00
  EXPECT_EQ(windows.windows(2).ends_at().seconds(), At(22));
  fw.set_min_minutes(150);
  ASSERT_TRUE(booking_->FreeWindows(Ctx().get(), fw, &windows).ok());
  // (the response accumulates; the second answer has only the long window)
  windows.Clear();
  ASSERT_TRUE(booking_->FreeWindows(Ctx().get(), fw, &windows).ok());
  ASSERT_EQ(windows.windows_size(), 1);
  EXPECT_EQ(windows.windows(0).from_slot(), 13);
}

TEST_F(BookingServiceTest, PerIdentityLimitsIncludingConcurrentTries) {
  LaunchWithCatalog({"--per_doc_day_limit=1", "--per_user_run_limit=3"});
  ASSERT_EQ(Hold(LegTry(NewUuidV7(), 0, 1, "first", {"X"})).code,
            StatusCode::OK);
  const Outcome again = Hold(LegTry(NewUuidV7(), 2, 3, "first", {"X"}));
  EXPECT_EQ(again.reason, "USER_LIMIT") << again;
  // User limit per run: alice has 1, three more would make 4.
  const Outcome user =
      Hold(LegTry(NewUuidV7(), 1, 2, "second", {"Y1", "Y2", "Y3"}));
  EXPECT_EQ(user.reason, "USER_LIMIT") << user;
  EXPECT_EQ(Count("SELECT count(*) FROM booking"), 1);

  // Two concurrent Tries for one document (limit 1) by different users on
  // different seats (classes alternate, so that neither class runs out
  // whoever wins): exactly one wins (the day-limit gate turns the other
  // away; PostgreSQL would too).
  for (int round = 0; round < 5; ++round) {
    const std::string doc = "Z" + std::to_string(round);
    std::vector<std::string> gids = {NewUuidV7(), NewUuidV7()};
    std::vector<Outcome> outcomes(2);
    RunConcurrently(2, [&](int i) {
      outcomes[i] =
          Hold(LegTry(gids[i], 3, 5, (i + round) % 2 == 0 ? "first" : "second",
                      {doc}, {}, "u" + std::to_string(round * 2 + i)));
    });
    int won = 0;
    for (int i = 0; i < 2; ++i) {
      if (outcomes[i].code == StatusCode::OK) {
        ++won;
      } else {
        EXPECT_EQ(outcomes[i].reason, "USER_LIMIT") << outcomes[i];
      }
    }
    EXPECT_EQ(won, 1) << "round " << round;
    EXPECT_EQ(
        Count("SELECT count(*) FROM booking WHERE doc_id = '" + doc + "'"), 1);
  }
  // The losers' gate holds were released: gate and PostgreSQL agree.
  EXPECT_EQ(GateView(kRunGate), PgView(kRunGate));
}

// --per_user_run_limit in the Redis gate too (PostgreSQL stays the judge):
// an over-limit Try is refused by the gate before PostgreSQL, with the
// store's reason (the gate's message, which counts what the user booked or
// holds on the run, tells them apart: the store's refusal rolls its barrier
// row back too, so no 'try' row is left either way); another user is not
// affected; a Cancel gives the quota back in the gate; a gate rebuilt from
// PostgreSQL after a FLUSHALL refuses the same way.
TEST_F(BookingServiceTest, PerUserRunLimitIsEnforcedInTheGate) {
  LaunchWithCatalog({"--per_doc_day_limit=0", "--per_user_run_limit=2",
                     "--reconcile_interval_s=0"});
  const std::string first = NewUuidV7(), second = NewUuidV7();
  ASSERT_EQ(Hold(LegTry(first, 0, 1, "first", {"A1"})).code, StatusCode::OK);
  ASSERT_EQ(Hold(LegTry(second, 1, 2, "first", {"A2"})).code, StatusCode::OK);
  ASSERT_EQ(Confirm(second).code, StatusCode::OK);
  auto refused_by_gate = [&](const char* when) {
    const std::string over = NewUuidV7();
    const Outcome refused = Hold(LegTry(over, 2, 3, "second", {"A3"}));
    EXPECT_EQ(refused.code, StatusCode::FAILED_PRECONDITION) << when;
    EXPECT_EQ(refused.reason, "USER_LIMIT") << when << " " << refused;
    EXPECT_NE(refused.message.find("booked or held on this run"),
              std::string::npos)
        << when << " " << refused;
    EXPECT_EQ(
        Count("SELECT count(*) FROM tcc_barrier WHERE gid = '" + over + "'"), 0)
        << when;
  };
  refused_by_gate("two booked");
  EXPECT_EQ(Count("SELECT count(*) FROM booking"), 2);
  EXPECT_EQ(Hold(LegTry(NewUuidV7(), 2, 3, "second", {"B1"}, {}, "bob")).code,
            StatusCode::OK);

  // The gate is lost: the next Try rebuilds it from PostgreSQL, users
  // included, and is refused the same way.
  SharedRedis().FlushAll();
  refused_by_gate("after FLUSHALL");
  EXPECT_EQ(GateView(kRunGate), PgView(kRunGate));

  // The held one is cancelled: one more fits, then the limit again.
  ASSERT_EQ(Cancel(first).code, StatusCode::OK);
  EXPECT_EQ(Hold(LegTry(NewUuidV7(), 3, 4, "second", {"A4"})).code,
            StatusCode::OK);
  refused_by_gate("after the cancel");
}

// --per_doc_day_limit and --per_user_day_limit in the Redis day-limit gate
// too (lua/limit_*.lua; PostgreSQL stays the judge): an over-limit Try is
// refused by the gate before PostgreSQL (its message counts the day, and no
// barrier row is written), on a second run of the same day too; a refused
// Try gives back what it took; the gate's counts equal booking_quota's; a
// Cancel gives the count back; a gate lost to FLUSHALL is rebuilt from
// PostgreSQL by the next Try, and a Confirm keeps the count for good.
TEST_F(BookingServiceTest, PerDocAndUserDayLimitsAreEnforcedInTheGate) {
  LaunchWithCatalog({"--per_doc_day_limit=1", "--per_user_day_limit=3",
                     "--per_user_run_limit=0", "--reconcile_interval_s=0"});
  v1::CreateRunRequest second_run = RunRequest();
  second_run.set_train_number("G2");
  ASSERT_EQ(CreateRun(second_run).code, StatusCode::OK);
  const std::string run2 = std::string("G2:") + kDay;
  auto on_run2 = [&](v1::HoldBookingsRequest r) {
    r.mutable_leg()->set_run_id(run2);
    return r;
  };
  const std::string first = NewUuidV7(), second = NewUuidV7();
  ASSERT_EQ(Hold(LegTry(first, 0, 1, "first", {"P1"})).code, StatusCode::OK);
  ASSERT_EQ(Hold(LegTry(second, 1, 2, "first", {"P2"})).code, StatusCode::OK);
  ASSERT_EQ(Confirm(second).code, StatusCode::OK);
  auto refused_by_gate = [&](const char* when, v1::HoldBookingsRequest r,
                             const char* quota) {
    const std::string gid = r.txn().gid();
    const Outcome refused = Hold(r);
    EXPECT_EQ(refused.code, StatusCode::FAILED_PRECONDITION) << when;
    EXPECT_EQ(refused.reason, "USER_LIMIT") << when << " " << refused;
    EXPECT_NE(refused.message.find(std::string("the ") + quota + " limit"),
              std::string::npos)
        << when << " " << refused;
    EXPECT_NE(refused.message.find("booked or held that day"),
              std::string::npos)
        << when << " " << refused;
    EXPECT_EQ(
        Count("SELECT count(*) FROM tcc_barrier WHERE gid = '" + gid + "'"), 0)
        << when;
  };
  // P1 again, on the other run of the same day: one document per day.
  refused_by_gate("doc on run 2",
                  on_run2(LegTry(NewUuidV7(), 2, 3, "first", {"P1"})), "doc");
  // alice has 2 of 3 bookings that day: two more passengers are too many,
  // and that Try gives back the doc counts it took in the gate.
  refused_by_gate("user-day",
                  on_run2(LegTry(NewUuidV7(), 2, 3, "first", {"P3", "P4"})),
                  "user-day");
  EXPECT_EQ(LimitView(kDay), PgLimitView(kDay, true, true));
  EXPECT_EQ(LimitView(kDay), std::string("doc:P1:") + kDay + "=1 doc:P2:" +
                                 kDay + "=1 user-day:alice:" + kDay + "=2");
  // Another user's passenger P3 is fine (P3 was given back).
  ASSERT_EQ(
      Hold(on_run2(LegTry(NewUuidV7(), 2, 3, "first", {"P3"}, {}, "bob"))).code,
      StatusCode::OK);
  EXPECT_EQ(Count("SELECT count(*) FROM booking"), 3);

  // The gate is lost: the next Try rebuilds it from PostgreSQL.
  SharedRedis().FlushAll();
  refused_by_gate("after FLUSHALL",
                  on_run2(LegTry(NewUuidV7(), 3, 4, "first", {"P2"})), "doc");
  EXPECT_EQ(LimitView(kDay), PgLimitView(kDay, true, true));

  // The held P1 is cancelled: P1 fits again (on run 2), then not.
  ASSERT_EQ(Cancel(first).code, StatusCode::OK);
  EXPECT_EQ(LimitView(kDay), PgLimitView(kDay, true, true));
  const std::string again = NewUuidV7();
  ASSERT_EQ(Hold(on_run2(LegTry(again, 3, 4, "first", {"P1"}))).code,
            StatusCode::OK);
  ASSERT_EQ(Confirm(again).code, StatusCode::OK);
  refused_by_gate("after the cancel",
                  LegTry(NewUuidV7(), 4, 5, "first", {"P1"}), "doc");
  EXPECT_EQ(LimitView(kDay), PgLimitView(kDay, true, true));

  // Reconcile finds nothing to fix; a damaged gate is repaired and listed.
  v1::ReconcileBookingsRequest all;
  v1::ReconcileBookingsResponse report;
  ASSERT_EQ(Reconcile(all, &report).code, StatusCode::OK);
  ASSERT_TRUE(redis_
                  ->Command({"HSET", std::string("ts:{lim:") + kDay + "}:uses",
                             std::string("k:doc:P9:") + kDay,
                             "x0190a0b0-0000-7000-8000-000000000009:b,1,0"})
                  .ok());
  EXPECT_NE(LimitView(kDay), PgLimitView(kDay, true, true));
  ASSERT_EQ(Reconcile(all, &report).code, StatusCode::OK);
  EXPECT_EQ(LimitView(kDay), PgLimitView(kDay, true, true));
  bool listed = false;
  for (const auto& d : report.differences()) {
    listed |= d.find("limit " + std::string(kDay) + ": doc:P9") == 0;
  }
  EXPECT_TRUE(listed) << report.DebugString();
}

// A rush on one zone and on one class: the allocating Tries retry with
// fresh snapshots until nothing is left, so exactly as many win as there
// are resources, every loser is refused taken with nothing held, and the
// gate agrees with PostgreSQL.
TEST_F(BookingServiceTest, AllocatingTriesInARushSellEverythingOnce) {
  LaunchWithCatalog({"--per_doc_day_limit=0"});
  constexpr int kBuyers = 12;  // bounded: 12 concurrent Tries per rush
  std::vector<Outcome> outcomes(kBuyers);
  RunConcurrently(kBuyers, [&](int i) {
    outcomes[i] = Hold(SlotTry(NewUuidV7(), {}, At(19), "2h"));
  });
  int won = 0;
  for (const Outcome& o : outcomes) {
    if (o.code == StatusCode::OK) {
      ++won;
    } else {
      EXPECT_EQ(o.reason, "SLOT_TAKEN") << o;
    }
  }
  EXPECT_EQ(won, 4);
  EXPECT_EQ(Count("SELECT count(DISTINCT resource_id) FROM booking"), 4);
  EXPECT_EQ(GateView(kVenueGate), PgView(kVenueGate));

  // The second rush runs beside reconciliation passes: holds in flight
  // are kept, nothing is sold twice.
  std::vector<Outcome> passes;
  RunConcurrently(kBuyers + 1, [&](int i) {
    if (i == kBuyers) {
      for (int k = 0; k < 5; ++k) {
        v1::ReconcileBookingsRequest r;
        r.set_run_id(kRunId);
        passes.push_back(Reconcile(r));
      }
      return;
    }
    outcomes[i] =
        Hold(LegTry(NewUuidV7(), 1, 4, "first", {"R" + std::to_string(i)}, {},
                    "rush" + std::to_string(i)));
  });
  for (const Outcome& o : passes) EXPECT_EQ(o.code, StatusCode::OK) << o;
  won = 0;
  for (const Outcome& o : outcomes) {
    if (o.code == StatusCode::OK) {
      ++won;
    } else {
      EXPECT_EQ(o.reason, "SEAT_TAKEN") << o;
    }
  }
  EXPECT_EQ(won, 4);
  EXPECT_EQ(GateView(kRunGate), PgView(kRunGate));
  v1::ReconcileBookingsResponse after;
  ASSERT_EQ(Reconcile({}, &after).code, StatusCode::OK);
  EXPECT_EQ(after.fixes(), 0);
  EXPECT_EQ(after.gates_rebuilt(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM booking b1 JOIN booking b2 ON "
                  "b1.resource_id = b2.resource_id AND b1.booking_id < "
                  "b2.booking_id AND b1.during && b2.during"),
            0);
}

}  // namespace
}  // namespace turnstile::testing
