// Quota keys of a Try and of a Cancel (quota.h).
#include "services/booking/quota.h"

#include <limits>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace turnstile::booking {
namespace {

int LimitOr(int limit) {
  return limit > 0 ? limit : std::numeric_limits<int>::max();
}

// Units per key for `doc_ids` (one per row, "" for none) of one user on one
// gate and day.
std::vector<QuotaUse> Uses(const std::string& user_id,
                           const std::string& gate_key, absl::CivilDay day,
                           const std::vector<std::string>& doc_ids,
                           const QuotaLimits* limits) {
  std::map<std::string, QuotaUse> by_key;
  const std::string date = absl::FormatCivilTime(day);
  auto add = [&](std::string key, const char* kind, int limit) {
    QuotaUse& use = by_key[key];
    use.key = std::move(key);
    use.kind = kind;
    use.limit = limits ? LimitOr(limit) : 0;
    ++use.units;
  };
  for (const std::string& doc : doc_ids) {
    if (!doc.empty()) {
      add(absl::StrCat("doc:", doc, ":", date), "doc",
          limits ? limits->per_doc_day : 0);
    }
    add(absl::StrCat("user-day:", user_id, ":", date), "user-day",
        limits ? limits->per_user_day : 0);
    if (absl::StartsWith(gate_key, "r:")) {
      add(absl::StrCat("user-run:", user_id, ":", gate_key.substr(2)),
          "user-run", limits ? limits->per_user_run : 0);
    }
  }
  std::vector<QuotaUse> out;
  out.reserve(by_key.size());
  for (auto& [key, use] : by_key) out.push_back(std::move(use));
  return out;
}

}  // namespace

std::vector<QuotaUse> QuotaTakes(const HoldCommand& command) {
  std::vector<std::string> docs;
  for (const HoldItem& item : command.items) docs.push_back(item.doc_id);
  return Uses(command.user_id, command.gate_key, command.day, docs,
              &command.limits);
}

std::vector<QuotaUse> QuotaGives(const std::string& user_id,
                                 const std::string& gate_key,
                                 absl::CivilDay day,
                                 const std::vector<BookingRow>& rows) {
  std::vector<std::string> docs;
  for (const BookingRow& row : rows) docs.push_back(row.doc_id);
  return Uses(user_id, gate_key, day, docs, nullptr);
}

}  // namespace turnstile::booking
