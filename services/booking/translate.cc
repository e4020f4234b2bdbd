// Protobuf <-> model.h of the booking participant (translate.h).
#include "services/booking/translate.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/booking/seat_choice.h"
#include "services/booking/slots.h"
#include "services/common/range_gate.h"
#include "services/common/status.h"

namespace turnstile::booking {
namespace {

constexpr int64_t kMinSeconds = 946684800;   // 2000-01-01
constexpr int64_t kMaxSeconds = 7258118400;  // 2200-01-01
// The gate's ids are at most 64 chars: "m:" + venue + ":" + machine + ":" +
// date must fit.
constexpr size_t kMaxMachineResource = 64;

void SetSeconds(google::protobuf::Timestamp* ts, int64_t seconds) {
  ts->set_seconds(seconds);
  ts->set_nanos(0);
}

}  // namespace

absl::StatusOr<int64_t> TimestampSeconds(
    const std::string& field, bool has, const google::protobuf::Timestamp& ts) {
  if (!has) return InvalidArgument(absl::StrCat(field, " is required"));
  if (ts.nanos() < 0 || ts.nanos() > 999999999) {
    return InvalidArgument(absl::StrCat(field, ": nanos out of range"));
  }
  if (ts.seconds() < kMinSeconds || ts.seconds() >= kMaxSeconds) {
    return InvalidArgument(
        absl::StrCat(field, " must be between 2000 and 2199"));
  }
  return ts.seconds();
}

absl::StatusOr<absl::CivilDay> ParseDay(const std::string& field,
                                        const std::string& text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) ||
      day.year() < 2000 || day.year() > 2199) {
    return InvalidArgument(absl::StrCat(
        field, " must be a date YYYY-MM-DD between 2000 and 2199"));
  }
  return day;
}

absl::StatusOr<Venue> VenueFromProto(const v1::CreateVenueRequest& request) {
  Venue venue;
  venue.venue_id = request.venue_id();
  venue.name = request.name();
  venue.tz_name = request.time_zone();
  venue.currency = request.currency();
  venue.opening_minute = request.opening_minute();
  venue.closing_minute = request.closing_minute();
  venue.slot_minutes = request.slot_minutes();
  const SlotGrid grid = SlotGrid::Of(venue);
  if (auto s = ValidateGrid(grid); !s.ok()) return s;
  if (grid.SlotCount() > kRangeMaxUnits) {
    return InvalidArgument(absl::StrCat("slot_minutes: a venue-day has ",
                                        grid.SlotCount(), " slots, at most ",
                                        kRangeMaxUnits));
  }
  for (const v1::ZoneSpec& z : request.zones()) {
    Zone zone;
    zone.zone_id = z.zone_id();
    zone.name = z.name();
    zone.price_per_hour_minor = z.price_per_hour_minor_units();
    for (const v1::PackageSpec& p : z.packages()) {
      zone.packages.push_back(
          {p.package_id(), p.hours(), p.price_minor_units()});
      // A package must be a whole number of slots and fit the day.
      if (p.hours() >= 1 && p.hours() <= 24 &&
          (p.hours() * 60 % venue.slot_minutes != 0 ||
           p.hours() * 60 > grid.DayMinutes())) {
        return InvalidArgument(absl::StrCat(
            "package ", p.package_id(), " of zone ", z.zone_id(), ": ",
            p.hours(), " h is not a whole number of slots of the day"));
      }
    }
    for (const std::string& m : z.machine_ids()) {
      if (venue.venue_id.size() + m.size() + 14 > kMaxMachineResource) {
        return InvalidArgument(
            absl::StrCat("machine_id ", m,
                         ": venue_id and machine_id together may have at most ",
                         kMaxMachineResource - 14, " chars"));
      }
      zone.machine_ids.push_back(m);
    }
    std::sort(zone.packages.begin(), zone.packages.end(),
              [](const Package& a, const Package& b) {
                return a.package_id < b.package_id;
              });
    std::sort(zone.machine_ids.begin(), zone.machine_ids.end());
    venue.zones.push_back(std::move(zone));
  }
  std::sort(venue.zones.begin(), venue.zones.end(),
            [](const Zone& a, const Zone& b) { return a.zone_id < b.zone_id; });
  return venue;
}

void ToProto(const Venue& venue, v1::Venue* out) {
  out->set_venue_id(venue.venue_id);
  out->set_name(venue.name);
  out->set_time_zone(venue.tz_name);
  out->set_currency(venue.currency);
  out->set_opening_minute(venue.opening_minute);
  out->set_closing_minute(venue.closing_minute);
  out->set_slot_minutes(venue.slot_minutes);
  for (const Zone& zone : venue.zones) {
    v1::ZoneSpec* z = out->add_zones();
    z->set_zone_id(zone.zone_id);
    z->set_name(zone.name);
    z->set_price_per_hour_minor_units(zone.price_per_hour_minor);
    for (const Package& p : zone.packages) {
      v1::PackageSpec* ps = z->add_packages();
      ps->set_package_id(p.package_id);
      ps->set_hours(p.hours);
      ps->set_price_minor_units(p.price_minor);
    }
    for (const std::string& m : zone.machine_ids) z->add_machine_ids(m);
  }
}

