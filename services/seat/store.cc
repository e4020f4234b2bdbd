#include "services/seat/store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/barrier.h"
#include "services/common/overdue_holds.h"
#include "services/common/status.h"
#include "services/common/time_util.h"
#include "services/seat/validation.h"

namespace turnstile::seat {
namespace {

// Deadlocks are possible only in the rare case described in store.h; a few
// attempts are plenty.
constexpr int kHoldAttempts = 3;

constexpr char kSeatColumns[] =
    "seat_id, section, row_no, number, price_minor, state";

void Prepare(pqxx::connection& conn) {
  PrepareBarrier(conn);
  conn.prepare(
      "seat_event_insert",
      "INSERT INTO event (event_id, name, starts_at, currency, seat_count) "
      "VALUES ($1, $2, to_timestamp($3::bigint) + $4::int * "
      "interval '1 microsecond', $5, $6) ON CONFLICT (event_id) DO NOTHING");
  // Seats of one section in one statement: "<section>-<row>-<number>".
  conn.prepare("seat_section_insert",
               "INSERT INTO seat (event_id, seat_id, section, section_no, "
               "row_no, number, price_minor, state) "
               "SELECT $1, $2::text || '-' || r || '-' || n, $2, $3, r, n, $4, "
               "'AVAILABLE' FROM generate_series(1, $5::int) AS r, "
               "generate_series(1, $6::int) AS n");
  conn.prepare("seat_event_get",
               "SELECT event_id, name, currency, " TS_MICROS(
                   "starts_at") ", seat_count FROM event WHERE event_id = $1");
  conn.prepare("seat_map", absl::StrCat("SELECT ", kSeatColumns,
                                        " FROM seat WHERE event_id = $1 "
                                        "ORDER BY section_no, row_no, number"));
  // Try.
  conn.prepare("seat_hold",
               absl::StrCat("UPDATE seat SET state = 'HELD', "
                            "hold_gid = $3::uuid, hold_branch = $4, "
                            "hold_user = $5, "
                            "hold_expires_at = timestamptz 'epoch' + "
                            "$6::bigint * interval '1 millisecond', "
                            "hold_deadline = timestamptz 'epoch' + "
                            "$7::bigint * interval '1 millisecond' "
                            "WHERE event_id = $1 AND seat_id = ANY($2::text[]) "
                            "AND state = 'AVAILABLE' RETURNING ",
                            kSeatColumns));
  conn.prepare("seat_existing",
               "SELECT seat_id FROM seat "
               "WHERE event_id = $1 AND seat_id = ANY($2::text[])");
  conn.prepare("seat_held_by",
               absl::StrCat("SELECT ", kSeatColumns,
                            ", (SELECT currency FROM event e "
                            "WHERE e.event_id = seat.event_id) "
                            "FROM seat WHERE hold_gid = $1::uuid "
                            "AND hold_branch = $2 ORDER BY seat_id"));
  // Confirm and Cancel.
  conn.prepare("seat_sell",
               "UPDATE seat SET state = 'SOLD' "
               "WHERE hold_gid = $1::uuid AND hold_branch = $2 "
               "AND state = 'HELD' RETURNING event_id, seat_id");
  conn.prepare("seat_sold_to",
               "SELECT event_id, seat_id FROM seat "
               "WHERE hold_gid = $1::uuid AND hold_branch = $2 "
               "AND state = 'SOLD'");
  conn.prepare("seat_hold_states",
               "SELECT state, count(*) FROM seat "
               "WHERE hold_gid = $1::uuid AND hold_branch = $2 GROUP BY state");
  conn.prepare(
      "seat_release",
      "UPDATE seat SET state = 'AVAILABLE', hold_gid = NULL, "
      "hold_branch = NULL, hold_user = NULL, hold_expires_at = NULL, "
      "hold_deadline = NULL WHERE hold_gid = $1::uuid AND hold_branch = $2 "
      "AND state = 'HELD' RETURNING event_id, seat_id");
  // Reconciler and seat catalog.
  // One row per branch: a hold has a row per seat.
  conn.prepare("seat_overdue",
               "SELECT hold_gid::text, hold_branch FROM seat "
               "WHERE state = 'HELD' AND hold_deadline IS NOT NULL "
               "AND hold_deadline < now() - make_interval(secs => $1::bigint) "
               "GROUP BY hold_gid, hold_branch ORDER BY min(hold_deadline) "
               "LIMIT $2");
  conn.prepare("seat_event_ids", "SELECT event_id FROM event ORDER BY 1");
  conn.prepare("seat_ids", "SELECT seat_id FROM seat WHERE event_id = $1");
  conn.prepare("seat_taken",
               "SELECT seat_id, state, hold_gid::text, hold_branch, "
               "coalesce(" TS_MICROS("hold_expires_at") ", 0) "
               "FROM seat WHERE event_id = $1 AND state <> 'AVAILABLE' "
               "ORDER BY seat_id");
  conn.prepare("seat_finished_owners",
               "SELECT DISTINCT b.gid::text, b.branch_id FROM tcc_barrier b "
               "JOIN unnest($1::uuid[], $2::text[]) AS o(gid, branch) "
               "ON b.gid = o.gid AND b.branch_id = o.branch "
               "WHERE b.phase IN ('confirm', 'cancel')");
  conn.prepare("seat_now_ms", "SELECT " TS_MICROS("now()") " / 1000");
}

// A PostgreSQL text[] literal. Every element is quoted so that no id (e.g.
// "NULL") is read as anything but text; ids are validated to
// [A-Za-z0-9_.:@-] before they get here, so no escaping is needed.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    absl::StrAppend(&out, "\"", values[i], "\"");
  }
  out += '}';
  return out;
}

