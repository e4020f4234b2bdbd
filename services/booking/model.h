// Plain data of the booking participant (DESIGN.md §11, sql/booking): the
// net-cafe and train catalogues as the domain code sees them, and the names
// under which their resources are booked. One mechanism serves both: a
// resource booked over an integer range [from, to) -- slot indices of a
// venue-day for a machine, stop indices of a run for a seat.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"

namespace turnstile::booking {

// A half-open integer range [from, to) of slots or stop indices.
struct UnitRange {
  int from = 0;
  int to = 0;

  int size() const { return to - from; }
  bool empty() const { return to <= from; }
  bool Overlaps(const UnitRange& other) const {
    return from < other.to && other.from < to;
  }
  bool operator==(const UnitRange& other) const {
    return from == other.from && to == other.to;
  }
};

// Net cafe.
struct Package {
  std::string package_id;  // e.g. "2h"
  int hours = 0;
  int64_t price_minor = 0;
};

struct Zone {
  std::string zone_id;
  std::string name;
  int64_t price_per_hour_minor = 0;
  std::vector<Package> packages;
  std::vector<std::string> machine_ids;
};

struct Venue {
  std::string venue_id;
  std::string name;
  std::string tz_name;  // IANA zone; the grid is in local wall time
  std::string currency;
  int opening_minute = 0;  // minute of the local day, 0..1439
  int closing_minute = 0;  // <= opening_minute: the day runs past midnight
  int slot_minutes = 30;
  std::vector<Zone> zones;
};

// Train.
struct Stop {
  int index = 0;
  std::string station;
  int64_t departs_at_unix = 0;  // the last stop's: its arrival
};

struct SeatClass {
  std::string class_id;
  int64_t price_per_leg_minor = 0;
};

struct RunSeat {
  std::string seat_id;
  int car = 0;
  int number = 0;
  std::string class_id;
};

struct Run {
  std::string run_id;  // "<train_number>:<YYYY-MM-DD>"
  std::string train_number;
  absl::CivilDay service_date;
  std::string currency;
  std::vector<Stop> stops;
  std::vector<SeatClass> classes;
  std::vector<RunSeat> seats;
};

// Bookings as the store reads and writes them (services/booking/store.h).
enum class BookingState { kHeld, kSold };

// Per-identity limits of one Try (issue 10 item 5): units a Try may bring the
// use of each quota key (booking_quota, sql/booking/0001_init.sql) up to;
// 0 means unlimited. The values are the service's configuration.
struct QuotaLimits {
  int per_doc_day = 0;   // bookings per identity document per day
  int per_user_day = 0;  // bookings per user per day
  int per_user_run = 0;  // bookings per user per run (run gates only)
};

// One resource of a Try over one range; doc_id is the passenger's identity
// document (train) or empty (net cafe).
struct HoldItem {
  std::string resource_id;
  UnitRange range;
  std::string doc_id;
};

// A Try: a group held all or nothing under one gate (one venue-day or one
// run) for branch (gid, branch_id) until the transaction's deadline.
struct HoldCommand {
  std::string gid;
  std::string branch_id;
  std::string user_id;
  std::string gate_key;  // VenueDayGate or RunGate
  absl::CivilDay day;    // the venue-day or the run's service date
  int64_t deadline_ms = 0;
  std::vector<HoldItem> items;
  QuotaLimits limits;
};

struct BookingRow {
  std::string resource_id;
  UnitRange range;
  BookingState state = BookingState::kHeld;
  std::string doc_id;
};

// The answer of a Try: the branch's rows, sorted by resource and range;
// `duplicate` for a repeat (the rows are those of the first Try, possibly
// SOLD since).
struct HoldResult {
  bool duplicate = false;
  std::vector<BookingRow> rows;
};

// The rows a Confirm sold or a Cancel released (for the gate). `applied` is
// false for a repeat or an empty rollback.
struct BranchBookings {
  bool applied = false;
  std::string gate_key;
  std::string user_id;  // of the rows (one Try: one user, gate and day)
  absl::CivilDay day;
  std::vector<BookingRow> rows;
};

// A row of one gate as the reconciler sees it: owner is "<gid>:<branch>".
struct GateRow {
  BookingRow booking;
  std::string owner;
  int64_t deadline_ms = 0;  // 0 for SOLD rows
  std::string user_id;      // the booking's user (per-user limits)
};

// The HELD and SOLD rows of one gate and which of the asked owners are
// decided (confirm or cancel barrier), read in one snapshot.
struct GateSnapshot {
  int64_t now_ms = 0;
  std::vector<GateRow> rows;
  std::vector<std::string> finished_owners;
  // When each finished owner was decided: its confirm or cancel barrier
  // row's created_at (epoch ms, PostgreSQL clock), for the settle grace
  // (reconcile_plan.h DecisionTimes).
  std::map<std::string, int64_t> decided_at_ms;
};

// Resource and gate names (the booking table's resource_id and gate_key;
// the Redis gate's hash tag is built from the gate key).
std::string MachineResource(const std::string& venue_id,
                            const std::string& machine_id, absl::CivilDay day);
std::string SeatResource(const std::string& run_id, const std::string& seat_id);
std::string VenueDayGate(const std::string& venue_id, absl::CivilDay day);
std::string RunGate(const std::string& run_id);
std::string RunId(const std::string& train_number, absl::CivilDay date);

// The gate owner of a branch: lower-case gid, ":", branch id (the range
// and day-limit gates' owner field).
std::string BranchOwner(const std::string& gid, const std::string& branch_id);

}  // namespace turnstile::booking
