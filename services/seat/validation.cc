#include "services/seat/validation.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "services/common/status.h"
#include "services/common/try_content.h"
#include "services/common/validate.h"

namespace turnstile::seat {
namespace {

absl::Status CheckSectionName(const std::string& field,
                              const std::string& name) {
  if (name.empty() || name.size() > kMaxSectionNameLen) {
    return InvalidArgument(
        absl::StrCat(field, " must be 1-", kMaxSectionNameLen, " chars"));
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9'))) {
      return InvalidArgument(absl::StrCat(field, " may hold only [A-Za-z0-9]"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string SeatId(const std::string& section, int64_t row, int64_t number) {
  return absl::StrCat(section, "-", row, "-", number);
}

std::vector<std::string> SeatIds(const std::vector<SectionSpec>& sections) {
  std::vector<std::string> ids;
  ids.reserve(static_cast<size_t>(SeatCount(sections)));
  for (const SectionSpec& section : sections) {
    for (int64_t row = 1; row <= section.rows; ++row) {
      for (int64_t n = 1; n <= section.seats_per_row; ++n) {
        ids.push_back(SeatId(section.name, row, n));
      }
    }
  }
  return ids;
}

int64_t SeatCount(const std::vector<SectionSpec>& sections) {
  int64_t count = 0;
  for (const SectionSpec& s : sections) count += s.rows * s.seats_per_row;
  return count;
}

absl::Status ValidateEventId(const std::string& event_id) {
  return CheckId("event_id", event_id);
}

absl::Status ValidateNewEvent(const NewEvent& event) {
  if (auto s = ValidateEventId(event.event_id); !s.ok()) return s;
  if (auto s = CheckText("name", event.name, kMaxNameLen); !s.ok()) return s;
  if (auto s = CheckCurrency("currency", event.currency); !s.ok()) return s;
  if (!event.has_starts_at) return InvalidArgument("starts_at is required");
  if (auto s = CheckRange("starts_at.seconds", event.starts_at_seconds,
                          kMinStartsAtSeconds, kMaxStartsAtSeconds);
      !s.ok()) {
    return s;
  }
  if (auto s =
          CheckRange("starts_at.nanos", event.starts_at_nanos, 0, 999'999'999);
      !s.ok()) {
    return s;
  }
  if (event.sections.empty() || event.sections.size() > kMaxSections) {
    return InvalidArgument(absl::StrCat("sections must hold 1..", kMaxSections,
                                        " sections, got ",
                                        event.sections.size()));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < event.sections.size(); ++i) {
    const SectionSpec& section = event.sections[i];
    const std::string field = absl::StrCat("sections[", i, "]");
    for (absl::Status s :
         {CheckSectionName(absl::StrCat(field, ".name"), section.name),
          CheckRange(absl::StrCat(field, ".rows"), section.rows, 1, kMaxRows),
          CheckRange(absl::StrCat(field, ".seats_per_row"),
                     section.seats_per_row, 1, kMaxSeatsPerRow),
          CheckRange(absl::StrCat(field, ".price_minor_units"),
                     section.price_minor, 0, kMaxPriceMinor)}) {
      if (!s.ok()) return s;
    }
    if (!names.insert(section.name).second) {
      return InvalidArgument(
          absl::StrCat(field, ".name ", section.name, " appears twice"));
    }
  }
  if (const int64_t count = SeatCount(event.sections);
      count > kMaxSeatsPerEvent) {
    return InvalidArgument(absl::StrCat("the sections define ", count,
                                        " seats; at most ", kMaxSeatsPerEvent,
                                        " per event"));
  }
  return absl::OkStatus();
}

absl::Status ValidateTxn(const std::string& gid, const std::string& branch_id) {
  if (auto s = CheckUuid("txn.gid", gid); !s.ok()) return s;
  return CheckBranchId("txn.branch_id", branch_id);
}

absl::Status ValidateHold(const HoldCommand& command) {
  if (auto s = ValidateTxn(command.gid, command.branch_id); !s.ok()) return s;
  if (auto s = CheckId("user_id", command.user_id); !s.ok()) return s;
  if (auto s = ValidateEventId(command.event_id); !s.ok()) return s;
  if (command.seat_ids.empty() || command.seat_ids.size() > kMaxSeatsPerHold) {
    return InvalidArgument(absl::StrCat("seat_ids must hold 1..",
                                        kMaxSeatsPerHold, " seats, got ",
                                        command.seat_ids.size()));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < command.seat_ids.size(); ++i) {
    const std::string field = absl::StrCat("seat_ids[", i, "]");
    if (auto s = CheckId(field, command.seat_ids[i]); !s.ok()) return s;
    if (!seen.insert(command.seat_ids[i]).second) {
      return InvalidArgument(
          absl::StrCat(field, " ", command.seat_ids[i], " appears twice"));
    }
  }
  return absl::OkStatus();
}

std::string TryContentOf(const HoldCommand& command) {
  TryContent content;
  content.Add("user", command.user_id)
      .Add("event", command.event_id)
      .Add("seats", static_cast<int64_t>(command.seat_ids.size()));
  for (const std::string& seat : command.seat_ids) content.Add("seat", seat);
  return content.str();
}

HoldCommand SortedSeats(HoldCommand command) {
  std::sort(command.seat_ids.begin(), command.seat_ids.end());
  return command;
}

}  // namespace turnstile::seat
