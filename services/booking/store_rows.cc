// Row and array helpers of the booking store (store_rows.h).
#include "services/booking/store_rows.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/match.h"

namespace turnstile::booking::store_rows {

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

absl::CivilDay ParseDay(const std::string& text) {
  absl::CivilDay day;
  absl::ParseCivilTime(text, &day);
  return day;
}

BookingRow ReadRow(const pqxx::row& row) {
  BookingRow out;
  out.resource_id = row[0].as<std::string>();
  out.range = {row[1].as<int>(), row[2].as<int>()};
  out.state = row[3].as<std::string>() == "SOLD" ? BookingState::kSold
                                                 : BookingState::kHeld;
  out.doc_id = row[4].as<std::string>();
  return out;
}

ResourceKind KindOfGate(const std::string& gate_key) {
  return absl::StartsWith(gate_key, "r:") ? ResourceKind::kSeat
                                          : ResourceKind::kMachine;
}
void AddRows(const pqxx::result& rows, BranchBookings* out) {
  for (const auto& row : rows) {
    out->rows.push_back(ReadRow(row));
    out->gate_key = row[5].as<std::string>();
    out->user_id = row[6].as<std::string>();
    out->day = ParseDay(row[7].as<std::string>());
  }
  std::sort(out->rows.begin(), out->rows.end(),
            [](const BookingRow& a, const BookingRow& b) {
              return std::tie(a.resource_id, a.range.from) <
                     std::tie(b.resource_id, b.range.from);
            });
}

std::vector<std::pair<std::string, int64_t>> FinishedOwners(
    pqxx::work& tx,
    const std::vector<std::pair<std::string, std::string>>& owners) {
  std::vector<std::pair<std::string, int64_t>> out;
  if (owners.empty()) return out;
  std::vector<std::string> gids, branches;
  for (const auto& [gid, branch] : owners) {
    gids.push_back(gid);
    branches.push_back(branch);
  }
  for (const auto& row : tx.exec_prepared("bk_finished_owners", TextArray(gids),
                                          TextArray(branches))) {
    out.emplace_back(
        absl::StrCat(row[0].as<std::string>(), ":", row[1].as<std::string>()),
        row[2].as<int64_t>());
  }
  return out;
}

}  // namespace turnstile::booking::store_rows
