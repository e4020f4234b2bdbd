// The booking database layer (store.h): the prepared statements and the
// catalogue (venues, runs). The TCC phases are in store_tcc.cc, the
// reconciler's and checker's reads in store_reads.cc.
#include "services/booking/store.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "services/booking/booking_errors.h"
#include "services/booking/store_rows.h"
#include "services/booking/validation.h"
#include "services/common/barrier.h"
#include "services/common/status.h"
#include "services/common/time_util.h"

namespace turnstile::booking {
namespace {

using store_rows::IntArray;
using store_rows::kRowColumns;
using store_rows::ParseDay;
using store_rows::TextArray;

void Prepare(pqxx::connection& conn) {
  PrepareBarrier(conn);
  // Catalogue.
  conn.prepare("bk_venue_insert",
               "INSERT INTO venue (venue_id, name, tz_name, currency, "
               "opening_minute, closing_minute, slot_minutes) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING");
  conn.prepare("bk_zone_insert",
               "INSERT INTO zone (venue_id, zone_id, name, "
               "price_per_hour_minor) VALUES ($1, $2, $3, $4)");
  conn.prepare("bk_package_insert",
               "INSERT INTO package (venue_id, zone_id, package_id, hours, "
               "price_minor) VALUES ($1, $2, $3, $4, $5)");
  conn.prepare("bk_machines_insert",
               "INSERT INTO machine (venue_id, zone_id, machine_id) "
               "SELECT $1, $2, m FROM unnest($3::text[]) AS m");
  conn.prepare("bk_venue_get",
               "SELECT venue_id, name, tz_name, currency, opening_minute, "
               "closing_minute, slot_minutes FROM venue WHERE venue_id = $1");
  conn.prepare("bk_zones_get",
               "SELECT zone_id, name, price_per_hour_minor FROM zone "
               "WHERE venue_id = $1 ORDER BY zone_id");
  conn.prepare("bk_packages_get",
               "SELECT zone_id, package_id, hours, price_minor FROM package "
               "WHERE venue_id = $1 ORDER BY zone_id, package_id");
  conn.prepare("bk_machines_get",
               "SELECT zone_id, machine_id FROM machine "
               "WHERE venue_id = $1 ORDER BY zone_id, machine_id");
  conn.prepare("bk_run_insert",
               "INSERT INTO run (run_id, train_number, service_date, currency) "
               "VALUES ($1, $2, $3::date, $4) ON CONFLICT DO NOTHING");
  conn.prepare("bk_stops_insert",
               "INSERT INTO stop (run_id, stop_index, station, departs_at) "
               "SELECT $1, i, s, to_timestamp(t) FROM unnest($2::int[], "
               "$3::text[], $4::bigint[]) AS x(i, s, t)");
  conn.prepare("bk_class_insert",
               "INSERT INTO seat_class (run_id, class_id, price_per_leg_minor) "
               "VALUES ($1, $2, $3)");
  conn.prepare("bk_seats_insert",
               "INSERT INTO run_seat (run_id, seat_id, car, number, class_id) "
               "SELECT $1, s, c, n, k FROM unnest($2::text[], $3::int[], "
               "$4::int[], $5::text[]) AS x(s, c, n, k)");
  conn.prepare("bk_run_get",
               "SELECT run_id, train_number, service_date::text, currency "
               "FROM run WHERE run_id = $1");
  conn.prepare("bk_stops_get",
               "SELECT stop_index, station, extract(epoch from departs_at)"
               "::bigint FROM stop WHERE run_id = $1 ORDER BY stop_index");
  conn.prepare("bk_classes_get",
               "SELECT class_id, price_per_leg_minor FROM seat_class "
               "WHERE run_id = $1 ORDER BY class_id");
  conn.prepare("bk_seats_get",
               "SELECT seat_id, car, number, class_id FROM run_seat "
               "WHERE run_id = $1 ORDER BY car, number");
  // Try: the group in one statement, in the order of the arrays (sorted).
  conn.prepare("bk_hold",
               "INSERT INTO booking (gate_key, resource_id, during, day, "
               "state, gid, branch_id, user_id, doc_id, deadline) "
               "SELECT $1, r, int4range(lo, hi), $2::date, 'HELD', $3::uuid, "
               "$4, $5, nullif(d, ''), timestamptz 'epoch' + $6::bigint * "
               "interval '1 millisecond' FROM unnest($7::text[], $8::int[], "
               "$9::int[], $10::text[]) WITH ORDINALITY AS x(r, lo, hi, d, o) "
               "ORDER BY o");
  conn.prepare("bk_quota_take", "SELECT booking_quota_take($1, $2, $3)");
  conn.prepare("bk_quota_give", "SELECT booking_quota_give($1, $2)");
  conn.prepare("bk_branch_rows",
               absl::StrCat("SELECT ", kRowColumns,
                            ", gate_key, user_id, day::text FROM booking "
                            "WHERE gid = $1::uuid AND branch_id = $2 "
                            "ORDER BY 1, 2"));
  // Confirm and Cancel.
  conn.prepare("bk_sell",
               absl::StrCat("UPDATE booking SET state = 'SOLD' "
                            "WHERE gid = $1::uuid AND branch_id = $2 "
                            "AND state = 'HELD' RETURNING ",
                            kRowColumns, ", gate_key, user_id, day::text"));
  conn.prepare("bk_release",
               absl::StrCat("DELETE FROM booking WHERE gid = $1::uuid "
                            "AND branch_id = $2 AND state = 'HELD' RETURNING ",
                            kRowColumns, ", gate_key, user_id, day::text"));
  // Reconciler, sweep, availability.
  conn.prepare("bk_overdue",
               "SELECT gid::text, branch_id FROM booking "
               "WHERE state = 'HELD' AND deadline < now() - "
               "make_interval(secs => $1::bigint) "
               "GROUP BY gid, branch_id ORDER BY min(deadline) LIMIT $2");
  conn.prepare("bk_gate_keys",
               "SELECT DISTINCT gate_key FROM booking ORDER BY 1");
  conn.prepare(
      "bk_gate_rows",
      absl::StrCat(
          "SELECT ", kRowColumns,
          ", gid::text, branch_id, CASE WHEN state = 'HELD' THEN " TS_MICROS(
              "deadline") " ELSE 0 END, user_id FROM booking "
                          "WHERE gate_key = $1 ORDER BY 1, 2"));
  conn.prepare("bk_finished_owners",
               "SELECT b.gid::text, b.branch_id, "
               "min(" TS_MICROS("b.created_at") ") / 1000 FROM tcc_barrier b "
               "JOIN unnest($1::uuid[], $2::text[]) AS o(gid, branch) "
               "ON b.gid = o.gid AND b.branch_id = o.branch "
               "WHERE b.phase IN ('confirm', 'cancel') GROUP BY 1, 2");
  // The day-limit gate's rebuild (limit_plan.h).
  conn.prepare(
      "bk_day_rows",
      absl::StrCat("SELECT ", kRowColumns,
                   ", gid::text, branch_id, user_id, gate_key, CASE WHEN "
                   "state = 'HELD' THEN " TS_MICROS(
                       "deadline") " / 1000 ELSE "
                                   "0 END FROM booking WHERE day = $1::date "
                                   "ORDER BY 6, 7"));
  conn.prepare("bk_days_since",
               "SELECT DISTINCT day::text FROM booking WHERE day >= $1::date "
               "ORDER BY 1");
  conn.prepare("bk_now_ms", "SELECT " TS_MICROS("now()") " / 1000");
  conn.prepare("bk_occupancy",
               absl::StrCat("SELECT ", kRowColumns,
                            " FROM booking WHERE gate_key = $1 "
                            "AND resource_id = ANY($2::text[]) "
                            "AND during && int4range($3, $4) ORDER BY 1, 2"));
}
}  // namespace

BookingStore::BookingStore(std::string conninfo, int pool_size)
    : pool_(std::move(conninfo), pool_size, Prepare) {}

absl::Status BookingStore::CreateVenue(const Venue& venue) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    if (tx.exec_prepared("bk_venue_insert", venue.venue_id, venue.name,
                         venue.tz_name, venue.currency, venue.opening_minute,
                         venue.closing_minute, venue.slot_minutes)
            .affected_rows() != 1) {
      return Error(absl::StatusCode::kAlreadyExists, "VENUE_EXISTS",
                   absl::StrCat("venue ", venue.venue_id, " already exists"));
    }
    for (const Zone& zone : venue.zones) {
      tx.exec_prepared("bk_zone_insert", venue.venue_id, zone.zone_id,
                       zone.name, zone.price_per_hour_minor);
      for (const Package& p : zone.packages) {
        tx.exec_prepared("bk_package_insert", venue.venue_id, zone.zone_id,
                         p.package_id, p.hours, p.price_minor);
      }
      tx.exec_prepared("bk_machines_insert", venue.venue_id, zone.zone_id,
                       TextArray(zone.machine_ids));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<Venue> BookingStore::GetVenue(const std::string& venue_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Venue> {
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const pqxx::result head = tx.exec_prepared("bk_venue_get", venue_id);
    if (head.empty()) {
      return Error(absl::StatusCode::kNotFound, "VENUE_NOT_FOUND",
                   absl::StrCat("unknown venue_id ", venue_id));
    }
    Venue venue;
    venue.venue_id = head[0][0].as<std::string>();
    venue.name = head[0][1].as<std::string>();
    venue.tz_name = head[0][2].as<std::string>();
    venue.currency = head[0][3].as<std::string>();
    venue.opening_minute = head[0][4].as<int>();
    venue.closing_minute = head[0][5].as<int>();
    venue.slot_minutes = head[0][6].as<int>();
    std::map<std::string, size_t> index;
    for (const auto& row : tx.exec_prepared("bk_zones_get", venue_id)) {
      Zone zone;
      zone.zone_id = row[0].as<std::string>();
      zone.name = row[1].as<std::string>();
      zone.price_per_hour_minor = row[2].as<int64_t>();
      index[zone.zone_id] = venue.zones.size();
      venue.zones.push_back(std::move(zone));
    }
    for (const auto& row : tx.exec_prepared("bk_packages_get", venue_id)) {
      venue.zones[index.at(row[0].as<std::string>())].packages.push_back(
          {row[1].as<std::string>(), row[2].as<int>(), row[3].as<int64_t>()});
    }
    for (const auto& row : tx.exec_prepared("bk_machines_get", venue_id)) {
      venue.zones[index.at(row[0].as<std::string>())].machine_ids.push_back(
          row[1].as<std::string>());
    }
    return venue;
  });
}

absl::Status BookingStore::CreateRun(const Run& run) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    if (tx.exec_prepared("bk_run_insert", run.run_id, run.train_number,
                         absl::FormatCivilTime(run.service_date), run.currency)
            .affected_rows() != 1) {
      return Error(absl::StatusCode::kAlreadyExists, "RUN_EXISTS",
                   absl::StrCat("run ", run.run_id, " already exists"));
    }
    std::vector<int> indices;
    std::vector<std::string> stations;
    std::vector<int64_t> times;
    for (const Stop& s : run.stops) {
      indices.push_back(s.index);
      stations.push_back(s.station);
      times.push_back(s.departs_at_unix);
    }
    tx.exec_prepared("bk_stops_insert", run.run_id, IntArray(indices),
                     TextArray(stations), IntArray(times));
    for (const SeatClass& c : run.classes) {
      tx.exec_prepared("bk_class_insert", run.run_id, c.class_id,
                       c.price_per_leg_minor);
    }
    std::vector<std::string> ids, classes;
    std::vector<int> cars, numbers;
    for (const RunSeat& s : run.seats) {
      ids.push_back(s.seat_id);
      cars.push_back(s.car);
      numbers.push_back(s.number);
      classes.push_back(s.class_id);
    }
    tx.exec_prepared("bk_seats_insert", run.run_id, TextArray(ids),
                     IntArray(cars), IntArray(numbers), TextArray(classes));
    return absl::OkStatus();
  });
}

