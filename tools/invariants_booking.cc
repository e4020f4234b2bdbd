#include "tools/invariants_booking.h"

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "tools/invariant_rows.h"

namespace turnstile::tools {
namespace {

constexpr char kOverlaps[] =
    "SELECT a.resource_id, a.during::text, a.state, b.during::text, b.state "
    "FROM booking a JOIN booking b ON a.resource_id = b.resource_id AND "
    "a.during && b.during AND a.booking_id < b.booking_id";

// The quota keys of services/booking/quota.h recounted from the rows.
constexpr char kQuotaDrift[] =
    "WITH uses AS ("
    " SELECT 'doc:' || doc_id || ':' || day::text AS k FROM booking"
    "  WHERE doc_id IS NOT NULL AND doc_id <> ''"
    " UNION ALL SELECT 'user-day:' || user_id || ':' || day::text FROM booking"
    " UNION ALL SELECT 'user-run:' || user_id || ':' || substr(gate_key, 3)"
    "  FROM booking WHERE gate_key LIKE 'r:%'),"
    " counts AS (SELECT k, count(*) AS n FROM uses GROUP BY k) "
    "SELECT coalesce(q.quota_key, c.k), coalesce(q.used, 0), "
    "coalesce(c.n, 0) FROM booking_quota q FULL JOIN counts c "
    "ON q.quota_key = c.k WHERE coalesce(q.used, 0) <> coalesce(c.n, 0)";

}  // namespace

void AppendBookingChecks(pqxx::connection* booking_db, pqxx::connection& ord,
                         pqxx::connection& coord, int horizon_seconds,
                         std::vector<CheckResult>& results) {
  if (booking_db == nullptr ||
      Rows(*booking_db, "SELECT to_regclass('booking') IS NULL")[0][0] == "t") {
    results.push_back({"bookings", true, "no booking schema"});
    return;
  }
  pqxx::connection& booking = *booking_db;
  const auto counts =
      Rows(booking,
           "SELECT count(*), count(DISTINCT resource_id), "
           "count(*) FILTER (WHERE state = 'SOLD'), "
           "coalesce(sum(upper(during) - lower(during)) FILTER (WHERE state = "
           "'SOLD'), 0) FROM booking")[0];
  results.push_back(FromViolations(
      "bookings: no two HELD or SOLD bookings of one resource overlap",
      Rows(booking, kOverlaps),
      absl::StrCat(counts[0], " bookings of ", counts[1], " resources")));

  // Item by item: every SOLD booking is an item of its transaction's PAID
  // order (order_id = gid), and every slot/leg item of a PAID order is a
  // SOLD booking; the order side names the resource as model.h does.
  const auto sold = ToMap(
      Rows(booking,
           "SELECT gid::text || ' ' || resource_id || ' ' || during::text, "
           "count(*)::text FROM booking WHERE state = 'SOLD' GROUP BY 1"));
  const auto paid_items = ToMap(Rows(
      ord,
      "SELECT o.order_id::text || ' ' || CASE i.kind WHEN 'slot' THEN 'm:' "
      "|| i.venue_id || ':' || i.machine_id || ':' || i.venue_day ELSE 's:' "
      "|| i.run_id || ':' || i.run_seat_id END || ' ' || int4range("
      "i.from_unit, i.to_unit)::text, count(*)::text FROM orders o JOIN "
      "order_item i USING (order_id) WHERE o.state = 'PAID' AND i.kind IN "
      "('slot', 'leg') GROUP BY 1"));
  results.push_back(FromViolations(
      "bookings: every SOLD booking is an item of exactly one PAID order, "
      "and back",
      Diff(sold, paid_items),
      absl::StrCat(counts[2], " sold, ", counts[3], " units")));

  // HELD rows of decided transactions or past the horizon; SOLD rows of
  // transactions that are not CONFIRMED.
  const auto decided =
      ToMap(Rows(coord,
                 "SELECT gid::text, state FROM global_txn WHERE state IN "
                 "('CONFIRMED', 'CANCELLED')"));
  TextRows stale = Rows(
      booking,
      absl::StrCat("SELECT gid::text, resource_id, during::text, 'past "
                   "deadline' FROM booking WHERE state = 'HELD' AND deadline "
                   "< now() - interval '",
                   horizon_seconds, " seconds'"));
  for (const auto& row :
       Rows(booking, "SELECT DISTINCT gid::text, state FROM booking")) {
    auto it = decided.find(row[0]);
    if (row[1] == "HELD" && it != decided.end()) {
      stale.push_back({row[0], "HELD", "transaction " + it->second});
    } else if (row[1] == "SOLD" &&
               (it == decided.end() || it->second != "CONFIRMED")) {
      stale.push_back({row[0], "SOLD",
                       it == decided.end() ? "transaction undecided"
                                           : "transaction " + it->second});
    }
  }
  results.push_back(FromViolations(
      "bookings: no HELD booking outlives its transaction, SOLD only when "
      "CONFIRMED",
      stale, "agree"));

  results.push_back(FromViolations(
      "bookings: quota use = HELD + SOLD bookings per document, user-day "
      "and user-run",
      Rows(booking, kQuotaDrift),
      absl::StrCat(Rows(booking, "SELECT count(*) FROM booking_quota")[0][0],
                   " quota keys")));
}

}  // namespace turnstile::tools
