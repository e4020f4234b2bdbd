#include "tools/invariants.h"

#include <memory>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/pg_pool.h"
#include "tools/invariant_rows.h"
#include "tools/invariants_booking.h"

namespace turnstile::tools {

Databases DatabasesFor(const std::string& base, const std::string& prefix) {
  Databases dbs;
  for (const char* s :
       {"coordinator", "inventory", "seat", "booking", "payment", "order"}) {
    dbs[s] = absl::StrCat(base, " dbname=", prefix, "_", s);
  }
  return dbs;
}

absl::StatusOr<std::vector<CheckResult>> CheckInvariants(
    const Databases& dbs, const CheckOptions& options) {
  std::vector<CheckResult> results;
  try {
    pqxx::connection coord(dbs.at("coordinator"));
    pqxx::connection inv(dbs.at("inventory"));
    pqxx::connection seat(dbs.at("seat"));
    pqxx::connection pay(dbs.at("payment"));
    pqxx::connection ord(dbs.at("order"));
    // Optional: a mesh without the booking participant has no database.
    std::unique_ptr<pqxx::connection> booking;
    if (auto it = dbs.find("booking"); it != dbs.end()) {
      booking = std::make_unique<pqxx::connection>(it->second);
    }

    // --- 1. stock -------------------------------------------------------
    // A SKU's stock may be split over several rows (buckets, sql/inventory
    // 0002): the counters must add up in every bucket, hence in sum, and
    // every bucket must match the reservations that point at it.
    const auto sku_count =
        Rows(inv, "SELECT count(DISTINCT sku_id) FROM stock")[0][0];
    results.push_back(FromViolations(
        "stock: available + locked + sold = total, none below zero (per "
        "bucket and per SKU)",
        Rows(inv,
             "SELECT sku_id || '#' || bucket, available, locked, sold, total "
             "FROM stock WHERE available < 0 OR locked < 0 OR sold < 0 OR "
             "available + locked + sold <> total "
             "UNION ALL "
             "SELECT sku_id, sum(available), sum(locked), sum(sold), "
             "sum(total) FROM stock GROUP BY sku_id HAVING "
             "sum(available) + sum(locked) + sum(sold) <> sum(total)"),
        absl::StrCat(sku_count, " SKUs")));
    results.push_back(FromViolations(
        "stock: sold/locked = SOLD/LOCKED reservations (per bucket)",
        Rows(inv,
             "SELECT s.sku_id || '#' || s.bucket, s.sold, coalesce(r.sold, 0), "
             "s.locked, coalesce(r.locked, 0) FROM stock s LEFT JOIN (SELECT "
             "sku_id, bucket, "
             "sum(quantity) FILTER (WHERE state = 'SOLD') AS sold, "
             "sum(quantity) FILTER (WHERE state = 'LOCKED') AS locked "
             "FROM reservation GROUP BY sku_id, bucket) r "
             "USING (sku_id, bucket) "
             "WHERE s.sold <> coalesce(r.sold, 0) OR "
             "s.locked <> coalesce(r.locked, 0)"),
        "reservations agree"));
    const auto sold_by_sku =
        ToMap(Rows(inv,
                   "SELECT sku_id, sum(sold) FROM stock GROUP BY sku_id "
                   "HAVING sum(sold) > 0"));
    const auto paid_by_sku = ToMap(
        Rows(ord,
             "SELECT i.sku_id, sum(i.quantity) FROM order_item i JOIN orders "
             "o USING (order_id) WHERE o.state = 'PAID' AND i.kind = 'sku' "
             "GROUP BY i.sku_id"));
    int64_t sold_units = 0;
    for (const auto& [k, v] : sold_by_sku) sold_units += std::stoll(v);
    results.push_back(FromViolations(
        "stock: sold = quantity in PAID orders (sku/inventory/orders)",
        Diff(sold_by_sku, paid_by_sku),
        absl::StrCat(sold_units, " units sold")));

    // --- 2. seats -------------------------------------------------------
    const auto sold_seats =
        ToMap(Rows(seat,
                   "SELECT event_id || '/' || seat_id, '1' FROM seat "
                   "WHERE state = 'SOLD'"));
    const auto paid_seats = ToMap(
        Rows(ord,
             "SELECT i.event_id || '/' || i.seat_id, count(*)::text FROM "
             "order_item i JOIN orders o USING (order_id) WHERE o.state = "
             "'PAID' AND i.kind = 'seat' GROUP BY 1"));
    results.push_back(FromViolations(
        "seats: every SOLD seat in exactly one PAID order, none sold twice",
        Diff(sold_seats, paid_seats),
        absl::StrCat(sold_seats.size(), " seats sold")));

    // --- 3. wallets -----------------------------------------------------
    results.push_back(FromViolations(
        "wallets: balance + frozen + captured = deposits, frozen = "
        "authorized",
        Rows(pay,
             "SELECT w.user_id, w.currency, w.balance, w.frozen, "
             "coalesce(p.captured, 0), coalesce(p.authorized, 0), "
             "coalesce(d.deposits, 0) FROM wallet w "
             "LEFT JOIN (SELECT user_id, currency, sum(amount) FILTER (WHERE "
             "state = 'CAPTURED') AS captured, sum(amount) FILTER (WHERE "
             "state = 'AUTHORIZED') AS authorized FROM payment GROUP BY 1, 2) "
             "p USING (user_id, currency) "
             "LEFT JOIN (SELECT user_id, currency, sum(amount) AS deposits "
             "FROM ledger_entry WHERE kind = 'DEPOSIT' GROUP BY 1, 2) d "
             "USING (user_id, currency) "
             "WHERE w.balance < 0 OR w.frozen < 0 OR w.balance + w.frozen + "
             "coalesce(p.captured, 0) <> coalesce(d.deposits, 0) OR "
             "w.frozen <> coalesce(p.authorized, 0)"),
        absl::StrCat(Rows(pay, "SELECT count(*) FROM wallet")[0][0],
                     " wallets")));
    const auto captured = ToMap(
        Rows(pay,
             "SELECT gid::text, sum(amount)::text FROM payment WHERE state "
             "= 'CAPTURED' GROUP BY gid"));
    const auto paid_orders =
        ToMap(Rows(ord,
                   "SELECT order_id::text, total_minor::text FROM orders WHERE "
                   "state = 'PAID' AND total_minor > 0"));
    results.push_back(FromViolations(
        "payments: every capture has a PAID order of that total, and back",
        Diff(captured, paid_orders),
        absl::StrCat(captured.size(), " captures")));

    // --- 4. transactions ------------------------------------------------
    const auto stale = Rows(
        coord, absl::StrCat("SELECT gid, state FROM global_txn WHERE state "
                            "NOT IN ('CONFIRMED', 'CANCELLED') AND deadline "
                            "< now() - interval '",
                            options.horizon_seconds, " seconds'"));
    const auto states = Rows(
        coord, "SELECT state, count(*) FROM global_txn GROUP BY 1 ORDER BY 1");
    std::vector<std::string> state_counts;
    for (const auto& r : states) state_counts.push_back(r[0] + "=" + r[1]);
    results.push_back(
        FromViolations("transactions: terminal within deadline + horizon",
                       stale, absl::StrJoin(state_counts, " ")));
    results.push_back(FromViolations(
        "transactions: branches agree with the global state",
        Rows(coord,
             "SELECT g.gid, g.state, b.branch_id, b.state FROM global_txn g "
             "JOIN branch b USING (gid) WHERE (g.state = 'CONFIRMED' AND "
             "b.state <> 'CONFIRMED') OR (g.state = 'CANCELLED' AND b.state "
             "<> 'CANCELLED')"),
        "agree"));
    // Participants agree with the coordinator's outcome.
    const auto confirmed =
        ToMap(Rows(coord,
                   "SELECT gid::text, state FROM global_txn WHERE state IN "
                   "('CONFIRMED', 'CANCELLED')"));
    std::vector<std::vector<std::string>> disagree;
    auto expect = [&](const std::vector<std::vector<std::string>>& rows,
                      const std::string& what, const std::string& want) {
      for (const auto& r : rows) {
        auto it = confirmed.find(r[0]);
        if (it != confirmed.end() && it->second != want) {
          disagree.push_back({r[0], what, it->second});
        }
      }
    };
    expect(Rows(ord, "SELECT order_id::text FROM orders WHERE state = 'PAID'"),
           "order PAID", "CONFIRMED");
    expect(Rows(ord,
                "SELECT order_id::text FROM orders WHERE state IN "
                "('PENDING', 'PENDING_PAYMENT')"),
           "order still pending", "none");
    expect(Rows(inv,
                "SELECT DISTINCT gid::text FROM reservation WHERE state = "
                "'SOLD'"),
           "stock sold", "CONFIRMED");
    expect(Rows(inv,
                "SELECT DISTINCT gid::text FROM reservation WHERE state = "
                "'LOCKED'"),
           "stock still locked", "none");
    expect(Rows(seat,
                "SELECT DISTINCT hold_gid::text FROM seat WHERE "
                "state = 'SOLD'"),
           "seat sold", "CONFIRMED");
    expect(Rows(seat,
                "SELECT DISTINCT hold_gid::text FROM seat WHERE "
                "state = 'HELD'"),
           "seat still held", "none");
    expect(Rows(pay, "SELECT gid::text FROM payment WHERE state = 'CAPTURED'"),
           "payment captured", "CONFIRMED");
    expect(
        Rows(pay, "SELECT gid::text FROM payment WHERE state = 'AUTHORIZED'"),
        "payment still frozen", "none");
    results.push_back(FromViolations(
        "participants agree with every decided transaction", disagree,
        absl::StrCat(confirmed.size(), " decided transactions")));

    // --- 5. bookings over ranges (issue 10) -----------------------------
    AppendBookingChecks(booking.get(), ord, coord, options.horizon_seconds,
                        results);
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
  return results;
}

bool AllOk(const std::vector<CheckResult>& results) {
  for (const auto& r : results) {
    if (!r.ok) return false;
  }
  return true;
}

std::string FormatResults(const std::vector<CheckResult>& results) {
  std::string out;
  for (const auto& r : results) {
    absl::StrAppend(&out, r.ok ? "ok    " : "FAIL  ", r.name,
                    r.ok ? " (" : ": ", r.detail, r.ok ? ")\n" : "\n");
  }
  return out;
}

}  // namespace turnstile::tools
