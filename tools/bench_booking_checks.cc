// The booking scenarios' checks of their own gates in the booking database
// (bench_booking.h): after settling, no booking of the bench's runs and
// venue-day is still HELD, as many are SOLD as the bench was answered PAID
// (train: one passenger per order; sold-out run: its every seat once; cafe:
// one machine per order), no two overlap, and RemainingSeats answered what
// PostgreSQL recounts.
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/booking/model.h"
#include "services/common/pg_array.h"
#include "tools/bench_booking.h"
#include "tools/bench_booking_setup.h"

namespace turnstile::bench {
namespace {

using tools::CheckResult;

struct GateCounts {
  int64_t held = 0, sold = 0, overlaps = 0;
};

GateCounts CountGates(pqxx::nontransaction& tx,
                      const std::vector<std::string>& gates) {
  GateCounts out;
  auto r = tx.exec_params(
      "SELECT count(*) FILTER (WHERE state = 'HELD'), "
      "count(*) FILTER (WHERE state = 'SOLD') FROM booking "
      "WHERE gate_key = ANY($1::text[])",
      TextArray(gates));
  out.held = r[0][0].as<int64_t>();
  out.sold = r[0][1].as<int64_t>();
  // The exclusion constraint forbids it; counted anyway, on the data.
  out.overlaps =
      tx.exec_params(
            "SELECT count(*) FROM booking a JOIN booking b ON "
            "a.resource_id = b.resource_id AND a.booking_id < b.booking_id "
            "AND a.during && b.during WHERE a.gate_key = ANY($1::text[])",
            TextArray(gates))[0][0]
          .as<int64_t>();
  return out;
}

void AddGateChecks(std::vector<CheckResult>& out, const std::string& what,
                   const GateCounts& c, int64_t expected_sold) {
  out.push_back({absl::StrCat("bench: ", what, ": no booking left HELD"),
                 c.held == 0, absl::StrCat(c.held, " HELD")});
  out.push_back({absl::StrCat("bench: ", what,
                              ": SOLD bookings = bookings answered PAID"),
                 c.sold == expected_sold,
                 absl::StrCat(c.sold, " SOLD, ", expected_sold, " PAID")});
  out.push_back({absl::StrCat("bench: ", what, ": no two bookings overlap"),
                 c.overlaps == 0, absl::StrCat(c.overlaps, " overlapping")});
}

}  // namespace

std::vector<CheckResult> CheckBookingRun(const std::string& conninfo,
                                         const BookingRun& run) {
  std::vector<CheckResult> out;
  // Every timed step answered: PAID, or refused for a business reason.
  int64_t errors = 0;
  std::string detail;
  for (const auto& [name, t] :
       {std::pair<const char*, const Tally*>{"train", &run.train},
        {"remaining", &run.remaining},
        {"soldout", &run.soldout},
        {"cafe", &run.cafe}}) {
    for (const auto& [kind, n] : t->errors) {
      errors += n;
      absl::StrAppend(&detail, detail.empty() ? "" : ", ", name, " ", kind, "=",
                      n);
    }
  }
  out.push_back({"bench: no errors in the timed steps", errors == 0,
                 detail.empty() ? "0 errors" : detail});
  try {
    pqxx::connection conn(conninfo);
    pqxx::nontransaction tx(conn);
    if (!run.train_runs.empty()) {
      std::vector<std::string> gates;
      for (const auto& r : run.train_runs) gates.push_back(booking::RunGate(r));
      AddGateChecks(out, "train runs", CountGates(tx, gates), run.train.ok);
    }
    if (!run.soldout_run.empty()) {
      // Selling it out is two orders of every seat; the refused ones added
      // nothing.
      AddGateChecks(out, "sold-out run",
                    CountGates(tx, {booking::RunGate(run.soldout_run)}),
                    kSoldOutSeats);
      out.push_back(
          {"bench: sold-out run: every order refused SEAT_TAKEN",
           run.soldout.ok == 0 && run.soldout.errors_total() == 0 &&
               run.soldout.refused_total() ==
                   (run.soldout.refused.count("SEAT_TAKEN")
                        ? run.soldout.refused.at("SEAT_TAKEN")
                        : -1),
           absl::StrCat(run.soldout.ok, " PAID, ", run.soldout.refused_total(),
                        " refused, ", run.soldout.errors_total(), " errors")});
    }
    if (!run.venue.empty()) {
      absl::CivilDay day;
      (void)absl::ParseCivilTime(run.day, &day);
      AddGateChecks(out, "net-cafe venue-day",
                    CountGates(tx, {booking::VenueDayGate(run.venue, day)}),
                    run.cafe.ok);
      const int64_t expected =
          std::min<int64_t>(run.cafe_buyers, run.cafe_machines);
      out.push_back(
          {"bench: net cafe: min(buyers, machines) sold, the rest refused "
           "SLOT_TAKEN",
           run.cafe.ok == expected && run.cafe.errors_total() == 0 &&
               run.cafe.refused_total() == run.cafe_buyers - expected,
           absl::StrCat(run.cafe.ok, " PAID (", expected, " expected), ",
                        run.cafe.refused_total(), " refused, ",
                        run.cafe.errors_total(), " errors")});
    }
    if (run.remaining_answer >= 0) {
      // Seats of the class minus those booked over part of the trip.
      const int64_t recount =
          tx.exec_params(
                "SELECT count(*) FROM run_seat s WHERE s.run_id = $1 AND "
                "s.class_id = $2 AND NOT EXISTS (SELECT 1 FROM booking b "
                "WHERE b.gate_key = $3 AND b.resource_id = 's:' || s.run_id "
                "|| ':' || s.seat_id AND b.during && int4range($4, $5))",
                run.remaining_run, run.remaining_class,
                booking::RunGate(run.remaining_run), run.remaining_from,
                run.remaining_to)[0][0]
              .as<int64_t>();
      out.push_back({"bench: RemainingSeats = recount from PostgreSQL",
                     recount == run.remaining_answer,
                     absl::StrCat("answered ", run.remaining_answer,
                                  ", recount ", recount)});
    }
  } catch (const std::exception& e) {
    out.push_back({"bench: the booking database is readable", false, e.what()});
  }
  return out;
}

}  // namespace turnstile::bench
