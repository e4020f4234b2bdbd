// The catalogue-dependent input rules of the booking RPCs (requests.h).
#include "services/booking/requests.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "services/booking/seat_choice.h"
#include "services/booking/translate.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace turnstile::booking {

absl::StatusOr<SlotPlacement> PlaceWindow(
    const CachedVenue& venue, const Zone& zone, bool has_start,
    const google::protobuf::Timestamp& starts_at, const std::string& package_id,
    int duration_minutes) {
  auto seconds = TimestampSeconds("starts_at", has_start, starts_at);
  if (!seconds.ok()) return seconds.status();
  if (package_id.empty() == (duration_minutes == 0)) {
    return InvalidArgument(
        "set exactly one of package_id and duration_minutes");
  }
  if (*seconds % 60 != 0 || starts_at.nanos() != 0) {
    return InvalidArgument("starts_at is not on the slot grid");
  }
  const absl::CivilMinute start =
      absl::ToCivilMinute(absl::FromUnixSeconds(*seconds), venue.tz);
  const SlotGrid grid = SlotGrid::Of(venue.venue);
  if (!package_id.empty()) {
    return PlacePackage(grid, start, zone.packages, package_id);
  }
  return PlaceDuration(grid, start, duration_minutes);
}

int64_t SlotPrice(const CachedVenue& venue, const Zone& zone,
                  const std::string& package_id, const UnitRange& slots) {
  for (const Package& p : zone.packages) {
    if (!package_id.empty() && p.package_id == package_id) {
      return p.price_minor;
    }
  }
  const int64_t minutes =
      static_cast<int64_t>(slots.size()) * venue.venue.slot_minutes;
  return (zone.price_per_hour_minor * minutes + 59) / 60;
}

absl::StatusOr<const Zone*> FindZone(const CachedVenue& venue,
                                     const std::string& zone_id) {
  if (auto s = CheckId("zone_id", zone_id); !s.ok()) return s;
  const Zone* zone = venue.FindZone(zone_id);
  if (zone == nullptr) {
    return Error(
        absl::StatusCode::kNotFound, "ZONE_NOT_FOUND",
        absl::StrCat("venue ", venue.venue.venue_id, " has no zone ", zone_id));
  }
  return zone;
}

absl::StatusOr<SlotTry> ResolveSlotHold(const CachedVenue& venue,
                                        const v1::SlotHold& hold) {
  SlotTry out;
  auto zone = FindZone(venue, hold.zone_id());
  if (!zone.ok()) return zone.status();
  out.zone = *zone;
  if (hold.machine_ids_size() > 0) {
    if (hold.machine_ids_size() > kMaxGroupMachines) {
      return InvalidArgument(absl::StrCat("machine_ids: at most ",
                                          kMaxGroupMachines, " machines"));
    }
    if (hold.machines() != 0 && hold.machines() != hold.machine_ids_size()) {
      return InvalidArgument("machines must be 0 or the number of machine_ids");
    }
    std::set<std::string> seen;
    for (const std::string& m : hold.machine_ids()) {
      if (auto s = CheckId("machine_ids", m); !s.ok()) return s;
      if (!seen.insert(m).second) {
        return InvalidArgument(absl::StrCat("machine_ids: ", m, " twice"));
      }
      auto it = venue.machine_zone.find(m);
      if (it == venue.machine_zone.end() ||
          venue.venue.zones[it->second].zone_id != out.zone->zone_id) {
        return Error(absl::StatusCode::kNotFound, "MACHINE_NOT_FOUND",
                     absl::StrCat("zone ", out.zone->zone_id, " of venue ",
                                  venue.venue.venue_id, " has no machine ", m));
      }
      out.machine_ids.push_back(m);
    }
    out.machines = hold.machine_ids_size();
  } else {
    out.machines = hold.machines() == 0 ? 1 : hold.machines();
    if (out.machines < 1 || out.machines > kMaxGroupMachines) {
      return InvalidArgument(
          absl::StrCat("machines must be 1..", kMaxGroupMachines));
    }
  }
  auto placed =
      PlaceWindow(venue, *out.zone, hold.has_starts_at(), hold.starts_at(),
                  hold.package_id(), hold.duration_minutes());
  if (!placed.ok()) return placed.status();
  out.placement = *placed;
  out.price_each =
      SlotPrice(venue, *out.zone, hold.package_id(), out.placement.slots);
  return out;
}