SeatState ParseState(const std::string& state) {
  if (state == "HELD") return SeatState::kHeld;
  if (state == "SOLD") return SeatState::kSold;
  return SeatState::kAvailable;
}

SeatRecord ReadSeat(const pqxx::row& row) {
  return {row[0].as<std::string>(), row[1].as<std::string>(),
          row[2].as<int64_t>(),     row[3].as<int64_t>(),
          row[4].as<int64_t>(),     ParseState(row[5].as<std::string>())};
}

EventRecord ReadEvent(const pqxx::row& row) {
  return {row[0].as<std::string>(), row[1].as<std::string>(),
          row[2].as<std::string>(), row[3].as<int64_t>(), row[4].as<int64_t>()};
}

void SumUp(Hold* hold) {
  std::sort(hold->seats.begin(), hold->seats.end(),
            [](const SeatRecord& a, const SeatRecord& b) {
              return a.seat_id < b.seat_id;
            });
  hold->total_minor = 0;
  for (const SeatRecord& s : hold->seats) hold->total_minor += s.price_minor;
}

// Appends the (event_id, seat_id) rows of `rows` to `out`.
void AddSeats(const pqxx::result& rows, BranchSeats* out) {
  for (const auto& row : rows) {
    out->event_id = row[0].as<std::string>();
    out->seat_ids.push_back(row[1].as<std::string>());
  }
  std::sort(out->seat_ids.begin(), out->seat_ids.end());
}

// Up to `limit` ids joined for an error message.
std::string Some(const std::vector<std::string>& ids, size_t limit = 5) {
  std::vector<std::string> head(ids.begin(),
                                ids.begin() + std::min(limit, ids.size()));
  std::string out = absl::StrJoin(head, ", ");
  if (ids.size() > limit) absl::StrAppend(&out, ", ...");
  return out;
}

// The business change of a Try; `out` receives the held seats.
absl::Status HoldAll(pqxx::work& tx, const HoldCommand& command, Hold* out) {
  const pqxx::result event =
      tx.exec_prepared("seat_event_get", command.event_id);
  if (event.empty()) {
    return Error(absl::StatusCode::kNotFound, "EVENT_NOT_FOUND",
                 absl::StrCat("unknown event_id ", command.event_id));
  }
  out->currency = event[0][2].as<std::string>();
  const std::string ids = TextArray(command.seat_ids);
  for (const auto& row : tx.exec_prepared(
           "seat_hold", command.event_id, ids, command.gid, command.branch_id,
           command.user_id, command.expiry_ms, command.deadline_ms)) {
    out->seats.push_back(ReadSeat(row));
  }
  if (out->seats.size() == command.seat_ids.size()) {
    SumUp(out);
    return absl::OkStatus();
  }
  // All or nothing: the caller rolls back the seats held above. Say why.
  std::set<std::string> existing;
  for (const auto& row :
       tx.exec_prepared("seat_existing", command.event_id, ids)) {
    existing.insert(row[0].as<std::string>());
  }
  std::set<std::string> held;
  for (const SeatRecord& s : out->seats) held.insert(s.seat_id);
  std::vector<std::string> missing, taken;
  for (const std::string& id : command.seat_ids) {
    if (!existing.count(id)) {
      missing.push_back(id);
    } else if (!held.count(id)) {
      taken.push_back(id);
    }
  }
  if (!missing.empty()) {
    return Error(absl::StatusCode::kNotFound, "SEAT_NOT_FOUND",
                 absl::StrCat("event ", command.event_id, " has no seat ",
                              Some(missing)));
  }
  return WithMetadata(
      Refused("SEAT_TAKEN", absl::StrCat("seats not available: ", Some(taken))),
      {{"eventId", command.event_id}, {"seatIds", Some(taken)}});
}

}  // namespace

