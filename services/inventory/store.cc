#include "services/inventory/store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "services/common/barrier.h"
#include "services/common/status.h"
#include "services/inventory/pricing.h"

namespace turnstile::inventory {
namespace {

constexpr char kSkuColumns[] =
    "s.sku_id, s.name, s.price_minor, s.currency, s.per_user_limit, "
    "st.total, st.available, st.locked, st.sold";

void Prepare(pqxx::connection& conn) {
  PrepareBarrier(conn);
  conn.prepare("inv_sku_insert",
               "INSERT INTO sku (sku_id, name, price_minor, currency, "
               "per_user_limit) VALUES ($1, $2, $3, $4, $5) "
               "ON CONFLICT (sku_id) DO NOTHING");
  conn.prepare("inv_stock_insert",
               "INSERT INTO stock (sku_id, total, available) "
               "VALUES ($1, $2, $2)");
  conn.prepare("inv_sku_get",
               absl::StrCat("SELECT ", kSkuColumns,
                            " FROM sku s JOIN stock st USING (sku_id) "
                            "WHERE s.sku_id = $1"));
  conn.prepare("inv_sku_list",
               absl::StrCat("SELECT ", kSkuColumns,
                            " FROM sku s JOIN stock st USING (sku_id) "
                            "WHERE s.sku_id > $1 ORDER BY s.sku_id LIMIT $2"));
  // Try.
  conn.prepare("inv_sku_prices",
               "SELECT sku_id, price_minor, currency, per_user_limit "
               "FROM sku WHERE sku_id = ANY($1::text[])");
  // Counts the units against the limit only if they fit: the SELECT ...
  // WHERE covers a first purchase, the DO UPDATE ... WHERE a later one; no
  // row returned means the limit would be exceeded.
  conn.prepare("inv_purchase_add_limited",
               "INSERT INTO user_purchase (user_id, sku_id, quantity) "
               "SELECT $1, $2, $3::bigint WHERE $3::bigint <= $4::bigint "
               "ON CONFLICT (user_id, sku_id) DO UPDATE "
               "SET quantity = user_purchase.quantity + EXCLUDED.quantity "
               "WHERE user_purchase.quantity + EXCLUDED.quantity <= $4::bigint "
               "RETURNING quantity");
  conn.prepare("inv_purchase_add",
               "INSERT INTO user_purchase (user_id, sku_id, quantity) "
               "VALUES ($1, $2, $3::bigint) "
               "ON CONFLICT (user_id, sku_id) DO UPDATE "
               "SET quantity = user_purchase.quantity + EXCLUDED.quantity "
               "RETURNING quantity");
  conn.prepare("inv_stock_lock",
               "UPDATE stock SET available = available - $2::bigint, "
               "locked = locked + $2::bigint, version = version + 1, "
               "updated_at = now() "
               "WHERE sku_id = $1 AND available >= $2::bigint");
  conn.prepare("inv_reservation_insert",
               "INSERT INTO reservation (gid, branch_id, sku_id, user_id, "
               "quantity, unit_price_minor, currency, state) "
               "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, 'LOCKED')");
  conn.prepare("inv_reservation_get",
               "SELECT sku_id, quantity, unit_price_minor, currency "
               "FROM reservation WHERE gid = $1::uuid AND branch_id = $2 "
               "ORDER BY sku_id");
  // Confirm.
  conn.prepare("inv_reservation_sell",
               "UPDATE reservation SET state = 'SOLD', updated_at = now() "
               "WHERE gid = $1::uuid AND branch_id = $2 AND state = 'LOCKED' "
               "RETURNING sku_id, user_id, quantity");
  conn.prepare("inv_stock_sell",
               "UPDATE stock SET locked = locked - $2::bigint, "
               "sold = sold + $2::bigint, version = version + 1, "
               "updated_at = now() "
               "WHERE sku_id = $1 AND locked >= $2::bigint");
  conn.prepare("inv_reservation_states",
               "SELECT state, count(*) FROM reservation "
               "WHERE gid = $1::uuid AND branch_id = $2 GROUP BY state");
  // Cancel.
  conn.prepare("inv_reservation_release",
               "UPDATE reservation SET state = 'RELEASED', updated_at = now() "
               "WHERE gid = $1::uuid AND branch_id = $2 AND state = 'LOCKED' "
               "RETURNING sku_id, user_id, quantity");
  conn.prepare("inv_purchase_sub",
               "UPDATE user_purchase SET quantity = quantity - $3::bigint "
               "WHERE user_id = $1 AND sku_id = $2 AND quantity >= $3::bigint");
  conn.prepare("inv_stock_release",
               "UPDATE stock SET locked = locked - $2::bigint, "
               "available = available + $2::bigint, version = version + 1, "
               "updated_at = now() "
               "WHERE sku_id = $1 AND locked >= $2::bigint");
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

SkuRecord ReadSku(const pqxx::row& row) {
  SkuRecord sku;
  sku.sku_id = row[0].as<std::string>();
  sku.name = row[1].as<std::string>();
  sku.price_minor = row[2].as<int64_t>();
  sku.currency = row[3].as<std::string>();
  sku.per_user_limit = row[4].as<int64_t>();
  sku.total = row[5].as<int64_t>();
  sku.available = row[6].as<int64_t>();
  sku.locked = row[7].as<int64_t>();
  sku.sold = row[8].as<int64_t>();
  return sku;
}

// A reservation line read back from the database.
struct HeldLine {
  std::string sku_id;
  std::string user_id;
  int64_t quantity;
};

// Lines returned by an UPDATE ... RETURNING sku_id, user_id, quantity, in
// sku_id order (the lock order of every transaction here).
std::vector<HeldLine> SortedLines(const pqxx::result& result) {
  std::vector<HeldLine> lines;
  for (const auto& row : result) {
    lines.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                     row[2].as<int64_t>()});
  }
  std::sort(
      lines.begin(), lines.end(),
      [](const HeldLine& a, const HeldLine& b) { return a.sku_id < b.sku_id; });
  return lines;
}

absl::StatusOr<Reservation> StoredReservation(pqxx::work& tx,
                                              const std::string& gid,
                                              const std::string& branch_id) {
  Reservation reservation;
  for (const auto& row :
       tx.exec_prepared("inv_reservation_get", gid, branch_id)) {
    reservation.items.push_back({row[0].as<std::string>(), row[1].as<int64_t>(),
                                 row[2].as<int64_t>(),
                                 row[3].as<std::string>()});
  }
  auto total = PriceLines(reservation.items);
  if (!total.ok()) return total.status();
  reservation.currency = total->currency;
  reservation.total_minor = total->minor;
  return reservation;
}

// The business change of a Try; `out` receives the reserved lines.
absl::Status ReserveLines(pqxx::work& tx, const ReserveCommand& command,
                          Reservation* out) {
  std::vector<std::string> ids;
  for (const StockLine& line : command.items) ids.push_back(line.sku_id);
  struct Price {
    int64_t minor;
    std::string currency;
    int64_t limit;
  };
  std::map<std::string, Price> prices;
  for (const auto& row : tx.exec_prepared("inv_sku_prices", TextArray(ids))) {
    prices[row[0].as<std::string>()] = {
        row[1].as<int64_t>(), row[2].as<std::string>(), row[3].as<int64_t>()};
  }
  // Everything that can be refused without touching a row is refused first.
  for (const StockLine& line : command.items) {
    const auto it = prices.find(line.sku_id);
    if (it == prices.end()) {
      return Error(absl::StatusCode::kNotFound, "SKU_NOT_FOUND",
                   absl::StrCat("unknown sku_id ", line.sku_id));
    }
    out->items.push_back(
        {line.sku_id, line.quantity, it->second.minor, it->second.currency});
  }
  auto total = PriceLines(out->items);
  if (!total.ok()) return total.status();
  out->currency = total->currency;
  out->total_minor = total->minor;

  // Rows are touched in sku_id order, per SKU first the user's counter then
  // the stock row, the same order Cancel uses: no deadlocks.
  for (const StockLine& line : command.items) {
    const Price& price = prices[line.sku_id];
    const pqxx::result counted =
        price.limit > 0
            ? tx.exec_prepared("inv_purchase_add_limited", command.user_id,
                               line.sku_id, line.quantity, price.limit)
            : tx.exec_prepared("inv_purchase_add", command.user_id, line.sku_id,
                               line.quantity);
    if (counted.empty()) {
      return Refused(
          "USER_LIMIT",
          absl::StrCat("user ", command.user_id, " may hold at most ",
                       price.limit, " units of ", line.sku_id));
    }
    if (tx.exec_prepared("inv_stock_lock", line.sku_id, line.quantity)
            .affected_rows() != 1) {
      return Refused("SOLD_OUT",
                     absl::StrCat("fewer than ", line.quantity, " units of ",
                                  line.sku_id, " are available"));
    }
    tx.exec_prepared("inv_reservation_insert", command.gid, command.branch_id,
                     line.sku_id, command.user_id, line.quantity, price.minor,
                     price.currency);
  }
  return absl::OkStatus();
}

}  // namespace

