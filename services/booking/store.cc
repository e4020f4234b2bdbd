// The booking database layer (store.h).
#include "services/booking/store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/booking/booking_errors.h"
#include "services/booking/quota.h"
#include "services/booking/validation.h"
#include "services/common/barrier.h"
#include "services/common/overdue_holds.h"
#include "services/common/status.h"
#include "services/common/time_util.h"

namespace turnstile::booking {
namespace {

// A deadlock is retried this many times in all (store.h, lock order).
constexpr int kHoldAttempts = 3;
// A Confirm that deadlocks with a concurrent Try (store.h) is retried this
// many times in all; it rolled back entirely, so a retry is safe.
constexpr int kConfirmAttempts = 5;

constexpr char kRowColumns[] =
    "resource_id, lower(during), upper(during), state, coalesce(doc_id, '')";

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

// A PostgreSQL array literal of quoted elements. Ids and texts reaching it
// are validated ids ([A-Za-z0-9_.:@-]) or station names; quotes and
// backslashes are escaped all the same.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

template <typename T>
std::string IntArray(const std::vector<T>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    absl::StrAppend(&out, i > 0 ? "," : "", values[i]);
  }
  out += '}';
  return out;
}

absl::CivilDay ParseDay(const std::string& text) {
  absl::CivilDay day;
  absl::ParseCivilTime(text, &day);
  return day;
}

// A row of kRowColumns starting at column 0.
BookingRow ReadRow(const pqxx::row& row) {
  BookingRow out;
  out.resource_id = row[0].as<std::string>();
  out.range = {row[1].as<int>(), row[2].as<int>()};
  out.state = row[3].as<std::string>() == "SOLD" ? BookingState::kSold
                                                 : BookingState::kHeld;
  out.doc_id = row[4].as<std::string>();
  return out;
}

ResourceKind KindOfGate(const std::string& gate_key) {
  return absl::StartsWith(gate_key, "r:") ? ResourceKind::kSeat
                                          : ResourceKind::kMachine;
}

// The business change of a Try. `deadlocked` is set when PostgreSQL chose
// this transaction as a deadlock's victim (store.h: the caller retries).
absl::Status HoldAll(pqxx::work& tx, const HoldCommand& command,
                     HoldResult* out, bool* deadlocked) {
  const ResourceKind kind = KindOfGate(command.gate_key);
  std::vector<std::string> resources, docs;
  std::vector<int> lows, highs;
  for (const HoldItem& item : command.items) {
    resources.push_back(item.resource_id);
    lows.push_back(item.range.from);
    highs.push_back(item.range.to);
    docs.push_back(item.doc_id);
  }
  try {
    tx.exec_prepared(
        "bk_hold", command.gate_key, absl::FormatCivilTime(command.day),
        command.gid, command.branch_id, command.user_id, command.deadline_ms,
        TextArray(resources), IntArray(lows), IntArray(highs), TextArray(docs));
    for (const QuotaUse& use : QuotaTakes(command)) {
      if (!tx.exec_prepared1("bk_quota_take", use.key, use.units, use.limit)[0]
               .as<bool>()) {
        return WithMetadata(
            Refused("USER_LIMIT",
                    absl::StrCat("the ", use.kind, " limit of ", use.limit,
                                 " bookings would be passed")),
            {{"quota", use.kind}, {"limit", absl::StrCat(use.limit)}});
      }
    }
  } catch (const pqxx::deadlock_detected& e) {
    *deadlocked = true;
    return BookingStatusFromException(e, kind);
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == "40P01") *deadlocked = true;
    return BookingStatusFromException(e, kind);
  }
  for (const HoldItem& item : command.items) {
    out->rows.push_back(
        {item.resource_id, item.range, BookingState::kHeld, item.doc_id});
  }
  return absl::OkStatus();
}

// Rows of a RETURNING with kRowColumns then gate_key, user_id, day.
void AddRows(const pqxx::result& rows, BranchBookings* out) {
  for (const auto& row : rows) {
    out->rows.push_back(ReadRow(row));
    out->gate_key = row[5].as<std::string>();
    out->user_id = row[6].as<std::string>();
    out->day = ParseDay(row[7].as<std::string>());
  }
  std::sort(out->rows.begin(), out->rows.end(),
            [](const BookingRow& a, const BookingRow& b) {
              return std::tie(a.resource_id, a.range.from) <
                     std::tie(b.resource_id, b.range.from);
            });
}