SeatStore::SeatStore(std::string conninfo, int pool_size)
    : pool_(std::move(conninfo), pool_size, Prepare) {}

absl::StatusOr<EventRecord> SeatStore::CreateEvent(const NewEvent& event) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<EventRecord> {
    // Seconds and microseconds apart: to_timestamp(double) is exact for
    // whole seconds, a bigint * interval product would go through double.
    if (tx.exec_prepared("seat_event_insert", event.event_id, event.name,
                         event.starts_at_seconds,
                         static_cast<int>(event.starts_at_nanos / 1000),
                         event.currency, SeatCount(event.sections))
            .affected_rows() != 1) {
      return Error(absl::StatusCode::kAlreadyExists, "EVENT_EXISTS",
                   absl::StrCat("event ", event.event_id, " already exists"));
    }
    for (size_t i = 0; i < event.sections.size(); ++i) {
      const SectionSpec& s = event.sections[i];
      tx.exec_prepared("seat_section_insert", event.event_id, s.name,
                       static_cast<int>(i), s.price_minor, s.rows,
                       s.seats_per_row);
    }
    return ReadEvent(tx.exec_prepared("seat_event_get", event.event_id).at(0));
  });
}

absl::StatusOr<SeatMapRecord> SeatStore::GetSeatMap(
    const std::string& event_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<SeatMapRecord> {
    const pqxx::result event = tx.exec_prepared("seat_event_get", event_id);
    if (event.empty()) {
      return Error(absl::StatusCode::kNotFound, "EVENT_NOT_FOUND",
                   absl::StrCat("unknown event_id ", event_id));
    }
    SeatMapRecord map;
    map.event = ReadEvent(event[0]);
    const pqxx::result seats = tx.exec_prepared("seat_map", event_id);
    map.seats.reserve(seats.size());
    for (const auto& row : seats) map.seats.push_back(ReadSeat(row));
    return map;
  });
}

absl::StatusOr<Hold> SeatStore::HoldSeats(const HoldCommand& command) {
  for (int attempt = 1;; ++attempt) {
    auto result = pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Hold> {
      Hold hold;
      auto outcome =
          BarrierTry(tx, command.gid, command.branch_id, TryContentOf(command),
                     [&](pqxx::work&) { return HoldAll(tx, command, &hold); });
      if (!outcome.ok()) return outcome.status();
      if (*outcome == BarrierOutcome::kDuplicate) {
        Hold stored;
        stored.duplicate = true;
        for (const auto& row :
             tx.exec_prepared("seat_held_by", command.gid, command.branch_id)) {
          stored.seats.push_back(ReadSeat(row));
          stored.currency = row[6].as<std::string>();
        }
        SumUp(&stored);
        return stored;
      }
      return hold;
    });
    if (result.ok() || ReasonOf(result.status()) != "DB_CONFLICT" ||
        attempt == kHoldAttempts) {
      return result;
    }
    spdlog::warn("event=hold_retry gid={} attempt={} error=\"{}\"", command.gid,
                 attempt, std::string(result.status().message()));
  }
}