InventoryStore::InventoryStore(std::string conninfo, int pool_size)
    : pool_(std::move(conninfo), pool_size, Prepare) {}

absl::StatusOr<SkuRecord> InventoryStore::CreateSku(const NewSku& sku) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<SkuRecord> {
    if (tx.exec_prepared("inv_sku_insert", sku.sku_id, sku.name,
                         sku.price_minor, sku.currency, sku.per_user_limit)
            .affected_rows() != 1) {
      return Error(absl::StatusCode::kAlreadyExists, "SKU_EXISTS",
                   absl::StrCat("sku ", sku.sku_id, " already exists"));
    }
    tx.exec_prepared("inv_stock_insert", sku.sku_id, sku.stock);
    return ReadSku(tx.exec_prepared("inv_sku_get", sku.sku_id).at(0));
  });
}

absl::StatusOr<SkuRecord> InventoryStore::GetSku(const std::string& sku_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<SkuRecord> {
    const pqxx::result result = tx.exec_prepared("inv_sku_get", sku_id);
    if (result.empty()) {
      return Error(absl::StatusCode::kNotFound, "SKU_NOT_FOUND",
                   absl::StrCat("unknown sku_id ", sku_id));
    }
    return ReadSku(result[0]);
  });
}

absl::StatusOr<SkuPage> InventoryStore::ListSkus(int page_size,
                                                 const std::string& after) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<SkuPage> {
    // One row more than asked tells whether another page exists.
    const pqxx::result result =
        tx.exec_prepared("inv_sku_list", after, page_size + 1);
    SkuPage page;
    for (const auto& row : result) {
      if (static_cast<int>(page.skus.size()) == page_size) {
        page.next_page_token = page.skus.back().sku_id;
        break;
      }
      page.skus.push_back(ReadSku(row));
    }
    return page;
  });
}