absl::StatusOr<Run> RunFromProto(const v1::CreateRunRequest& request) {
  Run run;
  run.train_number = request.train_number();
  if (run.train_number.empty() || run.train_number.size() > 16 ||
      !std::all_of(run.train_number.begin(), run.train_number.end(),
                   [](unsigned char c) { return std::isalnum(c); })) {
    return InvalidArgument("train_number must be 1-16 chars of [A-Za-z0-9]");
  }
  auto date = ParseDay("service_date", request.service_date());
  if (!date.ok()) return date.status();
  run.service_date = *date;
  run.run_id = RunId(run.train_number, run.service_date);
  run.currency = request.currency();
  if (request.stops_size() < 2 || request.stops_size() > kMaxLegs + 1) {
    return InvalidArgument(
        absl::StrCat("stops: 2..", std::min(64, kMaxLegs + 1), " stops"));
  }
  for (int i = 0; i < request.stops_size(); ++i) {
    const v1::StopSpec& s = request.stops(i);
    auto at = TimestampSeconds(absl::StrCat("stops[", i, "].departs_at"),
                               s.has_departs_at(), s.departs_at());
    if (!at.ok()) return at.status();
    run.stops.push_back({i, s.station(), *at});
  }
  for (const v1::SeatClassSpec& c : request.classes()) {
    run.classes.push_back({c.class_id(), c.price_per_leg_minor_units()});
  }
  std::sort(run.classes.begin(), run.classes.end(),
            [](const SeatClass& a, const SeatClass& b) {
              return a.class_id < b.class_id;
            });
  if (request.cars_size() < 1 || request.cars_size() > 99) {
    return InvalidArgument("cars: 1..99 cars");
  }
  std::set<int> cars;
  std::vector<v1::CarSpec> sorted(request.cars().begin(), request.cars().end());
  std::sort(sorted.begin(), sorted.end(),
            [](const v1::CarSpec& a, const v1::CarSpec& b) {
              return a.car() < b.car();
            });
  for (const v1::CarSpec& car : sorted) {
    if (car.car() < 1 || car.car() > 99) {
      return InvalidArgument("cars: car numbers are 1..99");
    }
    if (!cars.insert(car.car()).second) {
      return InvalidArgument(absl::StrCat("cars: car ", car.car(), " twice"));
    }
    if (car.seats() < 1 || car.seats() > 200) {
      return InvalidArgument(
          absl::StrCat("cars: car ", car.car(), " must have 1..200 seats"));
    }
    for (int n = 1; n <= car.seats(); ++n) {
      run.seats.push_back(
          {absl::StrCat(car.car(), "-", n), car.car(), n, car.class_id()});
    }
  }
  return run;
}

void ToProto(const Run& run, v1::Run* out) {
  out->set_run_id(run.run_id);
  out->set_train_number(run.train_number);
  out->set_service_date(absl::FormatCivilTime(run.service_date));
  out->set_currency(run.currency);
  for (const Stop& stop : run.stops) {
    v1::StopInfo* s = out->add_stops();
    s->set_index(stop.index);
    s->set_station(stop.station);
    SetSeconds(s->mutable_departs_at(), stop.departs_at_unix);
  }
  for (const SeatClass& c : run.classes) {
    v1::SeatClassSpec* cs = out->add_classes();
    cs->set_class_id(c.class_id);
    cs->set_price_per_leg_minor_units(c.price_per_leg_minor);
  }
  for (const RunSeat& seat : run.seats) {
    v1::RunSeatInfo* s = out->add_seats();
    s->set_seat_id(seat.seat_id);
    s->set_car(seat.car);
    s->set_number(seat.number);
    s->set_class_id(seat.class_id);
  }
}

void ToProto(const CachedVenue& venue, absl::CivilDay venue_day,
             const UnitRange& slots, v1::SlotWindow* out) {
  const SlotGrid grid = SlotGrid::Of(venue.venue);
  out->set_venue_day(absl::FormatCivilTime(venue_day));
  out->set_from_slot(slots.from);
  out->set_to_slot(slots.to);
  SetSeconds(out->mutable_starts_at(),
             absl::ToUnixSeconds(absl::FromCivil(
                 SlotStart(grid, venue_day, slots.from), venue.tz)));
  SetSeconds(out->mutable_ends_at(),
             absl::ToUnixSeconds(absl::FromCivil(
                 SlotStart(grid, venue_day, slots.to), venue.tz)));
}

std::string MachineOfResource(const std::string& resource_id) {
  std::vector<std::string> parts = absl::StrSplit(resource_id, ':');
  return parts.size() == 4 ? parts[2] : resource_id;
}

std::string SeatOfResource(const std::string& resource_id) {
  const size_t colon = resource_id.rfind(':');
  return colon == std::string::npos ? resource_id
                                    : resource_id.substr(colon + 1);
}

void SetMoney(const std::string& currency, int64_t minor, v1::Money* out) {
  out->set_currency(currency);
  out->set_minor_units(minor);
}

}  // namespace turnstile::booking