// Which of `owners` (gid, branch_id) have a confirm or cancel barrier row,
// as "<gid>:<branch_id>" with the decision time (epoch ms).
std::vector<std::pair<std::string, int64_t>> FinishedOwners(
    pqxx::work& tx,
    const std::vector<std::pair<std::string, std::string>>& owners) {
  std::vector<std::pair<std::string, int64_t>> out;
  if (owners.empty()) return out;
  std::vector<std::string> gids, branches;
  for (const auto& [gid, branch] : owners) {
    gids.push_back(gid);
    branches.push_back(branch);
  }
  for (const auto& row : tx.exec_prepared("bk_finished_owners", TextArray(gids),
                                          TextArray(branches))) {
    out.emplace_back(
        absl::StrCat(row[0].as<std::string>(), ":", row[1].as<std::string>()),
        row[2].as<int64_t>());
  }
  return out;
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

absl::StatusOr<HoldResult> BookingStore::Hold(const HoldCommand& unsorted) {
  const HoldCommand command = SortedItems(unsorted);
  const std::string content = TryContentOf(command);
  for (int attempt = 1;; ++attempt) {
    bool deadlocked = false;
    auto result =
        pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<HoldResult> {
          HoldResult hold;
          auto outcome = BarrierTry(
              tx, command.gid, command.branch_id, content, [&](pqxx::work&) {
                return HoldAll(tx, command, &hold, &deadlocked);
              });
          if (!outcome.ok()) return outcome.status();
          if (*outcome == BarrierOutcome::kDuplicate) {
            HoldResult stored;
            stored.duplicate = true;
            for (const auto& row : tx.exec_prepared(
                     "bk_branch_rows", command.gid, command.branch_id)) {
              stored.rows.push_back(ReadRow(row));
            }
            return stored;
          }
          return hold;
        });
    if (result.ok() || !deadlocked || attempt == kHoldAttempts) return result;
    spdlog::warn("event=booking_hold_retry gid={} attempt={}", command.gid,
                 attempt);
  }
}

absl::StatusOr<BranchBookings> BookingStore::Confirm(
    const std::string& gid, const std::string& branch_id) {
  for (int attempt = 1;; ++attempt) {
    auto result = ConfirmOnce(gid, branch_id);
    if (result.ok() || ReasonOf(result.status()) != "DB_CONFLICT" ||
        attempt == kConfirmAttempts) {
      return result;
    }
    spdlog::warn("event=booking_confirm_retry gid={} attempt={}", gid, attempt);
  }
}

absl::StatusOr<BranchBookings> BookingStore::ConfirmOnce(
    const std::string& gid, const std::string& branch_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<BranchBookings> {
    BranchBookings out;
    auto outcome = BarrierConfirm(tx, gid, branch_id, [&](pqxx::work&) {
      AddRows(tx.exec_prepared("bk_sell", gid, branch_id), &out);
      if (!out.rows.empty()) {
        out.applied = true;
        return absl::OkStatus();
      }
      // A Try that succeeded always leaves HELD rows; confirming nothing (no
      // Try, or Cancel first) would hide a coordinator fault.
      return Error(absl::StatusCode::kFailedPrecondition, "BRANCH_NOT_TRIED",
                   absl::StrCat("no held bookings to confirm for ", gid, "/",
                                branch_id));
    });
    if (!outcome.ok()) return outcome.status();
    // A repeat still lists the rows so that the caller can make sure the
    // gate has them sold.
    if (!out.applied) {
      AddRows(tx.exec_prepared("bk_branch_rows", gid, branch_id), &out);
    }
    return out;
  });
}

