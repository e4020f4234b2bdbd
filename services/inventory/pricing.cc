#include "services/inventory/pricing.h"

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile::inventory {

absl::StatusOr<Total> PriceLines(const std::vector<ReservedLine>& lines) {
  Total total;
  for (const ReservedLine& line : lines) {
    if (total.currency.empty()) {
      total.currency = line.currency;
    } else if (total.currency != line.currency) {
      return Error(
          absl::StatusCode::kInvalidArgument, "MIXED_CURRENCY",
          absl::StrCat("items are priced in ", total.currency, " and ",
                       line.currency, "; one reservation takes one currency"));
    }
    int64_t amount = 0;
    if (__builtin_mul_overflow(line.quantity, line.unit_price_minor, &amount) ||
        __builtin_add_overflow(total.minor, amount, &total.minor)) {
      return Error(absl::StatusCode::kInvalidArgument, "AMOUNT_TOO_LARGE",
                   "the total of the reservation does not fit in 64 bits");
    }
  }
  return total;
}

}  // namespace turnstile::inventory