absl::StatusOr<Reservation> InventoryStore::Reserve(
    const ReserveCommand& command) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Reservation> {
    Reservation reservation;
    auto outcome = BarrierTry(
        tx, command.gid, command.branch_id,
        [&](pqxx::work&) { return ReserveLines(tx, command, &reservation); });
    if (!outcome.ok()) return outcome.status();
    if (*outcome == BarrierOutcome::kDuplicate) {
      auto stored = StoredReservation(tx, command.gid, command.branch_id);
      if (stored.ok()) stored->duplicate = true;
      return stored;
    }
    return reservation;
  });
}

absl::StatusOr<bool> InventoryStore::Confirm(const std::string& gid,
                                             const std::string& branch_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<bool> {
    bool applied = false;
    auto outcome = BarrierConfirm(tx, gid, branch_id, [&](pqxx::work&) {
      const auto lines =
          SortedLines(tx.exec_prepared("inv_reservation_sell", gid, branch_id));
      if (lines.empty()) {
        // A Try that succeeded always leaves LOCKED lines; confirming
        // nothing (no Try, or Cancel first) would hide a coordinator fault.
        std::string states;
        for (const auto& row :
             tx.exec_prepared("inv_reservation_states", gid, branch_id)) {
          absl::StrAppend(&states, states.empty() ? "" : ",", row[0].c_str(),
                          "=", row[1].c_str());
        }
        return Error(absl::StatusCode::kFailedPrecondition, "BRANCH_NOT_TRIED",
                     absl::StrCat("no locked stock to confirm for ", gid, "/",
                                  branch_id, " (reservations: ",
                                  states.empty() ? "none" : states, ")"));
      }
      for (const HeldLine& line : lines) {
        if (tx.exec_prepared("inv_stock_sell", line.sku_id, line.quantity)
                .affected_rows() != 1) {
          return Error(absl::StatusCode::kInternal, "STOCK_INCONSISTENT",
                       absl::StrCat("stock of ", line.sku_id,
                                    " has fewer locked units than reserved"));
        }
      }
      applied = true;
      return absl::OkStatus();
    });
    if (!outcome.ok()) return outcome.status();
    return applied;
  });
}

absl::StatusOr<bool> InventoryStore::Cancel(const std::string& gid,
                                            const std::string& branch_id) {
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<bool> {
    bool applied = false;
    auto outcome = BarrierCancel(tx, gid, branch_id, [&](pqxx::work&) {
      const auto lines = SortedLines(
          tx.exec_prepared("inv_reservation_release", gid, branch_id));
      // Same order as a Try: per SKU the user's counter, then the stock.
      for (const HeldLine& line : lines) {
        if (tx.exec_prepared("inv_purchase_sub", line.user_id, line.sku_id,
                             line.quantity)
                    .affected_rows() != 1 ||
            tx.exec_prepared("inv_stock_release", line.sku_id, line.quantity)
                    .affected_rows() != 1) {
          return Error(absl::StatusCode::kInternal, "STOCK_INCONSISTENT",
                       absl::StrCat("counters of ", line.sku_id,
                                    " hold fewer units than reserved"));
        }
      }
      if (lines.empty()) {
        spdlog::warn("event=cancel_nothing_locked gid={} branch={}", gid,
                     branch_id);
      }
      applied = !lines.empty();
      return absl::OkStatus();
    });
    if (!outcome.ok()) return outcome.status();
    return applied;
  });
}

}  // namespace turnstile::inventory
