#include "services/inventory/store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/barrier.h"
#include "services/common/overdue_holds.h"
#include "services/common/pg_array.h"
#include "services/common/status.h"
#include "services/common/uuid.h"
#include "services/inventory/buckets.h"
#include "services/inventory/pricing.h"
#include "services/inventory/validation.h"

namespace turnstile::inventory {
namespace {

// Counters are summed over the buckets of a SKU; grouping by the sku primary
// key lets the other sku columns be selected as they are.
constexpr char kSkuSelect[] =
    "SELECT s.sku_id, s.name, s.price_minor, s.currency, s.per_user_limit, "
    "sum(st.total)::bigint, sum(st.available)::bigint, "
    "sum(st.locked)::bigint, sum(st.sold)::bigint, s.buckets "
    "FROM sku s JOIN stock st USING (sku_id) ";

// Reason of a lost optimistic race; never leaves the store.
constexpr char kVersionConflict[] = "VERSION_CONFLICT";

void Prepare(pqxx::connection& conn) {
  PrepareBarrier(conn);
  conn.prepare("inv_sku_insert",
               "INSERT INTO sku (sku_id, name, price_minor, currency, "
               "per_user_limit, buckets) VALUES ($1, $2, $3, $4, $5, $6) "
               "ON CONFLICT (sku_id) DO NOTHING");
  // One row per bucket, bucket i holding the i-th element of $2.
  conn.prepare("inv_stock_insert",
               "INSERT INTO stock (sku_id, bucket, total, available) "
               "SELECT $1, t.ord - 1, t.units, t.units "
               "FROM unnest($2::bigint[]) WITH ORDINALITY AS t(units, ord)");
  conn.prepare("inv_sku_get", absl::StrCat(kSkuSelect,
                                           "WHERE s.sku_id = $1 "
                                           "GROUP BY s.sku_id"));
  conn.prepare("inv_sku_list",
               absl::StrCat(kSkuSelect,
                            "WHERE s.sku_id > $1 GROUP BY s.sku_id "
                            "ORDER BY s.sku_id LIMIT $2"));
  conn.prepare("inv_sku_ids",
               "SELECT sku_id FROM sku WHERE sku_id > $1 ORDER BY sku_id "
               "LIMIT $2");
  // Try.
  conn.prepare("inv_try_gate",
               "SELECT outcome, sku_id, quantity, unit_price_minor, currency "
               "FROM inv_try_gate($1::uuid, $2, $3, $4::text[], $5::bigint[], "
               "$6, to_timestamp($7::bigint / 1000.0), $8)");
  // One row per branch: a reservation has a line per SKU.
  conn.prepare("inv_overdue",
               "SELECT gid::text, branch_id FROM reservation "
               "WHERE state = 'LOCKED' AND deadline IS NOT NULL "
               "AND deadline < now() - make_interval(secs => $1::bigint) "
               "GROUP BY gid, branch_id ORDER BY min(deadline) LIMIT $2");
  conn.prepare("inv_settle",
               "SELECT outcome, sku_id, user_id, quantity, bucket "
               "FROM inv_settle($1::uuid, $2, $3)");
  conn.prepare("inv_sku_prices",
               "SELECT sku_id, price_minor, currency, per_user_limit, buckets "
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
  // The other buckets that hold enough right now, in fallback order after
  // bucket $3 of $4 (a plain read: the update above re-checks).
  conn.prepare("inv_stock_candidates",
               "SELECT bucket FROM stock WHERE sku_id = $1 AND bucket <> $3 "
               "AND available >= $2::bigint "
               "ORDER BY (bucket - $3::int + $4::int) % $4::int");
  // pessimistic: lock the row, decide, update.
  conn.prepare("inv_stock_lock_row",
               "SELECT available FROM stock WHERE sku_id = $1 AND bucket = $2 "
               "FOR UPDATE");
  conn.prepare("inv_stock_take_locked",
               "UPDATE stock SET available = available - $3::bigint, "
               "locked = locked + $3::bigint, version = version + 1, "
               "updated_at = now() WHERE sku_id = $1 AND bucket = $2");
  // optimistic: read every bucket's version in fallback order, then
  // compare-and-set one.
  conn.prepare("inv_stock_versions",
               "SELECT bucket, available, version FROM stock "
               "WHERE sku_id = $1 ORDER BY (bucket - $2::int + $3::int) % "
               "$3::int");
  conn.prepare("inv_stock_take_cas",
               "UPDATE stock SET available = available - $3::bigint, "
               "locked = locked + $3::bigint, version = version + 1, "
               "updated_at = now() "
               "WHERE sku_id = $1 AND bucket = $2 AND version = $4::bigint");
  conn.prepare("inv_reservation_insert",
               "INSERT INTO reservation (gid, branch_id, sku_id, user_id, "
               "quantity, unit_price_minor, currency, state, bucket, deadline) "
               "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, 'LOCKED', $8, "
               "to_timestamp($9::bigint / 1000.0))");
  conn.prepare("inv_reservation_get",
               "SELECT sku_id, quantity, unit_price_minor, currency "
               "FROM reservation WHERE gid = $1::uuid AND branch_id = $2 "
               "ORDER BY sku_id");
  // Lines of a branch in one state (a repeated Confirm or Cancel).
  // Reconciler (one repeatable-read snapshot).
  conn.prepare(
      "inv_truth_sku",
      "SELECT s.per_user_limit, coalesce(sum(st.available), 0)::bigint "
      "FROM sku s LEFT JOIN stock st USING (sku_id) "
      "WHERE s.sku_id = $1 GROUP BY s.sku_id");
  conn.prepare("inv_truth_users",
               "SELECT user_id, quantity FROM user_purchase "
               "WHERE sku_id = $1 AND quantity > 0");
  conn.prepare(
      "inv_truth_locked",
      "SELECT gid::text, branch_id, user_id, quantity FROM reservation "
      "WHERE sku_id = $1 AND state = 'LOCKED'");
  conn.prepare(
      "inv_truth_owners",
      "SELECT o.gid, o.branch_id, coalesce(r.state, ''), "
      "coalesce(r.quantity, 0), coalesce(r.user_id, ''), "
      "EXISTS (SELECT 1 FROM tcc_barrier b WHERE b.gid = o.gid::uuid AND "
      "b.branch_id = o.branch_id AND b.phase = 'try'), "
      "EXISTS (SELECT 1 FROM tcc_barrier b WHERE b.gid = o.gid::uuid AND "
      "b.branch_id = o.branch_id AND b.phase = 'cancel'), "
      "coalesce((extract(epoch FROM now() - coalesce(r.updated_at, "
      "(SELECT max(b.created_at) FROM tcc_barrier b WHERE "
      "b.gid = o.gid::uuid AND b.branch_id = o.branch_id))) * 1000)::bigint, "
      "0) "
      "FROM unnest($2::text[], $3::text[]) AS o(gid, branch_id) "
      "LEFT JOIN reservation r ON r.gid = o.gid::uuid AND "
      "r.branch_id = o.branch_id AND r.sku_id = $1");
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
  sku.buckets = row[9].as<int64_t>();
  return sku;
}

// Lines returned by a query of sku_id, user_id, quantity, bucket, in
// (sku_id, bucket) order (the lock order of every transaction here).
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

// Takes `quantity` units of `sku_id` from one of its `buckets` rows, starting
// at `first`, the way `strategy` prescribes. Returns the bucket, -1 if no
// bucket holds enough, or ABORTED/VERSION_CONFLICT (optimistic, lost race).
absl::StatusOr<int64_t> TakeUnits(pqxx::work& tx, Strategy strategy,
                                  const std::string& sku_id, int64_t quantity,
                                  int64_t buckets, int64_t first) {
  switch (strategy) {
    case Strategy::kGate:
      // The gate's Try is one statement (ReserveInOneStatement).
      return Error(absl::StatusCode::kInternal, "WRONG_STRATEGY",
                   "the gate strategy does not take units here");
    case Strategy::kOptimistic: {
      for (const auto& row :
           tx.exec_prepared("inv_stock_versions", sku_id, first, buckets)) {
        const int64_t bucket = row[0].as<int64_t>();
        if (row[1].as<int64_t>() < quantity) continue;
        if (tx.exec_prepared("inv_stock_take_cas", sku_id, bucket, quantity,
                             row[2].as<int64_t>())
                .affected_rows() == 1) {
          return bucket;
        }
        return Error(absl::StatusCode::kAborted, kVersionConflict,
                     absl::StrCat("stock row ", sku_id, "#", bucket,
                                  " changed since it was read"));
      }
      return -1;
    }
    case Strategy::kPessimistic: {
      auto take = [&](int64_t bucket) {
        const pqxx::result row =
            tx.exec_prepared("inv_stock_lock_row", sku_id, bucket);
        if (row.empty() || row[0][0].as<int64_t>() < quantity) return false;
        tx.exec_prepared("inv_stock_take_locked", sku_id, bucket, quantity);
        return true;
      };
      if (buckets <= 1) return take(first) ? first : -1;
      // A row locked and found short must not stay locked while the next
      // bucket is tried (two Tries starting at different buckets would
      // deadlock): rolling back to a savepoint releases the row locks taken
      // after it. (Plain SQL: pqxx 6's subtransaction does not open its
      // savepoint before exec_prepared.)
      std::vector<int64_t> order = {first};
      for (const auto& row : tx.exec_prepared("inv_stock_candidates", sku_id,
                                              quantity, first, buckets)) {
        order.push_back(row[0].as<int64_t>());
      }
      tx.exec0("SAVEPOINT stock_bucket");
      for (const int64_t bucket : order) {
        if (take(bucket)) {
          tx.exec0("RELEASE SAVEPOINT stock_bucket");
          return bucket;
        }
        tx.exec0("ROLLBACK TO SAVEPOINT stock_bucket");
      }
      tx.exec0("RELEASE SAVEPOINT stock_bucket");
      return -1;
    }
  }
  return -1;
}

// The business change of a Try; `out` receives the reserved lines.
absl::Status ReserveLines(pqxx::work& tx, const ReserveCommand& command,
                          Strategy strategy, Reservation* out) {
  std::vector<std::string> ids;
  for (const StockLine& line : command.items) ids.push_back(line.sku_id);
  struct Price {
    int64_t minor;
    std::string currency;
    int64_t limit;
    int64_t buckets;
  };
  std::map<std::string, Price> prices;
  for (const auto& row : tx.exec_prepared("inv_sku_prices", TextArray(ids))) {
    prices[row[0].as<std::string>()] = {
        row[1].as<int64_t>(), row[2].as<std::string>(), row[3].as<int64_t>(),
        row[4].as<int64_t>()};
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
  // one stock row, the same order Cancel uses: no deadlocks.
  for (const StockLine& line : command.items) {
    const Price& price = prices[line.sku_id];
    const pqxx::result counted =
        price.limit > 0
            ? tx.exec_prepared("inv_purchase_add_limited", command.user_id,
                               line.sku_id, line.quantity, price.limit)
            : tx.exec_prepared("inv_purchase_add", command.user_id, line.sku_id,
                               line.quantity);
    if (counted.empty()) {
      return WithMetadata(
          Refused("USER_LIMIT",
                  absl::StrCat("user ", command.user_id, " may hold at most ",
                               price.limit, " units of ", line.sku_id)),
          {{"skuId", line.sku_id}, {"limit", absl::StrCat(price.limit)}});
    }
    auto bucket =
        TakeUnits(tx, strategy, line.sku_id, line.quantity, price.buckets,
                  PickBucket(command.gid, price.buckets));
    if (!bucket.ok()) return bucket.status();
    if (*bucket < 0) {
      return WithMetadata(
          Refused("SOLD_OUT",
                  absl::StrCat(
                      "fewer than ", line.quantity, " units of ", line.sku_id,
                      " are available",
                      price.buckets > 1 ? " in any one of its buckets" : "")),
          {{"skuId", line.sku_id}, {"quantity", absl::StrCat(line.quantity)}});
    }
    tx.exec_prepared("inv_reservation_insert", command.gid, command.branch_id,
                     line.sku_id, command.user_id, line.quantity, price.minor,
                     price.currency, *bucket, command.deadline_ms);
  }
  return absl::OkStatus();
}

}  // namespace

InventoryStore::InventoryStore(std::string conninfo, int pool_size,
                               StoreOptions options)
    : pool_(std::move(conninfo), pool_size, Prepare),
      options_(std::move(options)) {}

absl::StatusOr<SkuRecord> InventoryStore::CreateSku(const NewSku& sku) {
  const int64_t buckets = std::max<int64_t>(1, sku.buckets);
  return pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<SkuRecord> {
    if (tx.exec_prepared("inv_sku_insert", sku.sku_id, sku.name,
                         sku.price_minor, sku.currency, sku.per_user_limit,
                         buckets)
            .affected_rows() != 1) {
      return Error(absl::StatusCode::kAlreadyExists, "SKU_EXISTS",
                   absl::StrCat("sku ", sku.sku_id, " already exists"));
    }
    tx.exec_prepared("inv_stock_insert", sku.sku_id,
                     BigintArray(SplitStock(sku.stock, buckets)));
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

absl::StatusOr<std::vector<std::string>> InventoryStore::ListSkuIds(
    const std::string& after, int limit) {
  return FirstColumn(pool_, "inv_sku_ids", after, limit);
}

namespace {

// The gate strategy's Try in one statement (sql/inventory/0006).
absl::StatusOr<Reservation> ReserveInOneStatement(
    PgPool& pool, const ReserveCommand& command) {
  std::vector<std::string> skus;
  std::vector<int64_t> quantities;
  for (const StockLine& line : command.items) {
    skus.push_back(line.sku_id);
    quantities.push_back(line.quantity);
  }
  return pool.Autocommit(
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<Reservation> {
        const pqxx::result rows = tx.exec_prepared(
            "inv_try_gate", command.gid, command.branch_id, command.user_id,
            TextArray(skus), BigintArray(quantities),
            std::to_string(BucketHash(command.gid)), command.deadline_ms,
            TryContentOf(command));
        if (rows.empty()) {
          return Error(absl::StatusCode::kInternal, "BAD_TRY_ANSWER",
                       "inv_try_gate answered no row");
        }
        auto outcome = BarrierOutcomeFromWord(rows[0][0].as<std::string>());
        if (!outcome.ok()) return outcome.status();
        Reservation reservation;
        reservation.duplicate = *outcome == BarrierOutcome::kDuplicate;
        for (const auto& row : rows) {
          reservation.items.push_back(
              {row[1].as<std::string>(), row[2].as<int64_t>(),
               row[3].as<int64_t>(), row[4].as<std::string>()});
        }
        auto total = PriceLines(reservation.items);
        if (!total.ok()) return total.status();
        reservation.currency = total->currency;
        reservation.total_minor = total->minor;
        return reservation;
      });
}

}  // namespace

absl::StatusOr<Reservation> InventoryStore::Reserve(
    const ReserveCommand& command) {
  const Strategy strategy = options_.strategy;
  if (strategy == Strategy::kGate) {
    return ReserveInOneStatement(pool_, command);
  }
  for (int attempt = 1;; ++attempt) {
    auto result =
        pool_.Transact([&](pqxx::work& tx) -> absl::StatusOr<Reservation> {
          Reservation reservation;
          auto outcome = BarrierTry(tx, command.gid, command.branch_id,
                                    TryContentOf(command), [&](pqxx::work&) {
                                      return ReserveLines(tx, command, strategy,
                                                          &reservation);
                                    });
          if (!outcome.ok()) return outcome.status();
          if (*outcome == BarrierOutcome::kDuplicate) {
            auto stored = StoredReservation(tx, command.gid, command.branch_id);
            if (stored.ok()) stored->duplicate = true;
            return stored;
          }
          return reservation;
        });
    // Only the optimistic strategy loses races; it starts over from a fresh
    // read after a randomized, growing pause, the local transaction (barrier
    // row included) rolled back.
    if (result.ok() || ReasonOf(result.status()) != kVersionConflict) {
      return result;
    }
    if (attempt >= options_.optimistic_attempts) {
      return Error(absl::StatusCode::kUnavailable, "CONTENDED",
                   absl::StrCat("stock changed under each of ", attempt,
                                " optimistic attempts; retry"));
    }
    std::this_thread::sleep_for(
        BackoffDelay(options_.optimistic_backoff, attempt));
  }
}

namespace {

// Confirm or Cancel of a branch in one statement (sql/inventory/0005).
absl::StatusOr<PhaseResult> Settle(PgPool& pool, const std::string& gid,
                                   const std::string& branch_id,
                                   const char* phase) {
  return pool.Autocommit(
      [&](pqxx::nontransaction& tx) -> absl::StatusOr<PhaseResult> {
        const pqxx::result rows =
            tx.exec_prepared("inv_settle", gid, branch_id, phase);
        if (rows.empty()) {
          return Error(absl::StatusCode::kInternal, "BAD_SETTLE_ANSWER",
                       "inv_settle answered no row");
        }
        auto outcome = BarrierOutcomeFromWord(rows[0][0].as<std::string>());
        if (!outcome.ok()) return outcome.status();
        PhaseResult result;
        for (const auto& row : rows) {
          if (row[1].is_null()) continue;
          result.lines.push_back({row[1].as<std::string>(),
                                  row[2].as<std::string>(),
                                  row[3].as<int64_t>(), row[4].as<int64_t>()});
        }
        result.applied =
            *outcome == BarrierOutcome::kExecuted && !result.lines.empty();
        if (*outcome == BarrierOutcome::kExecuted && result.lines.empty()) {
          spdlog::warn("event=cancel_nothing_locked gid={} branch={}", gid,
                       branch_id);
        }
        return result;
      });
}

}  // namespace

absl::StatusOr<PhaseResult> InventoryStore::Confirm(
    const std::string& gid, const std::string& branch_id) {
  return Settle(pool_, gid, branch_id, "confirm");
}

absl::StatusOr<PhaseResult> InventoryStore::Cancel(
    const std::string& gid, const std::string& branch_id) {
  return Settle(pool_, gid, branch_id, "cancel");
}

absl::StatusOr<std::vector<OverdueHold>> InventoryStore::ListOverdue(
    std::chrono::seconds margin, int limit) {
  return ListOverdueHolds(pool_, "inv_overdue", margin, limit);
}

absl::StatusOr<StockTruth> InventoryStore::ReadStockTruth(
    const std::string& sku_id, const std::vector<std::string>& owners) {
  auto lease = pool_.Acquire();
  if (!lease.ok()) return lease.status();
  try {
    // One snapshot for every statement: a Try committing between two reads
    // must not look like a barrier row without its reservation lines.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(**lease);
    StockTruth truth;
    const pqxx::result sku = tx.exec_prepared("inv_truth_sku", sku_id);
    if (sku.empty()) {
      return Error(absl::StatusCode::kNotFound, "SKU_NOT_FOUND",
                   absl::StrCat("unknown sku_id ", sku_id));
    }
    truth.per_user_limit = sku[0][0].as<int64_t>();
    truth.available = sku[0][1].as<int64_t>();
    for (const auto& row : tx.exec_prepared("inv_truth_users", sku_id)) {
      truth.user_units.emplace_back(row[0].as<std::string>(),
                                    row[1].as<int64_t>());
    }
    for (const auto& row : tx.exec_prepared("inv_truth_locked", sku_id)) {
      truth.locked.push_back({absl::StrCat(row[0].c_str(), ":", row[1].c_str()),
                              row[2].as<std::string>(), row[3].as<int64_t>()});
    }
    // Owners come from Redis: only well-formed ones are looked up (ids are
    // then safe in an array literal), the rest are unknown to PostgreSQL.
    std::vector<std::string> gids, branches;
    for (const std::string& owner : owners) {
      const size_t colon = owner.find(':');
      truth.owners[owner];
      if (colon == std::string::npos) continue;
      const std::string gid = owner.substr(0, colon);
      const std::string branch = owner.substr(colon + 1);
      const bool branch_ok =
          !branch.empty() && branch.size() <= 64 &&
          std::all_of(branch.begin(), branch.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-';
          });
      if (!IsUuid(gid) || !branch_ok) continue;
      gids.push_back(gid);
      branches.push_back(branch);
    }
    if (!gids.empty()) {
      for (const auto& row :
           tx.exec_prepared("inv_truth_owners", sku_id, TextArray(gids),
                            TextArray(branches))) {
        OwnerFacts& facts =
            truth.owners[absl::StrCat(row[0].c_str(), ":", row[1].c_str())];
        facts.state = row[2].as<std::string>();
        facts.quantity = row[3].as<int64_t>();
        facts.user_id = row[4].as<std::string>();
        facts.tried = row[5].as<bool>();
        facts.cancelled = row[6].as<bool>();
        facts.decided_ms_ago = row[7].as<int64_t>();
      }
    }
    tx.commit();
    return truth;
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
}

}  // namespace turnstile::inventory
