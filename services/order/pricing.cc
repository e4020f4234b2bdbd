#include "services/order/pricing.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile::order {
namespace {

bool SamePrice(const v1::Money& money, const std::string& currency) {
  return money.currency() == currency;
}

}  // namespace

absl::StatusOr<PricedOrder> PriceOrder(const PlaceOrderInput& input,
                                       const v1::ReserveStockResponse& stock,
                                       const v1::HoldSeatsResponse& seats) {
  std::map<std::string, const v1::ReservedItem*> by_sku;
  for (const auto& item : stock.items()) by_sku[item.sku_id()] = &item;
  std::map<std::string, const v1::SeatInfo*> by_seat;
  for (const auto& seat : seats.seats()) by_seat[seat.seat_id()] = &seat;
  auto bad = [](const std::string& what) {
    return Error(absl::StatusCode::kInternal, "BAD_PEER_RESPONSE", what);
  };

  PricedOrder priced;
  __int128 total = 0;
  auto add = [&](const v1::Money& price, int64_t quantity,
                 const std::string& what) -> absl::Status {
    if (price.minor_units() < 0 || price.currency().size() != 3) {
      return bad(absl::StrCat("invalid price for ", what));
    }
    if (priced.currency.empty()) priced.currency = price.currency();
    if (!SamePrice(price, priced.currency)) {
      return Refused(
          "MIXED_CURRENCY",
          absl::StrCat("the lines are priced in ", priced.currency, " and ",
                       price.currency(), "; one order takes one currency"));
    }
    total += static_cast<__int128>(price.minor_units()) * quantity;
    return absl::OkStatus();
  };

  int line_no = 0;
  for (const auto& line : input.lines) {
    if (!line.is_seat()) {
      auto it = by_sku.find(line.sku_id);
      if (it == by_sku.end() || it->second->quantity() != line.quantity) {
        return bad(absl::StrCat("inventory did not reserve ", line.quantity,
                                " of ", line.sku_id));
      }
      if (auto s = add(it->second->unit_price(), line.quantity, line.sku_id);
          !s.ok()) {
        return s;
      }
      priced.items.push_back(OrderItem{"sku", line.sku_id, "", "",
                                       line.quantity,
                                       it->second->unit_price().minor_units()});
      ++line_no;
      continue;
    }
    for (const auto& seat_id : line.seat_ids) {
      auto it = by_seat.find(seat_id);
      if (it == by_seat.end()) {
        return bad(absl::StrCat("seat service did not hold ", seat_id));
      }
      if (auto s = add(it->second->price(), 1, seat_id); !s.ok()) return s;
      priced.items.push_back(OrderItem{"seat", "", line.event_id, seat_id, 1,
                                       it->second->price().minor_units()});
      ++line_no;
    }
  }
  if (total > kMaxTotal) {
    return Refused("TOTAL_TOO_LARGE", absl::StrCat("the order total exceeds ",
                                                   kMaxTotal, " minor units"));
  }
  priced.total_minor = static_cast<int64_t>(total);
  return priced;
}

PlaceOrderInput InputFromRecord(const OrderRecord& order) {
  PlaceOrderInput in;
  in.user_id = order.user_id;
  in.request_id = order.request_id;
  in.pay_now = order.pay_now;
  int seat_line = -1;
  for (const auto& item : order.items) {
    if (item.kind == "seat") {
      if (seat_line < 0) {
        seat_line = static_cast<int>(in.lines.size());
        in.lines.push_back(LineInput{"", 0, item.event_id, {}});
      }
      in.lines[seat_line].seat_ids.push_back(item.seat_id);
      in.lines[seat_line].quantity = in.lines[seat_line].seat_ids.size();
    } else {
      in.lines.push_back(LineInput{item.sku_id, item.quantity, "", {}});
    }
  }
  return in;
}

}  // namespace turnstile::order
