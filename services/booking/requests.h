// The input rules of the booking RPCs that need the catalogue, pure (no
// I/O): a request, checked against the cached venue or run (catalog.h),
// becomes what the handlers and the Try work with, or an error with nothing
// changed -- INVALID_ARGUMENT naming the field (empty or reversed ranges,
// 0 or more than 5 passengers, duplicate documents or seats, a start
// outside opening hours or off the slot grid, both or neither of
// package_id / duration_minutes) or NOT_FOUND with the reason of
// booking.proto (ZONE_NOT_FOUND, MACHINE_NOT_FOUND, CLASS_NOT_FOUND,
// SEAT_NOT_FOUND). Prices: a package's own price, or price per hour *
// minutes / 60 rounded up, per machine; a leg is price_per_leg * legs per
// passenger.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/booking/catalog.h"
#include "services/booking/model.h"
#include "services/booking/slots.h"
#include "turnstile/v1/booking.pb.h"

namespace turnstile::booking {

inline constexpr int kMaxGroupMachines = 8;

// A window of a zone: a start (on the grid, inside opening hours) and
// exactly one of a package of the zone or a duration.
absl::StatusOr<SlotPlacement> PlaceWindow(
    const CachedVenue& venue, const Zone& zone, bool has_start,
    const google::protobuf::Timestamp& starts_at, const std::string& package_id,
    int duration_minutes);

// Price of one machine for `slots` of the venue: the package's price when
// one was asked for, else price per hour pro rata, rounded up.
int64_t SlotPrice(const CachedVenue& venue, const Zone& zone,
                  const std::string& package_id, const UnitRange& slots);

// The zone of a request; NOT_FOUND ZONE_NOT_FOUND.
absl::StatusOr<const Zone*> FindZone(const CachedVenue& venue,
                                     const std::string& zone_id);

// A net-cafe Try resolved: the gate, the window, the machines asked for (or
// how many the gate is to choose) and the price of each.
struct SlotTry {
  const Zone* zone = nullptr;
  SlotPlacement placement;
  std::vector<std::string> machine_ids;  // empty: choose `machines`
  int machines = 1;
  int64_t price_each = 0;
};
absl::StatusOr<SlotTry> ResolveSlotHold(const CachedVenue& venue,
                                        const v1::SlotHold& hold);

// A trip [from, to) of the run: 0 <= from < to < stops.
absl::StatusOr<UnitRange> CheckTrip(const CachedRun& run, int from_stop,
                                    int to_stop);
// "" or a class of the run (NOT_FOUND CLASS_NOT_FOUND); "" only if
// `allow_all`.
absl::Status CheckClass(const CachedRun& run, const std::string& class_id,
                        bool allow_all);

// A train Try resolved: the trip, the class, the passengers' documents (in
// order) and the seats chosen by the buyer (or none), price per passenger.
struct LegTry {
  UnitRange legs;
  std::string class_id;
  std::vector<std::string> doc_ids;
  std::vector<std::string> seat_ids;  // empty: the gate allocates
  int64_t price_each = 0;
};
absl::StatusOr<LegTry> ResolveLegHold(const CachedRun& run,
                                      const v1::LegHold& hold);

}  // namespace turnstile::booking