absl::StatusOr<BranchSeats> SeatStore::Confirm(const std::string& gid,
                                               const std::string& branch_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<BranchSeats> {
    BranchSeats out;
    auto outcome = BarrierConfirm(tx, gid, branch_id, [&](pqxx::work&) {
      AddSeats(tx.exec_prepared("seat_sell", gid, branch_id), &out);
      if (!out.seat_ids.empty()) {
        out.applied = true;
        return absl::OkStatus();
      }
      // A Try that succeeded always leaves HELD seats; confirming nothing
      // (no Try, or Cancel first) would hide a coordinator fault.
      std::string states;
      for (const auto& row :
           tx.exec_prepared("seat_hold_states", gid, branch_id)) {
        absl::StrAppend(&states, states.empty() ? "" : ",", row[0].c_str(), "=",
                        row[1].c_str());
      }
      return Error(
          absl::StatusCode::kFailedPrecondition, "BRANCH_NOT_TRIED",
          absl::StrCat("no held seats to confirm for ", gid, "/", branch_id,
                       " (seats: ", states.empty() ? "none" : states, ")"));
    });
    if (!outcome.ok()) return outcome.status();
    // A repeat still names the seats, so that the caller can make sure the
    // gate has them sold (its first attempt may have failed).
    if (!out.applied) {
      AddSeats(tx.exec_prepared("seat_sold_to", gid, branch_id), &out);
    }
    return out;
  });
}

absl::StatusOr<BranchSeats> SeatStore::Cancel(const std::string& gid,
                                              const std::string& branch_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<BranchSeats> {
    BranchSeats out;
    auto outcome = BarrierCancel(tx, gid, branch_id, [&](pqxx::work&) {
      AddSeats(tx.exec_prepared("seat_release", gid, branch_id), &out);
      out.applied = !out.seat_ids.empty();
      if (!out.applied) {
        spdlog::warn("event=cancel_nothing_held gid={} branch={}", gid,
                     branch_id);
      }
      return absl::OkStatus();
    });
    if (!outcome.ok()) return outcome.status();
    return out;
  });
}

absl::StatusOr<std::vector<OverdueHold>> SeatStore::ListOverdue(
    std::chrono::seconds margin, int limit) {
  return ListOverdueHolds(pool_, "seat_overdue", margin, limit);
}

absl::StatusOr<std::vector<std::string>> SeatStore::EventIds() {
  return FirstColumn(pool_, "seat_event_ids");
}

absl::StatusOr<std::vector<std::string>> SeatStore::SeatIds(
    const std::string& event_id) {
  return pool_.Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<std::string>> {
        if (tx.exec_prepared("seat_event_get", event_id).empty()) {
          return Error(absl::StatusCode::kNotFound, "EVENT_NOT_FOUND",
                       absl::StrCat("unknown event_id ", event_id));
        }
        const pqxx::result rows = tx.exec_prepared("seat_ids", event_id);
        std::vector<std::string> ids;
        ids.reserve(rows.size());
        for (const auto& row : rows) ids.push_back(row[0].as<std::string>());
        return ids;
      });
}

absl::StatusOr<EventGateState> SeatStore::ReadGateState(
    const std::string& event_id,
    const std::vector<std::pair<std::string, std::string>>& owners) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<EventGateState> {
    // One snapshot for seats and barrier rows: a branch decided between two
    // read-committed statements would look both held and finished.
    tx.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
    if (tx.exec_prepared("seat_event_get", event_id).empty()) {
      return Error(absl::StatusCode::kNotFound, "EVENT_NOT_FOUND",
                   absl::StrCat("unknown event_id ", event_id));
    }
    EventGateState state;
    state.now_ms = tx.exec_prepared1("seat_now_ms")[0].as<int64_t>();
    for (const auto& row : tx.exec_prepared("seat_taken", event_id)) {
      TakenSeat seat;
      seat.seat_id = row[0].as<std::string>();
      seat.state = ParseState(row[1].as<std::string>());
      seat.owner =
          absl::StrCat(row[2].as<std::string>(), ":", row[3].as<std::string>());
      seat.expires_ms = row[4].as<int64_t>() / 1000;
      state.seats.push_back(std::move(seat));
    }
    if (!owners.empty()) {
      std::vector<std::string> gids, branches;
      for (const auto& [gid, branch] : owners) {
        gids.push_back(gid);
        branches.push_back(branch);
      }
      for (const auto& row : tx.exec_prepared(
               "seat_finished_owners", TextArray(gids), TextArray(branches))) {
        state.finished_owners.push_back(absl::StrCat(
            row[0].as<std::string>(), ":", row[1].as<std::string>()));
      }
    }
    return state;
  });
}

}  // namespace turnstile::seat
