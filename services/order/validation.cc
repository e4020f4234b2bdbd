#include "services/order/validation.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/status.h"
#include "services/common/uuid.h"
#include "services/common/validate.h"
#include "services/order/booking_lines.h"

namespace turnstile::order {
namespace {

constexpr char kTokenPrefix[] = "o1:";

// A slot or leg line: its hold's shape, no stock or seat fields, quantity 0
// or the number of items it books.
absl::StatusOr<LineInput> ParseBookingLine(const std::string& at,
                                           const v1::OrderLine& line) {
  if (line.seat_ids_size() != 0) {
    return InvalidArgument(
        absl::StrCat(at,
                     ".seat_ids is only for seat lines (a leg line has "
                     "leg.seat_ids)"));
  }
  LineInput out;
  if (line.has_slot()) {
    if (auto s = CheckSlotLine(at, line.slot()); !s.ok()) return s;
    out.slot = line.slot();
    out.quantity = SlotItemCount(line.slot());
  } else {
    if (auto s = CheckLegLine(at, line.leg()); !s.ok()) return s;
    out.leg = line.leg();
    out.quantity = LegItemCount(line.leg());
  }
  if (line.quantity() != 0 && line.quantity() != out.quantity) {
    return InvalidArgument(absl::StrCat(
        at, ".quantity must be 0 or the number of machines or passengers (",
        out.quantity, ") on a booking line"));
  }
  return out;
}

}  // namespace

absl::StatusOr<PlaceOrderInput> ParsePlaceOrder(
    const v1::PlaceOrderRequest& request, const std::string& user_id) {
  PlaceOrderInput in;
  if (auto s = RejectUnknownFields(request); !s.ok()) return s;
  if (auto s = CheckText("request_id", request.request_id(), 128); !s.ok()) {
    return s;
  }
  if (auto s = CheckRange("lines count", request.lines_size(), 1, kMaxLines);
      !s.ok()) {
    return s;
  }
  if (auto s =
          CheckRange("payment_window_seconds", request.payment_window_seconds(),
                     0, kMaxWindowSeconds);
      !s.ok()) {
    return s;
  }
  in.user_id = user_id;
  in.request_id = request.request_id();
  in.pay_now = request.pay_now();
  in.payment_window_s = request.payment_window_seconds();

  std::set<std::string> skus;
  bool seat_line_seen = false;
  bool booking_line_seen = false;
  for (int i = 0; i < request.lines_size(); ++i) {
    const auto& line = request.lines(i);
    const std::string at = absl::StrCat("lines[", i, "]");
    const bool has_sku = !line.sku_id().empty();
    const bool has_event = !line.event_id().empty();
    if (int{has_sku} + int{has_event} + int{line.has_slot()} +
            int{line.has_leg()} !=
        1) {
      return InvalidArgument(absl::StrCat(
          at, " must set exactly one of sku_id, event_id, slot or leg"));
    }
    if (line.has_slot() || line.has_leg()) {
      if (booking_line_seen) {
        return InvalidArgument(absl::StrCat(
            at, ": at most one booking line (slot or leg) per order"));
      }
      booking_line_seen = true;
      auto booking = ParseBookingLine(at, line);
      if (!booking.ok()) return booking.status();
      in.lines.push_back(std::move(*booking));
      continue;
    }
    LineInput out;
    if (has_sku) {
      if (auto s = CheckId(absl::StrCat(at, ".sku_id"), line.sku_id());
          !s.ok()) {
        return s;
      }
      if (auto s = CheckRange(absl::StrCat(at, ".quantity"), line.quantity(), 1,
                              kMaxQuantity);
          !s.ok()) {
        return s;
      }
      if (line.seat_ids_size() != 0) {
        return InvalidArgument(
            absl::StrCat(at, ".seat_ids is only for seat lines"));
      }
      if (!skus.insert(line.sku_id()).second) {
        return InvalidArgument(
            absl::StrCat(at, ".sku_id ", line.sku_id(), " appears twice"));
      }
      out.sku_id = line.sku_id();
      out.quantity = line.quantity();
    } else {
      if (seat_line_seen) {
        return InvalidArgument("at most one seat line per order");
      }
      seat_line_seen = true;
      if (auto s = CheckId(absl::StrCat(at, ".event_id"), line.event_id());
          !s.ok()) {
        return s;
      }
      if (auto s = CheckRange(absl::StrCat(at, ".seat_ids count"),
                              line.seat_ids_size(), 1, kMaxSeats);
          !s.ok()) {
        return s;
      }
      if (line.quantity() != 0 && line.quantity() != line.seat_ids_size()) {
        return InvalidArgument(absl::StrCat(
            at, ".quantity must be 0 or the number of seats on a seat line"));
      }
      std::set<std::string> seats;
      for (int j = 0; j < line.seat_ids_size(); ++j) {
        const std::string field = absl::StrCat(at, ".seat_ids[", j, "]");
        if (auto s = CheckId(field, line.seat_ids(j)); !s.ok()) return s;
        if (!seats.insert(line.seat_ids(j)).second) {
          return InvalidArgument(absl::StrCat(field, " appears twice"));
        }
        out.seat_ids.push_back(line.seat_ids(j));
      }
      out.event_id = line.event_id();
      out.quantity = line.seat_ids_size();
    }
    in.lines.push_back(std::move(out));
  }
  return in;
}

absl::Status ValidateOrderRef(const google::protobuf::Message& request,
                              const std::string& order_id) {
  if (auto s = RejectUnknownFields(request); !s.ok()) return s;
  return CheckUuid("order_id", order_id);
}

absl::StatusOr<ListInput> ParseListOrders(const v1::ListOrdersRequest& request,
                                          const std::string& user_id) {
  ListInput in;
  if (auto s = RejectUnknownFields(request); !s.ok()) return s;
  in.user_id = user_id;
  if (request.page_size() != 0) {
    if (auto s = CheckRange("page_size", request.page_size(), 1, kMaxPageSize);
        !s.ok()) {
      return s;
    }
    in.page_size = request.page_size();
  }
  const std::string& token = request.page_token();
  if (token.empty()) return in;
  const auto bad = InvalidArgument("page_token is not a token of ListOrders");
  if (token.size() > 100 || token.rfind(kTokenPrefix, 0) != 0) return bad;
  std::vector<std::string> parts =
      absl::StrSplit(token.substr(sizeof(kTokenPrefix) - 1), ':');
  PageCursor cursor;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &cursor.created_at_us) ||
      cursor.created_at_us < 0 || !IsUuid(parts[1])) {
    return bad;
  }
  cursor.order_id = parts[1];
  in.after = cursor;
  return in;
}

std::string EncodePageToken(const PageCursor& cursor) {
  return absl::StrCat(kTokenPrefix, cursor.created_at_us, ":", cursor.order_id);
}

absl::Status ValidateOrderBranch(const v1::TxnRef& txn) {
  if (auto s = CheckUuid("txn.gid", txn.gid()); !s.ok()) return s;
  if (txn.branch_id() != kOrderBranch) {
    return InvalidArgument(
        absl::StrCat("txn.branch_id must be \"", kOrderBranch, "\""));
  }
  return absl::OkStatus();
}

}  // namespace turnstile::order
