// Totals of a reservation: one currency for the whole order and no integer
// overflow (10^6 units at 10^12 each, 50 lines, exceeds int64).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/inventory/model.h"

namespace turnstile::inventory {

struct Total {
  std::string currency;
  int64_t minor = 0;
};

// Sum of quantity * unit price. INVALID_ARGUMENT with reason MIXED_CURRENCY
// if the lines have different currencies, AMOUNT_TOO_LARGE on overflow.
absl::StatusOr<Total> PriceLines(const std::vector<ReservedLine>& lines);

}  // namespace turnstile::inventory
