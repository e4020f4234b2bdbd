#include "services/order/pricing.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/order/booked_items.h"

namespace turnstile::order {
namespace {

bool SamePrice(const v1::Money& money, const std::string& currency) {
  return money.currency() == currency;
}

absl::Status BadPeer(const std::string& what) {
  return Error(absl::StatusCode::kInternal, "BAD_PEER_RESPONSE", what);
}

template <typename Ids>
std::set<std::string> SetOf(const Ids& ids) {
  return std::set<std::string>(ids.begin(), ids.end());
}

// Whether the booking Try's answer books what `line` asked: one item per
// machine (slot) or passenger (leg), of the line's kind, on its venue or
// run and range, on the machines / seats and for the documents asked for,
// and a total that is the sum of the prices.
absl::Status CheckBookedItems(const LineInput& line,
                              const v1::HoldBookingsResponse& bookings) {
  const std::string want = line.slot ? "slot" : "leg";
  if (bookings.items_size() != line.quantity) {
    return BadPeer(absl::StrCat("booking held ", bookings.items_size(),
                                " items for a ", want, " line of ",
                                line.quantity));
  }
  std::set<std::string> resources, docs;
  __int128 sum = 0;
  for (const auto& item : bookings.items()) {
    sum += item.price().minor_units();
    if (item.kind() != want) {
      return BadPeer(absl::StrCat("booking held a \"", item.kind(),
                                  "\" item for a ", want, " line"));
    }
    if (line.slot) {
      if (item.venue_id() != line.slot->venue_id() ||
          item.machine_id().empty()) {
        return BadPeer(absl::StrCat("booking held machine ", item.venue_id(),
                                    "/", item.machine_id(), " for venue ",
                                    line.slot->venue_id()));
      }
      resources.insert(item.machine_id());
    } else {
      const v1::LegHold& leg = *line.leg;
      if (item.run_id() != leg.run_id() ||
          item.from_stop() != leg.from_stop() ||
          item.to_stop() != leg.to_stop() || item.seat_id().empty()) {
        return BadPeer(absl::StrCat(
            "booking held ", item.run_id(), " seat ", item.seat_id(), " [",
            item.from_stop(), ", ", item.to_stop(), ") for ", leg.run_id(),
            " [", leg.from_stop(), ", ", leg.to_stop(), ")"));
      }
      resources.insert(item.seat_id());
      docs.insert(item.doc_id());
    }
  }
  if (static_cast<int64_t>(resources.size()) != line.quantity) {
    return BadPeer("booking held one resource twice");
  }
  if (line.slot && line.slot->machine_ids_size() > 0 &&
      resources != SetOf(line.slot->machine_ids())) {
    return BadPeer("booking held other machines than the ones asked for");
  }
  if (line.leg) {
    std::set<std::string> asked;
    for (const auto& p : line.leg->passengers()) asked.insert(p.doc_id());
    if (docs != asked) {
      return BadPeer("booking held seats for other passengers than asked");
    }
    if (line.leg->seat_ids_size() > 0 &&
        resources != SetOf(line.leg->seat_ids())) {
      return BadPeer("booking held other seats than the ones asked for");
    }
  }
  if (bookings.has_total() && bookings.total().minor_units() != sum) {
    return BadPeer(absl::StrCat("booking's total ",
                                bookings.total().minor_units(),
                                " is not the sum of its items' prices"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PricedOrder> PriceOrder(
    const PlaceOrderInput& input, const v1::ReserveStockResponse& stock,
    const v1::HoldSeatsResponse& seats,
    const v1::HoldBookingsResponse& bookings) {
  std::map<std::string, const v1::ReservedItem*> by_sku;
  for (const auto& item : stock.items()) by_sku[item.sku_id()] = &item;
  std::map<std::string, const v1::SeatInfo*> by_seat;
  for (const auto& seat : seats.seats()) by_seat[seat.seat_id()] = &seat;
  auto bad = [](const std::string& what) { return BadPeer(what); };

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
    if (line.is_booking()) {
      if (auto s = CheckBookedItems(line, bookings); !s.ok()) return s;
      for (const auto& booked : bookings.items()) {
        const std::string what =
            absl::StrCat(booked.kind(), " ", booked.venue_id(), booked.run_id(),
                         "/", booked.machine_id(), booked.seat_id());
        if (auto s = add(booked.price(), 1, what); !s.ok()) return s;
        OrderItem item{
            booked.kind(), "", "", "", 1, booked.price().minor_units()};
        item.booking = FromBookedItem(booked);
        priced.items.push_back(std::move(item));
        ++line_no;
      }
      continue;
    }
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

absl::StatusOr<PlaceOrderInput> InputFromRecord(const OrderRecord& order) {
  PlaceOrderInput in;
  in.user_id = order.user_id;
  in.request_id = order.request_id;
  in.pay_now = order.pay_now;
  int seat_line = -1;
  bool booking_line = false;
  for (const auto& item : order.items) {
    if (item.is_booking()) {
      // The booking line stands where its first item does.
      if (booking_line) continue;
      booking_line = true;
      auto line = BookingLineFromJson(order.booking_line);
      if (!line.ok()) return line.status();
      in.lines.push_back(std::move(*line));
    } else if (item.kind == "seat") {
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
