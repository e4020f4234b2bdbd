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

#define ORDER_COLUMNS                                                  \
  "order_id::text, user_id, request_id, state, pay_now, total_minor, " \
  "currency, COALESCE(" TS_MICROS("expires_at") ", 0), " TS_MICROS(    \
      "created_at") ", " TS_MICROS("updated_at")

// One order (columns 0-9 as ORDER_COLUMNS, 10 its uuid) left-joined with its
// lines (11-16: kind, sku_id, event_id, seat_id, quantity, unit price; NULL
// kind when it has none), lines in order.
#define ORDER_WITH_ITEMS(where)                                             \
  "WITH o AS (SELECT " ORDER_COLUMNS                                        \
  ", order_id AS oid FROM orders WHERE " where                              \
  ") SELECT o.*, i.kind, COALESCE(i.sku_id, ''), "                          \
  "COALESCE(i.event_id, ''), COALESCE(i.seat_id, ''), i.quantity, "         \
  "i.unit_price_minor FROM o LEFT JOIN order_item i ON i.order_id = o.oid " \
  "ORDER BY i.line_no"

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
  return o;
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
    OrderItem item;
    item.kind = r[1].as<std::string>();
    item.sku_id = r[2].as<std::string>();
    item.event_id = r[3].as<std::string>();
    item.seat_id = r[4].as<std::string>();
    item.quantity = r[5].as<int64_t>();
    item.unit_price_minor = r[6].as<int64_t>();
    by_id[r[0].as<std::string>()]->items.push_back(std::move(item));
  }
}

// The order of an ORDER_WITH_ITEMS result, if any.
std::optional<OrderRecord> OneWithItems(const pqxx::result& result) {
  if (result.empty()) return std::nullopt;
  OrderRecord order = ReadOrder(result[0]);
  for (const auto& r : result) {
    if (r[11].is_null()) continue;
    order.items.push_back({r[11].as<std::string>(), r[12].as<std::string>(),
                           r[13].as<std::string>(), r[14].as<std::string>(),
                           r[15].as<int64_t>(), r[16].as<int64_t>()});
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
               "SELECT order_id::text, kind, COALESCE(sku_id, ''), "
               "COALESCE(event_id, ''), COALESCE(seat_id, ''), quantity, "
               "unit_price_minor FROM order_item "
               "WHERE order_id = ANY($1::uuid[]) ORDER BY order_id, line_no");
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
               "$13::text[], $14::bigint[], $15::bigint[], $16)");
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
  for (const auto& item : order.items) {
    kinds.push_back(item.kind);
    skus.push_back(item.sku_id);
    events.push_back(item.event_id);
    seats.push_back(item.seat_id);
    quantities.push_back(item.quantity);
    prices.push_back(item.unit_price_minor);
  }
  return pool_.Autocommit([&](pqxx::nontransaction& tx) -> absl::Status {
    const auto row = tx.exec_prepared1(
        "ord_try_create", order.order_id, order.user_id, order.request_id,
        StateName(order.state), order.pay_now, order.total_minor,
        order.currency, order.expires_at_us, reason, TextArray(kinds),
        TextArray(skus), TextArray(events), TextArray(seats),
        BigintArray(quantities), BigintArray(prices), TryContentOf(order));
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
