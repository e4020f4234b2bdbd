#include "services/order/store.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/barrier.h"
#include "services/common/pg_array.h"
#include "services/common/status.h"
#include "services/common/time_util.h"

namespace turnstile::order {
namespace {

#define ORDER_COLUMNS \
  "order_id::text, user_id, request_id, state, pay_now, total_minor, " \
  "currency, COALESCE(" TS_MICROS("expires_at") ", 0), " TS_MICROS(    \
      "created_at") ", " TS_MICROS("updated_at") ", "                  \
                    "COALESCE(booking_line::text, '')"

// The columns of an order_item row `i` as ReadItem reads them: kind,
// sku_id, event_id, seat_id, quantity, unit price, then the booking columns
// (sql/order/0006).
#define ITEM_COLUMNS \
  "i.kind, COALESCE(i.sku_id, ''), COALESCE(i.event_id, ''), "             \
  "COALESCE(i.seat_id, ''), i.quantity, i.unit_price_minor, "              \
  "COALESCE(i.venue_id, ''), COALESCE(i.machine_id, ''), "                 \
  "COALESCE(i.venue_day, ''), COALESCE(" TS_MICROS("i.starts_at") ", 0), " \
  "COALESCE(" TS_MICROS("i.ends_at") ", 0), COALESCE(i.run_id, ''), "      \
  "COALESCE(i.run_seat_id, ''), COALESCE(i.doc_id, ''), "                  \
  "COALESCE(i.from_unit, 0), COALESCE(i.to_unit, 0)"

// One order (columns 0-10 as ORDER_COLUMNS, 11 its uuid) left-joined with
// its lines (12-27 as ITEM_COLUMNS; NULL kind when it has none), lines in
// order.
#define ORDER_WITH_ITEMS(where)                                              \
  "WITH o AS (SELECT " ORDER_COLUMNS                                         \
  ", order_id AS oid FROM orders WHERE " where ") SELECT o.*, " ITEM_COLUMNS \
  " FROM o LEFT JOIN order_item i ON i.order_id = o.oid "                    \
  "ORDER BY i.line_no"

constexpr int kItemsOfOrderAt = 12;

// Micros since the epoch as an exact timestamptz expression.
#define FROM_MICROS(n) \
  "('epoch'::timestamptz + " n " * interval '1 microsecond')"

OrderRecord ReadOrder(const pqxx::row& r) {
  OrderRecord o;
  o.order_id = r[0].as<std::string>();
  o.user_id = r[1].as<std::string>();
  o.request_id = r[2].as<std::string>();
  o.state = ParseState(r[3].as<std::string>()).value_or(OrderState::kFailed);
  o.pay_now = r[4].as<bool>();
  o.total_minor = r[5].as<int64_t>();
  o.currency = r[6].as<std::string>();
  o.expires_at_us = r[7].as<int64_t>();
  o.created_at_us = r[8].as<int64_t>();
  o.updated_at_us = r[9].as<int64_t>();
  o.booking_line = r[10].as<std::string>();
  return o;
}

// The item of ITEM_COLUMNS starting at column `at`.
OrderItem ReadItem(const pqxx::row& r, int at) {
  OrderItem item;
  item.kind = r[at].as<std::string>();
  item.sku_id = r[at + 1].as<std::string>();
  item.event_id = r[at + 2].as<std::string>();
  item.seat_id = r[at + 3].as<std::string>();
  item.quantity = r[at + 4].as<int64_t>();
  item.unit_price_minor = r[at + 5].as<int64_t>();
  BookingItem& b = item.booking;
  b.venue_id = r[at + 6].as<std::string>();
  b.machine_id = r[at + 7].as<std::string>();
  b.venue_day = r[at + 8].as<std::string>();
  b.starts_at_us = r[at + 9].as<int64_t>();
  b.ends_at_us = r[at + 10].as<int64_t>();
  b.run_id = r[at + 11].as<std::string>();
  b.seat_id = r[at + 12].as<std::string>();
  b.doc_id = r[at + 13].as<std::string>();
  b.from_unit = r[at + 14].as<int32_t>();
  b.to_unit = r[at + 15].as<int32_t>();
  return item;
}

// Fills in the items of `orders` with one query.
void LoadItems(pqxx::transaction_base& tx, std::vector<OrderRecord>& orders) {
  if (orders.empty()) return;
  std::vector<std::string> ids;
  std::map<std::string, OrderRecord*> by_id;
  for (auto& o : orders) {
    ids.push_back(o.order_id);
    by_id[o.order_id] = &o;
  }
  // ids are canonical UUIDs read back from the database: safe in a literal.
  const std::string array = absl::StrCat("{", absl::StrJoin(ids, ","), "}");
  for (const auto& r : tx.exec_prepared("ord_items", array)) {
    by_id[r[0].as<std::string>()]->items.push_back(ReadItem(r, 1));
  }
}

// The order of an ORDER_WITH_ITEMS result, if any.
std::optional<OrderRecord> OneWithItems(const pqxx::result& result) {
  if (result.empty()) return std::nullopt;
  OrderRecord order = ReadOrder(result[0]);
  for (const auto& r : result) {
    if (r[kItemsOfOrderAt].is_null()) continue;
    order.items.push_back(ReadItem(r, kItemsOfOrderAt));
  }
  return order;
}

// One phase of the order branch in one statement (sql/order/0003).
absl::StatusOr<PhaseResult> MoveOpenOrder(PgPool& pool, const std::string& gid,
                                          const std::string& branch_id,
                                          const char* phase, OrderState to,
                                          const std::string& reason) {
  return pool.Autocommit(
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<PhaseResult> {
        const auto row = tx.exec_prepared1("ord_move_open", gid, branch_id,
                                           phase, StateName(to), reason);
        auto answer = ReadPhaseAnswer(row[0].c_str(), row[2].c_str());
        if (!answer.ok()) return answer.status();
        PhaseResult result;
        result.applied = answer->applied;
        result.note = answer->note;
        if (result.applied) result.from = ParseState(row[1].as<std::string>());
        return result;
      });
}

}  // namespace

void OrderStore::Prepare(pqxx::connection& conn) {
  // One order with its lines in one round trip: the order's columns repeat
  // on every line (see OneWithItems).
  conn.prepare("ord_get", ORDER_WITH_ITEMS("order_id = $1::uuid"));
  conn.prepare("ord_by_request",
               ORDER_WITH_ITEMS("user_id = $1 AND request_id = $2"));
  conn.prepare("ord_items",
               "SELECT i.order_id::text, " ITEM_COLUMNS
               " FROM order_item i WHERE i.order_id = ANY($1::uuid[]) "
               "ORDER BY i.order_id, i.line_no");
  conn.prepare("ord_list_first",
               "SELECT " ORDER_COLUMNS
               " FROM orders WHERE user_id = $1 "
               "ORDER BY created_at DESC, order_id DESC LIMIT $2");
  conn.prepare("ord_list_after",
               "SELECT " ORDER_COLUMNS
               " FROM orders WHERE user_id = $1 AND (created_at, order_id) < "
               "(" FROM_MICROS("$2::bigint") ", $3::uuid) "
               "ORDER BY created_at DESC, order_id DESC LIMIT $4");
  conn.prepare("ord_try_create",
               "SELECT ord_try_create($1::uuid, $2, $3, $4, $5, $6, $7, "
               "$8::bigint, $9, $10::text[], $11::text[], $12::text[], "
               "$13::text[], $14::bigint[], $15::bigint[], $16, $17, "
               "$18::text[], $19::text[], $20::text[], $21::bigint[], "
               "$22::bigint[], $23::text[], $24::text[], $25::text[], "
               "$26::int[], $27::int[])");
  conn.prepare("ord_move_open",
               "SELECT outcome, COALESCE(from_state, ''), COALESCE(note, '') "
               "FROM ord_move_open($1::uuid, $2, $3, $4, $5)");
}

absl::StatusOr<std::optional<OrderRecord>> OrderStore::FindByRequest(
    const std::string& user_id, const std::string& request_id) {
  return pool_.Autocommit([&](pqxx::nontransaction& tx)
                              -> absl::StatusOr<std::optional<OrderRecord>> {
    return OneWithItems(
        tx.exec_prepared("ord_by_request", user_id, request_id));
  });
}

absl::StatusOr<std::optional<OrderRecord>> OrderStore::Get(
    const std::string& order_id) {
  return pool_.Autocommit([&](pqxx::nontransaction& tx)
                              -> absl::StatusOr<std::optional<OrderRecord>> {
    return OneWithItems(tx.exec_prepared("ord_get", order_id));
  });
}

absl::Status OrderStore::TryCreate(const OrderRecord& order,
                                   const std::string& reason) {
  std::vector<std::string> kinds, skus, events, seats;
  std::vector<int64_t> quantities, prices;
  std::vector<std::string> venues, machines, days, runs, run_seats, docs;
  std::vector<int64_t> starts, ends, from, to;
  for (const auto& item : order.items) {
    kinds.push_back(item.kind);
    skus.push_back(item.sku_id);
    events.push_back(item.event_id);
    seats.push_back(item.seat_id);
    quantities.push_back(item.quantity);
    prices.push_back(item.unit_price_minor);
    const BookingItem& b = item.booking;
    venues.push_back(b.venue_id);
    machines.push_back(b.machine_id);
    days.push_back(b.venue_day);
    starts.push_back(b.starts_at_us);
    ends.push_back(b.ends_at_us);
    runs.push_back(b.run_id);
    run_seats.push_back(b.seat_id);
    docs.push_back(b.doc_id);
    from.push_back(b.from_unit);
    to.push_back(b.to_unit);
  }
  return pool_.Autocommit([&](pqxx::nontransaction& tx) -> absl::Status {
    const auto row = tx.exec_prepared1(
        "ord_try_create", order.order_id, order.user_id, order.request_id,
        StateName(order.state), order.pay_now, order.total_minor,
        order.currency, order.expires_at_us, reason, TextArray(kinds),
        TextArray(skus), TextArray(events), TextArray(seats),
        BigintArray(quantities), BigintArray(prices), TryContentOf(order),
        order.booking_line, TextArray(venues), TextArray(machines),
        TextArray(days), BigintArray(starts), BigintArray(ends),
        TextArray(runs), TextArray(run_seats), TextArray(docs),
        BigintArray(from), BigintArray(to));
    return BarrierOutcomeFromWord(row[0].as<std::string>()).status();
  });
}

absl::StatusOr<PhaseResult> OrderStore::Confirm(const std::string& gid,
                                                const std::string& branch_id) {
  return MoveOpenOrder(pool_, gid, branch_id, "confirm", OrderState::kPaid,
                       "confirmed");
}

absl::StatusOr<PhaseResult> OrderStore::Cancel(const std::string& gid,
                                               const std::string& branch_id,
                                               const CancelTarget& target) {
  return MoveOpenOrder(pool_, gid, branch_id, "cancel", target.state,
                       target.reason);
}

absl::StatusOr<std::vector<OrderRecord>> OrderStore::List(
    const std::string& user_id, int limit,
    const std::optional<PageCursor>& after) {
  return pool_.Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<OrderRecord>> {
        const pqxx::result rows =
            after
                ? tx.exec_prepared("ord_list_after", user_id,
                                   after->created_at_us, after->order_id, limit)
                : tx.exec_prepared("ord_list_first", user_id, limit);
        std::vector<OrderRecord> orders;
        for (const auto& r : rows) orders.push_back(ReadOrder(r));
        LoadItems(tx, orders);
        return orders;
      });
}

absl::Status OrderStore::ConfirmBranch(const std::string& gid) {
  return Confirm(gid, kOrderBranch).status();
}

absl::Status OrderStore::CancelBranch(const std::string& gid,
                                      v1::CancelReason reason) {
  return Cancel(gid, kOrderBranch, CancelTargetFor(reason)).status();
}

}  // namespace turnstile::order
