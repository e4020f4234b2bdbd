// Row helpers shared by the booking store's files (store.cc,
// store_tcc.cc, store_reads.cc): the booking row columns and their parsing, and
// the barrier lookup of decided branches. Internal to the store; nothing
// outside services/booking/store* includes it.
#pragma once

#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "services/booking/booking_errors.h"
#include "services/booking/model.h"
#include "services/common/pg_array.h"

namespace turnstile::booking::store_rows {

using ::turnstile::TextArray;

// The columns ReadRow reads, in its order.
inline constexpr char kRowColumns[] =
    "resource_id, lower(during), upper(during), state, coalesce(doc_id, '')";

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
