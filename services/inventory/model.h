// Plain data of the inventory service, shared by the gRPC layer, the
// validation and pricing rules and the store, so that none of them depends
// on another's representation (no protobuf below service.cc, no SQL above
// store.cc).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace turnstile::inventory {

// A SKU to create with its initial stock.
struct NewSku {
  std::string sku_id;
  std::string name;
  std::string currency;
  int64_t price_minor = 0;
  int64_t stock = 0;
  int64_t per_user_limit = 0;  // 0 = no limit
  // Stock rows the units are spread over (hot SKUs: buckets.h); 0 means 1.
  int64_t buckets = 1;
};

// A SKU with its stock counters, as stored.
struct SkuRecord {
  std::string sku_id;
  std::string name;
  std::string currency;
  int64_t price_minor = 0;
  int64_t per_user_limit = 0;
  int64_t total = 0;
  int64_t available = 0;
  int64_t locked = 0;
  int64_t sold = 0;
  int64_t buckets = 1;
};

// One page of ListSkus; next_page_token is empty on the last page.
struct SkuPage {
  std::vector<SkuRecord> skus;
  std::string next_page_token;
};

// One requested line of a reservation.
struct StockLine {
  std::string sku_id;
  int64_t quantity = 0;
};

// The Try of an inventory branch.
struct ReserveCommand {
  std::string gid;
  std::string branch_id;
  std::string user_id;
  std::vector<StockLine> items;
  // The transaction deadline (epoch ms), stored on every reservation line
  // for the orphan sweep.
  int64_t deadline_ms = 0;
};

// One reserved line with the unit price it was reserved at.
struct ReservedLine {
  std::string sku_id;
  int64_t quantity = 0;
  int64_t unit_price_minor = 0;
  std::string currency;
};

// The result of a Try: the reserved lines (sku_id order) and their total.
struct Reservation {
  std::vector<ReservedLine> items;
  std::string currency;
  int64_t total_minor = 0;
  bool duplicate = false;  // a repeat of a Try that had already succeeded
};

// How a Try takes units from a stock row (--reservation_strategy). All three
// give the same results; they differ in how concurrent Tries queue.
enum class Strategy {
  // Redis gate first (stock_reserve), then a conditional UPDATE ... WHERE
  // available >= n. The default.
  kGate,
  // Read the row's version, UPDATE ... WHERE version = v, retry the whole
  // local transaction with backoff on a lost race.
  kOptimistic,
  // SELECT ... FOR UPDATE on the row, then UPDATE.
  kPessimistic,
};

// One line of a branch as stored: which bucket row holds its units.
struct BranchLine {
  std::string sku_id;
  std::string user_id;
  int64_t quantity = 0;
  int64_t bucket = 0;
};

// The result of a Confirm or Cancel: whether this call did the work, and the
// branch's lines in their final state (SOLD after a Confirm, RELEASED after a
// Cancel; also for a repeat, so that the gate can be brought in line again;
// empty for an empty rollback).
struct PhaseResult {
  bool applied = false;
  std::vector<BranchLine> lines;
};

// What PostgreSQL knows about the owner ("<gid>:<branch_id>") of an open
// Redis reservation of one SKU, read by the reconciler.
struct OwnerFacts {
  // Reservation line of this SKU: "" (none), LOCKED, SOLD or RELEASED.
  std::string state;
  int64_t quantity = 0;
  std::string user_id;
  bool tried = false;      // barrier row 'try' committed
  bool cancelled = false;  // barrier row 'cancel' committed
  // How long ago PostgreSQL decided (the line's last change, else the
  // latest barrier row); 0 if it knows nothing.
  int64_t decided_ms_ago = 0;
};

// A reservation LOCKED in PostgreSQL, as the gate should hold it.
struct LockedLine {
  std::string owner;  // "<gid>:<branch_id>"
  std::string user_id;
  int64_t quantity = 0;
};

// PostgreSQL's side of one SKU's gate, read in one snapshot.
struct StockTruth {
  int64_t per_user_limit = 0;
  int64_t available = 0;  // sum over the buckets
  // user_id -> units held or bought (user_purchase, > 0 only).
  std::vector<std::pair<std::string, int64_t>> user_units;
  std::vector<LockedLine> locked;
  // Facts about the owners asked for, by owner.
  std::map<std::string, OwnerFacts> owners;
};

}  // namespace turnstile::inventory
