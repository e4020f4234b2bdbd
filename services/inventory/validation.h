// Input rules of the inventory API (DESIGN.md §6): every request is checked
// here, at the edge, before anything touches the database. Pure functions so
// that unit tests can cover every limit without a server.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/inventory/model.h"

namespace turnstile::inventory {

inline constexpr int64_t kMaxPriceMinor = 1'000'000'000'000;  // 10^12
inline constexpr int64_t kMaxStock = 1'000'000'000;           // 10^9
inline constexpr int64_t kMaxPerUserLimit = 1'000'000;        // 10^6
inline constexpr int64_t kMaxQuantity = 1'000'000;            // 10^6
inline constexpr size_t kMaxItems = 50;
inline constexpr size_t kMaxNameLen = 200;
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

// Every field of a new SKU; buckets 0..kMaxBuckets (0 means 1).
absl::Status ValidateNewSku(const NewSku& sku);

// A SKU id as used by GetSku and in reservation lines.
absl::Status ValidateSkuId(const std::string& sku_id);

// Returns the effective page size (0 means the default).
absl::StatusOr<int> ValidatePage(int64_t page_size,
                                 const std::string& page_token);

// gid (UUID) and branch_id of a Try, Confirm or Cancel.
absl::Status ValidateTxn(const std::string& gid, const std::string& branch_id);

// txn, user and 1..kMaxItems distinct SKUs of 1..kMaxQuantity units.
absl::Status ValidateReserve(const ReserveCommand& command);

// The canonical content of a Try (services/common/try_content.h): user and
// the items in sku_id order (as SortedBySku leaves them).
std::string TryContentOf(const ReserveCommand& command);

// The command with its items in sku_id order: every transaction touches rows
// in this order, so concurrent reservations never deadlock.
ReserveCommand SortedBySku(ReserveCommand command);

// The SKU of a Reconcile request: empty (all SKUs) or a valid id.
absl::Status ValidateReconcileSku(const std::string& sku_id);

// --reservation_strategy: "gate", "optimistic" or "pessimistic".
absl::StatusOr<Strategy> ParseStrategy(const std::string& name);
const char* StrategyName(Strategy strategy);

}  // namespace turnstile::inventory
