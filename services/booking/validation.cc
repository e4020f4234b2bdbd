// Input rules of the booking store's commands (validation.h).
#include "services/booking/validation.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/booking/slots.h"
#include "services/common/status.h"
#include "services/common/try_content.h"
#include "services/common/validate.h"

namespace turnstile::booking {
namespace {

#define RETURN_IF_ERROR(expr)          \
  do {                                 \
    absl::Status _status = (expr);     \
    if (!_status.ok()) return _status; \
  } while (false)

// CheckId without ':' (the separator of resource and gate names).
absl::Status CheckNameId(const std::string& field, const std::string& value) {
  RETURN_IF_ERROR(CheckId(field, value));
  if (absl::StrContains(value, ':')) {
    return InvalidArgument(absl::StrCat(field, " must not contain ':'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateVenue(const Venue& venue) {
  RETURN_IF_ERROR(CheckNameId("venue_id", venue.venue_id));
  RETURN_IF_ERROR(CheckText("name", venue.name, 200));
  absl::TimeZone tz;
  if (venue.tz_name.empty() || !absl::LoadTimeZone(venue.tz_name, &tz)) {
    return InvalidArgument(
        absl::StrCat("tz_name: unknown time zone '", venue.tz_name, "'"));
  }
  RETURN_IF_ERROR(CheckCurrency("currency", venue.currency));
  RETURN_IF_ERROR(ValidateGrid(SlotGrid::Of(venue)));
  RETURN_IF_ERROR(CheckRange("zones", venue.zones.size(), 1, 64));
  std::set<std::string> zone_ids, machine_ids;
  for (const Zone& zone : venue.zones) {
    RETURN_IF_ERROR(CheckNameId("zone_id", zone.zone_id));
    if (!zone_ids.insert(zone.zone_id).second) {
      return InvalidArgument(absl::StrCat("zone_id ", zone.zone_id, " twice"));
    }
    RETURN_IF_ERROR(CheckText("zone name", zone.name, 200));
    RETURN_IF_ERROR(CheckRange("price_per_hour_minor",
                               zone.price_per_hour_minor, 0, int64_t{1} << 40));
    RETURN_IF_ERROR(CheckRange("packages", zone.packages.size(), 0, 16));
    std::set<std::string> package_ids;
    for (const Package& p : zone.packages) {
      RETURN_IF_ERROR(CheckNameId("package_id", p.package_id));
      if (!package_ids.insert(p.package_id).second) {
        return InvalidArgument(absl::StrCat("package_id ", p.package_id,
                                            " twice in ", zone.zone_id));
      }
      RETURN_IF_ERROR(CheckRange("hours", p.hours, 1, 24));
      RETURN_IF_ERROR(
          CheckRange("price_minor", p.price_minor, 0, int64_t{1} << 40));
    }
    RETURN_IF_ERROR(CheckRange("machines", zone.machine_ids.size(), 1, 1000));
    for (const std::string& m : zone.machine_ids) {
      RETURN_IF_ERROR(CheckNameId("machine_id", m));
      if (!machine_ids.insert(m).second) {
        return InvalidArgument(absl::StrCat("machine_id ", m, " twice"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRun(const Run& run) {
  RETURN_IF_ERROR(CheckNameId("train_number", run.train_number));
  if (run.service_date.year() < 2000 || run.service_date.year() > 2199) {
    return InvalidArgument("service_date: out of range");
  }
  if (run.run_id != RunId(run.train_number, run.service_date)) {
    return InvalidArgument(absl::StrCat(
        "run_id must be ", RunId(run.train_number, run.service_date)));
  }
  RETURN_IF_ERROR(CheckCurrency("currency", run.currency));
  RETURN_IF_ERROR(CheckRange("stops", run.stops.size(), 2, 64));
  for (size_t i = 0; i < run.stops.size(); ++i) {
    const Stop& stop = run.stops[i];
    if (stop.index != static_cast<int>(i)) {
      return InvalidArgument(
          absl::StrCat("stop ", i, " has index ", stop.index));
    }
    RETURN_IF_ERROR(CheckText("station", stop.station, 200));
    RETURN_IF_ERROR(
        CheckRange("departs_at", stop.departs_at_unix, 0, int64_t{1} << 40));
    if (i > 0 && stop.departs_at_unix <= run.stops[i - 1].departs_at_unix) {
      return InvalidArgument(
          absl::StrCat("stop ", i, " does not come after stop ", i - 1));
    }
  }
  RETURN_IF_ERROR(CheckRange("classes", run.classes.size(), 1, 16));
  std::set<std::string> class_ids;
  for (const SeatClass& c : run.classes) {
    RETURN_IF_ERROR(CheckNameId("class_id", c.class_id));
    if (!class_ids.insert(c.class_id).second) {
      return InvalidArgument(absl::StrCat("class_id ", c.class_id, " twice"));
    }
    RETURN_IF_ERROR(CheckRange("price_per_leg_minor", c.price_per_leg_minor, 0,
                               int64_t{1} << 40));
  }
  RETURN_IF_ERROR(CheckRange("seats", run.seats.size(), 1, 5000));
  std::set<std::string> seat_ids;
  std::set<std::pair<int, int>> places;
  for (const RunSeat& s : run.seats) {
    RETURN_IF_ERROR(CheckNameId("seat_id", s.seat_id));
    if (!seat_ids.insert(s.seat_id).second) {
      return InvalidArgument(absl::StrCat("seat_id ", s.seat_id, " twice"));
    }
    RETURN_IF_ERROR(CheckRange("car", s.car, 1, 1000));
    RETURN_IF_ERROR(CheckRange("number", s.number, 1, 10000));
    if (!places.insert({s.car, s.number}).second) {
      return InvalidArgument(
          absl::StrCat("car ", s.car, " seat number ", s.number, " twice"));
    }
    if (!class_ids.count(s.class_id)) {
      return InvalidArgument(
          absl::StrCat("seat ", s.seat_id, ": unknown class_id ", s.class_id));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateHold(const HoldCommand& command) {
  RETURN_IF_ERROR(CheckUuid("gid", command.gid));
  RETURN_IF_ERROR(CheckBranchId("branch_id", command.branch_id));
  RETURN_IF_ERROR(CheckId("user_id", command.user_id, 128));
  const bool venue = absl::StartsWith(command.gate_key, "v:");
  const bool run = absl::StartsWith(command.gate_key, "r:");
  if ((!venue && !run) || command.gate_key.size() < 3) {
    return InvalidArgument("gate_key must start with v: or r:");
  }
  RETURN_IF_ERROR(CheckId("gate_key", command.gate_key, 160));
  if (command.deadline_ms <= 0) {
    return InvalidArgument("deadline_ms must be positive");
  }
  RETURN_IF_ERROR(CheckRange("items", command.items.size(), 1, kMaxHoldItems));
  const std::string prefix = venue ? "m:" : "s:";
  for (const HoldItem& item : command.items) {
    RETURN_IF_ERROR(CheckId("resource_id", item.resource_id, 200));
    if (!absl::StartsWith(item.resource_id, prefix)) {
      return InvalidArgument(absl::StrCat("resource_id ", item.resource_id,
                                          " is not of gate ",
                                          command.gate_key));
    }
    if (item.range.from < 0 || item.range.to > 1440 || item.range.empty()) {
      return InvalidArgument(
          absl::StrCat("range [", item.range.from, ",", item.range.to, ") of ",
                       item.resource_id, " is empty, reversed or too long"));
    }
    if (run || !item.doc_id.empty()) {
      RETURN_IF_ERROR(CheckId("doc_id", item.doc_id, 64));
    }
  }
  const HoldCommand sorted = SortedItems(command);
  for (size_t i = 1; i < sorted.items.size(); ++i) {
    const HoldItem& a = sorted.items[i - 1];
    const HoldItem& b = sorted.items[i];
    if (a.resource_id == b.resource_id && a.range.Overlaps(b.range)) {
      return InvalidArgument(
          absl::StrCat("resource ", a.resource_id, " twice over one range"));
    }
  }
  if (command.limits.per_doc_day < 0 || command.limits.per_user_day < 0 ||
      command.limits.per_user_run < 0) {
    return InvalidArgument("limits must not be negative");
  }
  return absl::OkStatus();
}

std::string TryContentOf(const HoldCommand& command) {
  const HoldCommand sorted = SortedItems(command);
  TryContent content;
  content.Add("user", sorted.user_id)
      .Add("gate", sorted.gate_key)
      .Add("day", absl::FormatCivilTime(sorted.day))
      .Add("items", static_cast<int64_t>(sorted.items.size()));
  for (const HoldItem& item : sorted.items) {
    content.Add("resource", item.resource_id)
        .Add("from", item.range.from)
        .Add("to", item.range.to)
        .Add("doc", item.doc_id);
  }
  return content.str();
}

HoldCommand SortedItems(HoldCommand command) {
  std::sort(command.items.begin(), command.items.end(),
            [](const HoldItem& a, const HoldItem& b) {
              return std::tie(a.resource_id, a.range.from, a.range.to) <
                     std::tie(b.resource_id, b.range.from, b.range.to);
            });
  return command;
}

}  // namespace turnstile::booking
