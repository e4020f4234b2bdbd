#include "services/inventory/validation.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/try_content.h"
#include "services/common/validate.h"
#include "services/inventory/buckets.h"

namespace turnstile::inventory {

absl::Status ValidateSkuId(const std::string& sku_id) {
  return CheckId("sku_id", sku_id);
}

absl::Status ValidateNewSku(const NewSku& sku) {
  for (absl::Status s :
       {ValidateSkuId(sku.sku_id), CheckText("name", sku.name, kMaxNameLen),
        CheckCurrency("price.currency", sku.currency),
        CheckRange("price.minor_units", sku.price_minor, 0, kMaxPriceMinor),
        CheckRange("stock", sku.stock, 0, kMaxStock),
        CheckRange("per_user_limit", sku.per_user_limit, 0, kMaxPerUserLimit),
        CheckRange("buckets", sku.buckets, 0, kMaxBuckets)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ValidatePage(int64_t page_size,
                                 const std::string& page_token) {
  if (page_size != 0) {
    if (auto s = CheckRange("page_size", page_size, 1, kMaxPageSize); !s.ok()) {
      return s;
    }
  }
  // The token is the last sku_id of the previous page.
  if (!page_token.empty()) {
    if (auto s = CheckId("page_token", page_token); !s.ok()) return s;
  }
  return page_size == 0 ? kDefaultPageSize : static_cast<int>(page_size);
}

absl::Status ValidateTxn(const std::string& gid, const std::string& branch_id) {
  if (auto s = CheckUuid("txn.gid", gid); !s.ok()) return s;
  return CheckBranchId("txn.branch_id", branch_id);
}

absl::Status ValidateReserve(const ReserveCommand& command) {
  if (auto s = ValidateTxn(command.gid, command.branch_id); !s.ok()) return s;
  if (auto s = CheckId("user_id", command.user_id); !s.ok()) return s;
  if (command.items.empty() || command.items.size() > kMaxItems) {
    return InvalidArgument(absl::StrCat("items must hold 1..", kMaxItems,
                                        " lines, got ", command.items.size()));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < command.items.size(); ++i) {
    const StockLine& line = command.items[i];
    const std::string field = absl::StrCat("items[", i, "]");
    if (auto s = CheckId(absl::StrCat(field, ".sku_id"), line.sku_id);
        !s.ok()) {
      return s;
    }
    if (auto s = CheckRange(absl::StrCat(field, ".quantity"), line.quantity, 1,
                            kMaxQuantity);
        !s.ok()) {
      return s;
    }
    if (!seen.insert(line.sku_id).second) {
      return InvalidArgument(
          absl::StrCat(field, ".sku_id ", line.sku_id, " appears twice"));
    }
  }
  return absl::OkStatus();
}

std::string TryContentOf(const ReserveCommand& command) {
  TryContent content;
  content.Add("user", command.user_id).Add("items", command.items.size());
  for (const StockLine& line : command.items) {
    content.Add("sku", line.sku_id).Add("quantity", line.quantity);
  }
  return content.str();
}

ReserveCommand SortedBySku(ReserveCommand command) {
  std::sort(command.items.begin(), command.items.end(),
            [](const StockLine& a, const StockLine& b) {
              return a.sku_id < b.sku_id;
            });
  return command;
}

absl::Status ValidateReconcileSku(const std::string& sku_id) {
  return sku_id.empty() ? absl::OkStatus() : ValidateSkuId(sku_id);
}

absl::StatusOr<Strategy> ParseStrategy(const std::string& name) {
  for (Strategy s :
       {Strategy::kGate, Strategy::kOptimistic, Strategy::kPessimistic}) {
    if (name == StrategyName(s)) return s;
  }
  return InvalidArgument(
      absl::StrCat("reservation strategy must be gate, optimistic or "
                   "pessimistic, got \"",
                   name, "\""));
}

const char* StrategyName(Strategy strategy) {
  switch (strategy) {
    case Strategy::kGate:
      return "gate";
    case Strategy::kOptimistic:
      return "optimistic";
    case Strategy::kPessimistic:
      return "pessimistic";
  }
  return "gate";
}

}  // namespace turnstile::inventory
