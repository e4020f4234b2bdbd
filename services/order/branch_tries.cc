#include "services/order/branch_tries.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/try_deadline.h"
#include "services/order/booked_items.h"

namespace turnstile::order {
namespace {

void SetTxn(v1::TxnRef* txn, const std::string& gid, const char* branch) {
  txn->set_gid(gid);
  txn->set_branch_id(branch);
}

}  // namespace

absl::Status CheckOrderTryDeadline(Deadline txn_deadline) {
  const int64_t deadline_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(
          txn_deadline.time_since_epoch())
          .count();
  return CheckBeforeDeadline(deadline_ms, WallNowMs());
}

absl::Status CheckBookingServed(const PlaceOrderInput& in, bool served) {
  if (served) return absl::OkStatus();
  for (size_t i = 0; i < in.lines.size(); ++i) {
    if (in.lines[i].is_booking()) {
      return InvalidArgument(absl::StrCat(
          "lines[", i,
          "]: booking lines (slot, leg) are not served by this order service "
          "(it has no booking service: --booking is empty)"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> OrderBranches(const PlaceOrderInput& in) {
  bool has_stock = false, has_seat = false, has_booking = false;
  for (const auto& line : in.lines) {
    switch (line.kind()) {
      case LineKind::kSku:
        has_stock = true;
        break;
      case LineKind::kSeat:
        has_seat = true;
        break;
      case LineKind::kSlot:
      case LineKind::kLeg:
        has_booking = true;
        break;
    }
  }
  std::vector<std::string> branches = {kOrderBranch};
  if (has_stock) branches.push_back(kInventoryBranch);
  if (has_seat) branches.push_back(kSeatBranch);
  if (has_booking) branches.push_back(kBookingBranch);
  if (in.pay_now) branches.push_back(kPaymentBranch);
  return branches;
}

void BuildStockAndSeatTries(Peers& peers, const PlaceOrderInput& in,
                            const std::string& gid, Deadline txn_deadline,
                            StockAndSeatTries& out) {
  for (const auto& line : in.lines) {
    if (line.slot) {
      *out.booking_req.mutable_slot() = *line.slot;
    } else if (line.leg) {
      *out.booking_req.mutable_leg() = *line.leg;
    } else if (line.is_seat()) {
      out.seat_req.set_event_id(line.event_id);
      for (const auto& seat : line.seat_ids) out.seat_req.add_seat_ids(seat);
    } else {
      auto* item = out.stock_req.add_items();
      item->set_sku_id(line.sku_id);
      item->set_quantity(line.quantity);
    }
  }
  if (out.stock_req.items_size() > 0) {
    SetTxn(out.stock_req.mutable_txn(), gid, kInventoryBranch);
    out.stock_req.set_user_id(in.user_id);
    SetTryDeadline(out.stock_req, txn_deadline);
    out.tasks.push_back(
        MakeTryTask(kInventoryBranch, out.stock_req, out.stock,
                    [&peers](auto&&... a) { peers.ReserveStock(a...); }));
  }
  if (!out.seat_req.event_id().empty()) {
    SetTxn(out.seat_req.mutable_txn(), gid, kSeatBranch);
    out.seat_req.set_user_id(in.user_id);
    SetTryDeadline(out.seat_req, txn_deadline);
    out.tasks.push_back(
        MakeTryTask(kSeatBranch, out.seat_req, out.seats,
                    [&peers](auto&&... a) { peers.HoldSeats(a...); }));
  }
  if (out.booking_req.has_slot() || out.booking_req.has_leg()) {
    SetTxn(out.booking_req.mutable_txn(), gid, kBookingBranch);
    out.booking_req.set_user_id(in.user_id);
    SetTryDeadline(out.booking_req, txn_deadline);
    out.tasks.push_back(
        MakeTryTask(kBookingBranch, out.booking_req, out.bookings,
                    [&peers](auto&&... a) { peers.HoldBookings(a...); }));
  }
}

TryTask PaymentTry(Peers& peers, const std::string& gid,
                   const std::string& user_id, const std::string& currency,
                   int64_t total_minor, Deadline txn_deadline,
                   v1::AuthorizePaymentRequest& req,
                   v1::AuthorizePaymentResponse& resp) {
  SetTxn(req.mutable_txn(), gid, kPaymentBranch);
  SetTryDeadline(req, txn_deadline);
  req.set_user_id(user_id);
  req.mutable_amount()->set_currency(currency);
  req.mutable_amount()->set_minor_units(total_minor);
  return MakeTryTask(kPaymentBranch, req, resp,
                     [&peers](auto&&... a) { peers.AuthorizePayment(a...); });
}

OrderRecord NewOrderRecord(const std::string& gid, const PlaceOrderInput& in,
                           const PricedOrder& priced, OrderState state,
                           int64_t expires_at_us) {
  OrderRecord order;
  order.order_id = gid;
  order.user_id = in.user_id;
  order.request_id = in.request_id;
  order.state = state;
  order.pay_now = in.pay_now;
  order.total_minor = priced.total_minor;
  order.currency = priced.currency;
  order.expires_at_us = expires_at_us;
  order.items = priced.items;
  for (const auto& line : in.lines) {
    if (line.is_booking()) order.booking_line = BookingLineJson(line);
  }
  return order;
}

}  // namespace turnstile::order
