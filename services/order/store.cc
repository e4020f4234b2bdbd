#include "services/order/store.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/barrier.h"
#include "services/common/status.h"
#include "services/common/time_util.h"

namespace turnstile::order {
namespace {

#define ORDER_COLUMNS                                                  \
  "order_id::text, user_id, request_id, state, pay_now, total_minor, " \
  "currency, COALESCE(" TS_MICROS("expires_at") ", 0), " TS_MICROS(    \
      "created_at") ", " TS_MICROS("updated_at")

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
void LoadItems(pqxx::work& tx, std::vector<OrderRecord>& orders) {
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

absl::StatusOr<std::optional<OrderRecord>> One(pqxx::work& tx,
                                               const pqxx::result& result) {
  if (result.empty()) return std::optional<OrderRecord>();
  std::vector<OrderRecord> orders = {ReadOrder(result[0])};
  LoadItems(tx, orders);
  return std::optional<OrderRecord>(std::move(orders[0]));
}

absl::Status StateError(const std::string& message) {
  return Error(absl::StatusCode::kFailedPrecondition, "ORDER_STATE", message);
}

// Moves an open order to `to` by compare-and-set on its current state (no
// row lock held across statements), logging the change. Sets `result`.
absl::Status MoveOpenOrder(pqxx::work& tx, const std::string& gid,
                           OrderState to, const std::string& reason,
                           bool missing_ok, PhaseResult& result) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    const auto current = tx.exec_prepared("ord_state", gid);
    if (current.empty()) {
      if (missing_ok) {
        result.note = "no order row";
        return absl::OkStatus();
      }
      return StateError(
          absl::StrCat("no order ", gid, " to move to ", StateName(to)));
    }
    const std::string state = current[0][0].as<std::string>();
    const auto from = ParseState(state);
    if (!from || !IsOpen(*from)) {
      if (from == to) {
        result.note = absl::StrCat("already ", state);
        return absl::OkStatus();
      }
      // PAID cannot be cancelled, and a cancelled order cannot be paid:
      // refusing keeps such a coordinator bug visible as a stuck branch.
      if (to == OrderState::kPaid || *from == OrderState::kPaid) {
        return StateError(absl::StrCat("order ", gid, " is ", state,
                                       ", cannot become ", StateName(to)));
      }
      result.note = absl::StrCat("already ", state);
      return absl::OkStatus();
    }
    if (tx.exec_prepared("ord_move", gid, state, StateName(to))
            .affected_rows() == 1) {
      tx.exec_prepared("ord_log", gid, state, StateName(to), reason);
      result.applied = true;
      result.from = from;
      return absl::OkStatus();
    }
    // Changed between the read and the update: read again.
  }
  return Error(absl::StatusCode::kUnavailable, "DB_CONFLICT",
               "order state kept changing");
}

}  // namespace

void OrderStore::Prepare(pqxx::connection& conn) {
  PrepareBarrier(conn);
  conn.prepare("ord_get", "SELECT " ORDER_COLUMNS
                          " FROM orders WHERE order_id = $1::uuid");
  conn.prepare("ord_by_request", "SELECT " ORDER_COLUMNS
                                 " FROM orders WHERE user_id = $1 AND "
                                 "request_id = $2");
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
  conn.prepare("ord_insert",
               "INSERT INTO orders (order_id, user_id, request_id, state, "
               "pay_now, total_minor, currency, expires_at) VALUES ($1::uuid, "
               "$2, $3, $4, $5, $6, $7, CASE WHEN $8::bigint = 0 THEN NULL "
               "ELSE " FROM_MICROS("$8::bigint") " END)");
  conn.prepare("ord_item_insert",
               "INSERT INTO order_item (order_id, line_no, kind, sku_id, "
               "event_id, seat_id, quantity, unit_price_minor) VALUES "
               "($1::uuid, $2, $3, NULLIF($4, ''), NULLIF($5, ''), "
               "NULLIF($6, ''), $7, $8)");
  conn.prepare("ord_log",
               "INSERT INTO order_status_log (order_id, from_state, to_state, "
               "reason) VALUES ($1::uuid, NULLIF($2, ''), $3, $4)");
  conn.prepare("ord_state",
               "SELECT state FROM orders WHERE order_id = $1::uuid");
  conn.prepare("ord_move",
               "UPDATE orders SET state = $3, updated_at = now() "
               "WHERE order_id = $1::uuid AND state = $2");
}

absl::StatusOr<std::optional<OrderRecord>> OrderStore::FindByRequest(
    const std::string& user_id, const std::string& request_id) {
  return pool_.Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::optional<OrderRecord>> {
        return One(tx, tx.exec_prepared("ord_by_request", user_id, request_id));
      });
}

absl::StatusOr<std::optional<OrderRecord>> OrderStore::Get(
    const std::string& order_id) {
  return pool_.Transact(
      [&](pqxx::work& tx) -> absl::StatusOr<std::optional<OrderRecord>> {
        return One(tx, tx.exec_prepared("ord_get", order_id));
      });
}

absl::Status OrderStore::TryCreate(const OrderRecord& order,
                                   const std::string& reason) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto outcome =
        BarrierTry(tx, order.order_id, kOrderBranch, [&](pqxx::work& tx) {
          tx.exec_prepared("ord_insert", order.order_id, order.user_id,
                           order.request_id, StateName(order.state),
                           order.pay_now, order.total_minor, order.currency,
                           order.expires_at_us);
          int line_no = 0;
          for (const auto& item : order.items) {
            tx.exec_prepared("ord_item_insert", order.order_id, ++line_no,
                             item.kind, item.sku_id, item.event_id,
                             item.seat_id, item.quantity,
                             item.unit_price_minor);
          }
          tx.exec_prepared("ord_log", order.order_id, "",
                           StateName(order.state), reason);
          return absl::OkStatus();
        });
    return outcome.status();
  });
}

absl::StatusOr<PhaseResult> OrderStore::Confirm(const std::string& gid,
                                                const std::string& branch_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<PhaseResult> {
    PhaseResult result;
    auto outcome = BarrierConfirm(tx, gid, branch_id, [&](pqxx::work& tx) {
      return MoveOpenOrder(tx, gid, OrderState::kPaid, "confirmed",
                           /*missing_ok=*/false, result);
    });
    if (!outcome.ok()) return outcome.status();
    if (*outcome == BarrierOutcome::kDuplicate) result.note = "repeat";
    return result;
  });
}

absl::StatusOr<PhaseResult> OrderStore::Cancel(const std::string& gid,
                                               const std::string& branch_id,
                                               const CancelTarget& target) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<PhaseResult> {
    PhaseResult result;
    auto outcome = BarrierCancel(tx, gid, branch_id, [&](pqxx::work& tx) {
      return MoveOpenOrder(tx, gid, target.state, target.reason,
                           /*missing_ok=*/true, result);
    });
    if (!outcome.ok()) return outcome.status();
    if (*outcome == BarrierOutcome::kDuplicate) result.note = "repeat";
    if (*outcome == BarrierOutcome::kEmptyRollback) {
      result.note = "empty rollback";
    }
    return result;
  });
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
