// Input rules of the booking store's commands, pure (no I/O): the store
// (store.h) assumes commands that passed these, because what PostgreSQL
// would refuse on its own (a reversed or empty range, a bad currency) comes
// back from it as an INTERNAL or a CHECK error rather than the caller's
// INVALID_ARGUMENT. Every failure is INVALID_ARGUMENT naming the field.
// Ids that become part of a resource or gate name (model.h) may not contain
// ':' (the names' separator).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "services/booking/model.h"

namespace turnstile::booking {

// Most resources of one Try: a train order has up to 5 passengers, a
// net-cafe group some machines.
inline constexpr size_t kMaxHoldItems = 32;

// Ids, names, a loadable time zone, a currency, a valid slot grid
// (slots.h), 1..64 zones with unique ids, each with 0..16 packages (unique
// ids, 1..24 hours, price >= 0) and 1..1000 machines (ids unique within the
// venue), prices >= 0.
absl::Status ValidateVenue(const Venue& venue);

// run_id == RunId(train_number, service_date), a currency, 2..64 stops with
// index == position and strictly increasing times, 1..16 classes with
// unique ids and prices >= 0, 1..5000 seats with unique ids, unique (car,
// number) > 0, each of a listed class.
absl::Status ValidateRun(const Run& run);

// A canonical gid, a branch id, a user id, a gate key of either kind, a
// deadline > 0, 1..kMaxHoldItems items whose resources belong to the gate's
// kind ("m:" for "v:" gates, "s:" for "r:" gates), ranges 0 <= from < to
// <= 1440, no two items of one resource overlapping, doc ids (optional on
// venue gates, required on run gates) as ids, limits >= 0.
absl::Status ValidateHold(const HoldCommand& command);

// The Try's canonical content (services/common/try_content.h): user, gate,
// day and the items in sorted order; deadline and limits are not part of
// what was asked for.
std::string TryContentOf(const HoldCommand& command);

// `command` with its items sorted by (resource, from, to): the store inserts
// in this order so that two overlapping groups meet their common resources
// in the same order.
HoldCommand SortedItems(HoldCommand command);

}  // namespace turnstile::booking