absl::StatusOr<BranchBookings> BookingStore::Cancel(
    const std::string& gid, const std::string& branch_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<BranchBookings> {
    BranchBookings out;
    auto outcome = BarrierCancel(tx, gid, branch_id, [&](pqxx::work&) {
      const pqxx::result deleted =
          tx.exec_prepared("bk_release", gid, branch_id);
      AddRows(deleted, &out);
      out.applied = !out.rows.empty();
      if (!out.applied) {
        spdlog::warn("event=cancel_nothing_held gid={} branch={}", gid,
                     branch_id);
        return absl::OkStatus();
      }
      // Every row of a branch has the same user, gate and day (one Try);
      // grouping keeps the count exact all the same.
      std::map<std::tuple<std::string, std::string, std::string>,
               std::vector<BookingRow>>
          groups;
      for (const auto& row : deleted) {
        groups[{row[6].as<std::string>(), row[5].as<std::string>(),
                row[7].as<std::string>()}]
            .push_back(ReadRow(row));
      }
      for (const auto& [key, rows] : groups) {
        const auto& [user, gate, day] = key;
        for (const QuotaUse& use :
             QuotaGives(user, gate, ParseDay(day), rows)) {
          tx.exec_prepared("bk_quota_give", use.key, use.units);
        }
      }
      return absl::OkStatus();
    });
    if (!outcome.ok()) return outcome.status();
    return out;
  });
}

absl::StatusOr<std::vector<OverdueHold>> BookingStore::ListOverdue(
    std::chrono::seconds margin, int limit) {
  return ListOverdueHolds(pool_, "bk_overdue", margin, limit);
}

absl::StatusOr<DaySnapshot> BookingStore::DayRows(
    absl::CivilDay day,
    const std::vector<std::pair<std::string, std::string>>& owners) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<DaySnapshot> {
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    DaySnapshot out;
    for (const auto& row :
         tx.exec_prepared("bk_day_rows", absl::FormatCivilTime(day))) {
      DayBookingRow r;
      r.booking = ReadRow(row);
      r.gid = row[5].as<std::string>();
      r.branch_id = row[6].as<std::string>();
      r.user_id = row[7].as<std::string>();
      r.gate_key = row[8].as<std::string>();
      r.deadline_ms = row[9].as<int64_t>();
      out.rows.push_back(std::move(r));
    }
    for (auto& owner_at : FinishedOwners(tx, owners)) {
      out.decided_owners.push_back(std::move(owner_at.first));
    }
    return out;
  });
}

absl::StatusOr<std::vector<absl::CivilDay>> BookingStore::DaysSince(
    absl::CivilDay since) {
  return pool_.Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<absl::CivilDay>> {
        std::vector<absl::CivilDay> out;
        for (const auto& row :
             tx.exec_prepared("bk_days_since", absl::FormatCivilTime(since))) {
          out.push_back(ParseDay(row[0].as<std::string>()));
        }
        return out;
      });
}

absl::StatusOr<std::vector<std::string>> BookingStore::GateKeys() {
  return FirstColumn(pool_, "bk_gate_keys");
}

absl::StatusOr<GateSnapshot> BookingStore::GateRows(
    const std::string& gate_key,
    const std::vector<std::pair<std::string, std::string>>& owners) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<GateSnapshot> {
    // One snapshot for bookings and barrier rows: a branch decided between
    // two read-committed statements would look both held and finished.
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    GateSnapshot snap;
    snap.now_ms = tx.exec_prepared1("bk_now_ms")[0].as<int64_t>();
    for (const auto& row : tx.exec_prepared("bk_gate_rows", gate_key)) {
      GateRow gate_row;
      gate_row.booking = ReadRow(row);
      gate_row.owner =
          absl::StrCat(row[5].as<std::string>(), ":", row[6].as<std::string>());
      gate_row.deadline_ms = row[7].as<int64_t>() / 1000;
      gate_row.user_id = row[8].as<std::string>();
      snap.rows.push_back(std::move(gate_row));
    }
    for (auto& [owner, at_ms] : FinishedOwners(tx, owners)) {
      snap.decided_at_ms[owner] = at_ms;
      snap.finished_owners.push_back(std::move(owner));
    }
    return snap;
  });
}

absl::StatusOr<std::vector<BookingRow>> BookingStore::Occupancy(
    const std::string& gate_key, const std::vector<std::string>& resource_ids,
    UnitRange window) {
  return pool_.Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<BookingRow>> {
        std::vector<BookingRow> rows;
        for (const auto& row :
             tx.exec_prepared("bk_occupancy", gate_key, TextArray(resource_ids),
                              window.from, window.to)) {
          rows.push_back(ReadRow(row));
        }
        return rows;
      });
}

}  // namespace turnstile::booking