absl::StatusOr<UnitRange> CheckTrip(const CachedRun& run, int from_stop,
                                    int to_stop) {
  const int stops = static_cast<int>(run.run.stops.size());
  if (from_stop < 0 || from_stop >= stops) {
    return InvalidArgument(absl::StrCat("from_stop must be 0..", stops - 2,
                                        " (run ", run.run.run_id, " has ",
                                        stops, " stops)"));
  }
  if (to_stop < 0 || to_stop >= stops) {
    return InvalidArgument(absl::StrCat("to_stop must be 1..", stops - 1,
                                        " (run ", run.run.run_id, " has ",
                                        stops, " stops)"));
  }
  if (to_stop <= from_stop) {
    return InvalidArgument(
        "to_stop must come after from_stop (the trip is empty or reversed)");
  }
  return UnitRange{from_stop, to_stop};
}

absl::Status CheckClass(const CachedRun& run, const std::string& class_id,
                        bool allow_all) {
  if (class_id.empty() && allow_all) return absl::OkStatus();
  if (auto s = CheckId("class_id", class_id); !s.ok()) return s;
  if (run.FindClass(class_id) == nullptr) {
    return Error(
        absl::StatusCode::kNotFound, "CLASS_NOT_FOUND",
        absl::StrCat("run ", run.run.run_id, " has no class ", class_id));
  }
  return absl::OkStatus();
}

absl::StatusOr<LegTry> ResolveLegHold(const CachedRun& run,
                                      const v1::LegHold& hold) {
  LegTry out;
  auto legs = CheckTrip(run, hold.from_stop(), hold.to_stop());
  if (!legs.ok()) return legs.status();
  out.legs = *legs;
  if (auto s = CheckClass(run, hold.class_id(), false); !s.ok()) return s;
  out.class_id = hold.class_id();
  if (hold.passengers_size() < 1 || hold.passengers_size() > kMaxPassengers) {
    return InvalidArgument(
        absl::StrCat("passengers: 1..", kMaxPassengers, " passengers"));
  }
  std::set<std::string> docs;
  for (const v1::Passenger& p : hold.passengers()) {
    if (auto s = CheckId("passengers.doc_id", p.doc_id()); !s.ok()) return s;
    if (!docs.insert(p.doc_id()).second) {
      return InvalidArgument(
          absl::StrCat("passengers: document ", p.doc_id(), " twice"));
    }
    out.doc_ids.push_back(p.doc_id());
  }
  if (hold.seat_ids_size() > 0) {
    if (hold.seat_ids_size() != hold.passengers_size()) {
      return InvalidArgument(
          "seat_ids: exactly one seat per passenger, or none");
    }
    std::set<std::string> seats;
    for (const std::string& id : hold.seat_ids()) {
      if (auto s = CheckId("seat_ids", id); !s.ok()) return s;
      if (!seats.insert(id).second) {
        return InvalidArgument(absl::StrCat("seat_ids: ", id, " twice"));
      }
      const RunSeat* seat = run.FindSeat(id);
      if (seat == nullptr || seat->class_id != out.class_id) {
        return Error(absl::StatusCode::kNotFound, "SEAT_NOT_FOUND",
                     absl::StrCat("run ", run.run.run_id, " has no seat ", id,
                                  " of class ", out.class_id));
      }
      out.seat_ids.push_back(id);
    }
  }
  out.price_each =
      run.FindClass(out.class_id)->price_per_leg_minor * out.legs.size();
  return out;
}

}  // namespace turnstile::booking
