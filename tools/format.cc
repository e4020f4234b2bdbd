#include "tools/format.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace turnstile::tools {

std::string FormatTime(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  return absl::FormatTime(
      "%Y-%m-%dT%H:%M:%E3SZ",
      absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos()),
      absl::UTCTimeZone());
}

std::string FormatTxn(const v1::Transaction& txn, bool with_branches) {
  std::string out =
      absl::StrCat(txn.gid(), "  ", v1::TxnState_Name(txn.state()),
                   "  created=", FormatTime(txn.created_at()),
                   "  deadline=", FormatTime(txn.deadline()),
                   "  request_id=", txn.request_id());
  if (txn.cancel_reason() != v1::CANCEL_REASON_UNSPECIFIED) {
    absl::StrAppend(&out,
                    "  reason=", v1::CancelReason_Name(txn.cancel_reason()));
  }
  if (!txn.detail().empty()) absl::StrAppend(&out, "  detail=", txn.detail());
  // The trace to grep the logs of every service for (--log_format=json:
  // the trace_id field).
  if (!txn.trace_id().empty()) {
    absl::StrAppend(&out, "  trace_id=", txn.trace_id());
  }
  if (with_branches) {
    for (const auto& b : txn.branches()) {
      absl::StrAppend(&out, "\n  branch ", b.branch_id(), " -> ",
                      b.participant(), "  ", v1::BranchState_Name(b.state()),
                      "  attempts=", b.attempts());
      if (!b.last_error().empty()) {
        absl::StrAppend(&out, "  last_error=\"", b.last_error(), "\"");
      }
      if (b.has_next_attempt_at()) {
        absl::StrAppend(&out,
                        "  next_attempt=", FormatTime(b.next_attempt_at()));
      }
    }
  }
  return out;
}

std::string FormatSku(const v1::Sku& sku) {
  return absl::StrCat(
      sku.sku_id(), "  \"", sku.name(), "\"  price=", sku.price().minor_units(),
      " ", sku.price().currency(), "  total=", sku.total(),
      " available=", sku.available(), " locked=", sku.locked(),
      " sold=", sku.sold(), "  per_user_limit=", sku.per_user_limit());
}

namespace {

// An order item as "<sku>", "<event>/<seat>", a slot or a leg.
std::string ItemName(const v1::OrderItem& item) {
  const auto& b = item.booking();
  if (item.kind() == "seat") {
    return absl::StrCat(item.event_id(), "/", item.seat_id());
  }
  if (item.kind() == "slot") {
    return absl::StrCat(b.venue_id(), "/", b.machine_id(), " ",
                        FormatTime(b.window().starts_at()), " - ",
                        FormatTime(b.window().ends_at()));
  }
  if (item.kind() == "leg") {
    return absl::StrCat(b.run_id(), " seat ", b.seat_id(), " stops ",
                        b.from_stop(), "-", b.to_stop(), " doc ", b.doc_id());
  }
  return item.sku_id();
}

}  // namespace

std::string FormatOrder(const v1::OrderInfo& order) {
  std::string out = absl::StrCat(
      order.order_id(), "  ", v1::OrderState_Name(order.state()),
      "  user=", order.user_id(), "  total=", order.total().minor_units(), " ",
      order.total().currency(), "  created=", FormatTime(order.created_at()));
  if (order.has_expires_at()) {
    absl::StrAppend(&out, "  expires=", FormatTime(order.expires_at()));
  }
  for (const auto& item : order.items()) {
    absl::StrAppend(&out, "\n  ", item.kind(), " ", ItemName(item), " x",
                    item.quantity(), " @", item.unit_price().minor_units());
  }
  return out;
}

}  // namespace turnstile::tools
