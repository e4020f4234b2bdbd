// Resource and gate names of the booking participant (model.h).
#include "services/booking/model.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace turnstile::booking {
namespace {
std::string Date(absl::CivilDay day) {
  return absl::FormatCivilTime(day);  // YYYY-MM-DD
}
}  // namespace

std::string MachineResource(const std::string& venue_id,
                            const std::string& machine_id, absl::CivilDay day) {
  return absl::StrCat("m:", venue_id, ":", machine_id, ":", Date(day));
}

std::string SeatResource(const std::string& run_id,
                         const std::string& seat_id) {
  return absl::StrCat("s:", run_id, ":", seat_id);
}

std::string VenueDayGate(const std::string& venue_id, absl::CivilDay day) {
  return absl::StrCat("v:", venue_id, ":", Date(day));
}

std::string RunGate(const std::string& run_id) {
  return absl::StrCat("r:", run_id);
}

std::string RunId(const std::string& train_number, absl::CivilDay date) {
  return absl::StrCat(train_number, ":", Date(date));
}

std::string BranchOwner(const std::string& gid, const std::string& branch_id) {
  std::string lower = gid;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return absl::StrCat(lower, ":", branch_id);
}

}  // namespace turnstile::booking
