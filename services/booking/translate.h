// Protobuf <-> model.h for the booking participant (proto/turnstile/v1/
// booking.proto), pure: the catalogue messages (venues, runs), instants
// (Timestamps checked here), slot windows and booked items. The Create
// requests are turned into model structs with the proto-only rules checked
// (Timestamps, car blocks, the Redis gate's bounds: at most kRangeMaxUnits
// slots a venue-day, kMaxLegs legs a run, resource names within the gate's
// 64-character ids); validation.h checks the rest. Every failure is
// INVALID_ARGUMENT naming the field.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "services/booking/catalog.h"
#include "services/booking/model.h"
#include "turnstile/v1/booking.pb.h"

namespace turnstile::booking {

// A Timestamp as epoch seconds: INVALID_ARGUMENT unless set, nanos in
// 0..999999999 and the instant between 2000 and 2199.
absl::StatusOr<int64_t> TimestampSeconds(const std::string& field, bool has,
                                         const google::protobuf::Timestamp& ts);

// "YYYY-MM-DD" between 2000 and 2199.
absl::StatusOr<absl::CivilDay> ParseDay(const std::string& field,
                                        const std::string& text);

// The request as a Venue (zones, packages and machines sorted by id, as the
// store returns them); then ValidateVenue.
absl::StatusOr<Venue> VenueFromProto(const v1::CreateVenueRequest& request);
void ToProto(const Venue& venue, v1::Venue* out);

// The request as a Run: run id "<train>:<date>", stops indexed 0.., seats
// "<car>-<number>" of each car block in (car, number) order; then
// ValidateRun.
absl::StatusOr<Run> RunFromProto(const v1::CreateRunRequest& request);
void ToProto(const Run& run, v1::Run* out);

// Slots `slots` of `venue_day` with their instants.
void ToProto(const CachedVenue& venue, absl::CivilDay venue_day,
             const UnitRange& slots, v1::SlotWindow* out);

// The parts of a resource name (model.h): the machine of
// "m:<venue>:<machine>:<date>", the seat of "s:<run>:<seat>".
std::string MachineOfResource(const std::string& resource_id);
std::string SeatOfResource(const std::string& resource_id);

void SetMoney(const std::string& currency, int64_t minor, v1::Money* out);

}  // namespace turnstile::booking
