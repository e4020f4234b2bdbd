// Row and array helpers shared by the booking store's files (store.cc,
// store_tcc.cc, store_reads.cc): PostgreSQL array literals, the booking
// row columns and their parsing, and the barrier lookup of decided
// branches. Internal to the store; nothing outside services/booking/store*
// includes it.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/booking/booking_errors.h"
#include "services/booking/model.h"

namespace turnstile::booking::store_rows {

// The columns ReadRow reads, in its order.
inline constexpr char kRowColumns[] =
    "resource_id, lower(during), upper(during), state, coalesce(doc_id, '')";

// A PostgreSQL array literal of quoted elements. Ids and texts reaching it
// are validated ids ([A-Za-z0-9_.:@-]) or station names; quotes and
// backslashes are escaped all the same.
std::string TextArray(const std::vector<std::string>& values);

// A PostgreSQL array literal of integers.
template <typename T>
std::string IntArray(const std::vector<T>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    absl::StrAppend(&out, i > 0 ? "," : "", values[i]);
  }
  out += '}';
  return out;
}

// A "YYYY-MM-DD" day as PostgreSQL prints it.
absl::CivilDay ParseDay(const std::string& text);

// A row of kRowColumns starting at column 0.
BookingRow ReadRow(const pqxx::row& row);

// Seats for run gates ("r:..."), machines for venue-day gates.
ResourceKind KindOfGate(const std::string& gate_key);

// Rows of a RETURNING with kRowColumns then gate_key, user_id, day, sorted
// by resource and start.
void AddRows(const pqxx::result& rows, BranchBookings* out);

// Which of `owners` (gid, branch_id) have a confirm or cancel barrier row,
// as "<gid>:<branch_id>" with the decision time (epoch ms).
std::vector<std::pair<std::string, int64_t>> FinishedOwners(
    pqxx::work& tx,
    const std::vector<std::pair<std::string, std::string>>& owners);

}  // namespace turnstile::booking::store_rows
