#include "services/order/booking_lines.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace turnstile::order {
namespace {

// An id of the booking catalogue: 1-64 chars of [A-Za-z0-9_.@-]; ':' is the
// separator of the booking service's resource names.
absl::Status CheckName(const std::string& field, const std::string& value) {
  if (auto s = CheckId(field, value); !s.ok()) return s;
  if (absl::StrContains(value, ':')) {
    return InvalidArgument(absl::StrCat(field, " may not contain ':'"));
  }
  return absl::OkStatus();
}

absl::Status CheckRunId(const std::string& field, const std::string& value) {
  const auto bad = InvalidArgument(absl::StrCat(
      field, " must be \"<train number>:<YYYY-MM-DD>\", e.g. G123:2026-12-24"));
  const size_t colon = value.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 16) return bad;
  for (size_t i = 0; i < colon; ++i) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(value[i]))) return bad;
  }
  const std::string date = value.substr(colon + 1);
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return bad;
  for (size_t i = 0; i < date.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (!absl::ascii_isdigit(static_cast<unsigned char>(date[i]))) return bad;
  }
  return absl::OkStatus();
}

// Distinct ids, each checked by `check`.
template <typename Ids, typename Check>
absl::Status CheckDistinct(const std::string& field, const Ids& ids,
                           Check check) {
  std::set<std::string> seen;
  for (int i = 0; i < ids.size(); ++i) {
    const std::string at = absl::StrCat(field, "[", i, "]");
    if (auto s = check(at, ids[i]); !s.ok()) return s;
    if (!seen.insert(ids[i]).second) {
      return InvalidArgument(absl::StrCat(at, " appears twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckSlotLine(const std::string& at, const v1::SlotHold& slot) {
  const std::string f = absl::StrCat(at, ".slot.");
  if (auto s = CheckName(f + "venue_id", slot.venue_id()); !s.ok()) return s;
  if (auto s = CheckName(f + "zone_id", slot.zone_id()); !s.ok()) return s;
  if (auto s = CheckRange(f + "machine_ids count", slot.machine_ids_size(), 0,
                          kMaxSlotMachines);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckDistinct(f + "machine_ids", slot.machine_ids(), CheckName);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckRange(f + "machines", slot.machines(), 0, kMaxSlotMachines);
      !s.ok()) {
    return s;
  }
  if (slot.machine_ids_size() > 0 && slot.machines() != 0 &&
      slot.machines() != slot.machine_ids_size()) {
    return InvalidArgument(absl::StrCat(
        f,
        "machines must be 0 or the number of machine_ids when they are "
        "given"));
  }
  if (!slot.has_starts_at()) {
    return InvalidArgument(absl::StrCat(f, "starts_at is required"));
  }
  if (slot.starts_at().seconds() <= 0 || slot.starts_at().nanos() < 0 ||
      slot.starts_at().nanos() > 999'999'999) {
    return InvalidArgument(
        absl::StrCat(f, "starts_at is not a valid time after 1970"));
  }
  const bool by_package = !slot.package_id().empty();
  if (by_package == (slot.duration_minutes() != 0)) {
    return InvalidArgument(absl::StrCat(
        f, "package_id or duration_minutes: set exactly one of them"));
  }
  if (by_package) return CheckName(f + "package_id", slot.package_id());
  return CheckRange(f + "duration_minutes", slot.duration_minutes(), 1,
                    kMaxSlotMinutes);
}

absl::Status CheckLegLine(const std::string& at, const v1::LegHold& leg) {
  const std::string f = absl::StrCat(at, ".leg.");
  if (auto s = CheckRunId(f + "run_id", leg.run_id()); !s.ok()) return s;
  if (auto s =
          CheckRange(f + "from_stop", leg.from_stop(), 0, kMaxStopIndex - 1);
      !s.ok()) {
    return s;
  }
  if (leg.to_stop() <= leg.from_stop()) {
    return InvalidArgument(absl::StrCat(f, "to_stop must be after from_stop (",
                                        leg.from_stop(), "), got ",
                                        leg.to_stop()));
  }
  if (auto s = CheckRange(f + "to_stop", leg.to_stop(), 1, kMaxStopIndex);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckName(f + "class_id", leg.class_id()); !s.ok()) return s;
  if (auto s = CheckRange(f + "passengers count", leg.passengers_size(), 1,
                          kMaxPassengers);
      !s.ok()) {
    return s;
  }
  std::set<std::string> docs;
  for (int i = 0; i < leg.passengers_size(); ++i) {
    const std::string field = absl::StrCat(f, "passengers[", i, "].doc_id");
    const std::string& doc = leg.passengers(i).doc_id();
    if (auto s = CheckName(field, doc); !s.ok()) return s;
    if (!docs.insert(doc).second) {
      return InvalidArgument(absl::StrCat(field, " appears twice"));
    }
  }
  if (leg.seat_ids_size() != 0 &&
      leg.seat_ids_size() != leg.passengers_size()) {
    return InvalidArgument(
        absl::StrCat(f, "seat_ids must be empty or one seat per passenger (",
                     leg.passengers_size(), "), got ", leg.seat_ids_size()));
  }
  return CheckDistinct(f + "seat_ids", leg.seat_ids(), CheckName);
}

int SlotItemCount(const v1::SlotHold& slot) {
  if (slot.machine_ids_size() > 0) return slot.machine_ids_size();
  return slot.machines() > 0 ? slot.machines() : 1;
}

int LegItemCount(const v1::LegHold& leg) { return leg.passengers_size(); }

}  // namespace turnstile::order
