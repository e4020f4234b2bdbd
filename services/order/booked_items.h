// The booking side of an order's stored items (pure): a booking service's
// BookedItem as the plain BookingItem of model.h and back, and the booking
// line as stored on the order row (proto JSON of the OrderLine with only
// slot or leg set) and back, so that a re-driven order sends the very hold
// it first asked for.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "services/order/model.h"
#include "services/order/validation.h"
#include "turnstile/v1/booking.pb.h"

namespace turnstile::order {

// The range and resource of `item` (its price is the OrderItem's).
BookingItem FromBookedItem(const v1::BookedItem& item);

// `item` (kind "slot" or "leg") as a BookedItem priced `unit_price_minor`
// of `currency`.
void ToBookedItem(const OrderItem& item, const std::string& currency,
                  v1::BookedItem* out);

// The line's hold as stored in orders.booking_line; "" for a stock or seat
// line. Deterministic: equal lines give equal text.
std::string BookingLineJson(const LineInput& line);

// The line back from BookingLineJson's text (quantity = the items it
// books); INTERNAL BAD_STORED_LINE if it is not one.
absl::StatusOr<LineInput> BookingLineFromJson(const std::string& json);

}  // namespace turnstile::order
