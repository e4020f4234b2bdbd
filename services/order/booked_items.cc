#include "services/order/booked_items.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/time_util.h"
#include "services/order/booking_lines.h"

namespace turnstile::order {

BookingItem FromBookedItem(const v1::BookedItem& item) {
  BookingItem out;
  if (item.kind() == "slot") {
    out.venue_id = item.venue_id();
    out.machine_id = item.machine_id();
    out.venue_day = item.window().venue_day();
    out.from_unit = item.window().from_slot();
    out.to_unit = item.window().to_slot();
    if (item.window().has_starts_at()) {
      out.starts_at_us = ToMicros(item.window().starts_at());
    }
    if (item.window().has_ends_at()) {
      out.ends_at_us = ToMicros(item.window().ends_at());
    }
  } else {
    out.run_id = item.run_id();
    out.seat_id = item.seat_id();
    out.doc_id = item.doc_id();
    out.from_unit = item.from_stop();
    out.to_unit = item.to_stop();
  }
  return out;
}

void ToBookedItem(const OrderItem& item, const std::string& currency,
                  v1::BookedItem* out) {
  const BookingItem& b = item.booking;
  out->set_kind(item.kind);
  if (item.kind == "slot") {
    out->set_venue_id(b.venue_id);
    out->set_machine_id(b.machine_id);
    auto* window = out->mutable_window();
    window->set_venue_day(b.venue_day);
    window->set_from_slot(b.from_unit);
    window->set_to_slot(b.to_unit);
    if (b.starts_at_us != 0)
      SetMicros(window->mutable_starts_at(), b.starts_at_us);
    if (b.ends_at_us != 0) SetMicros(window->mutable_ends_at(), b.ends_at_us);
  } else {
    out->set_run_id(b.run_id);
    out->set_seat_id(b.seat_id);
    out->set_doc_id(b.doc_id);
    out->set_from_stop(b.from_unit);
    out->set_to_stop(b.to_unit);
  }
  out->mutable_price()->set_currency(currency);
  out->mutable_price()->set_minor_units(item.unit_price_minor);
}

std::string BookingLineJson(const LineInput& line) {
  if (!line.is_booking()) return "";
  v1::OrderLine stored;
  if (line.slot) *stored.mutable_slot() = *line.slot;
  if (line.leg) *stored.mutable_leg() = *line.leg;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  // Cannot fail for a message without Any fields.
  (void)google::protobuf::util::MessageToJsonString(stored, &json, options);
  return json;
}

absl::StatusOr<LineInput> BookingLineFromJson(const std::string& json) {
  v1::OrderLine stored;
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(json, &stored);
  if (!parsed.ok() || stored.has_slot() == stored.has_leg()) {
    return Error(absl::StatusCode::kInternal, "BAD_STORED_LINE",
                 absl::StrCat("orders.booking_line is not a slot or leg line: ",
                              json.substr(0, 200)));
  }
  LineInput line;
  if (stored.has_slot()) {
    line.slot = stored.slot();
    line.quantity = SlotItemCount(stored.slot());
  } else {
    line.leg = stored.leg();
    line.quantity = LegItemCount(stored.leg());
  }
  return line;
}

}  // namespace turnstile::order