absl::StatusOr<Run> BookingStore::GetRun(const std::string& run_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Run> {
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const pqxx::result head = tx.exec_prepared("bk_run_get", run_id);
    if (head.empty()) {
      return Error(absl::StatusCode::kNotFound, "RUN_NOT_FOUND",
                   absl::StrCat("unknown run_id ", run_id));
    }
    Run run;
    run.run_id = head[0][0].as<std::string>();
    run.train_number = head[0][1].as<std::string>();
    run.service_date = ParseDay(head[0][2].as<std::string>());
    run.currency = head[0][3].as<std::string>();
    for (const auto& row : tx.exec_prepared("bk_stops_get", run_id)) {
      run.stops.push_back(
          {row[0].as<int>(), row[1].as<std::string>(), row[2].as<int64_t>()});
    }
    for (const auto& row : tx.exec_prepared("bk_classes_get", run_id)) {
      run.classes.push_back({row[0].as<std::string>(), row[1].as<int64_t>()});
    }
    for (const auto& row : tx.exec_prepared("bk_seats_get", run_id)) {
      run.seats.push_back({row[0].as<std::string>(), row[1].as<int>(),
                           row[2].as<int>(), row[3].as<std::string>()});
    }
    return run;
  });
}

}  // namespace turnstile::booking
