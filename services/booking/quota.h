// Which booking_quota keys (sql/booking/0001_init.sql) a Try takes and a
// Cancel gives back, pure. Every HELD or SOLD row counts one unit against
//   "doc:<doc_id>:<YYYY-MM-DD>"    its passenger's document on its day,
//   "user-day:<user>:<YYYY-MM-DD>" its user on its day,
//   "user-run:<user>:<run>"        its user on its run (run gates only),
// so a Cancel can give back exactly what its Try took from the rows it
// deletes alone. A Try takes every key even when its limit is unlimited
// (0 -> the largest int), so that the counts stay exact for a later, limited
// Try. Keys are sorted: concurrent Tries update quota rows in one order and
// cannot deadlock on them.
#pragma once

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "services/booking/model.h"

namespace turnstile::booking {

struct QuotaUse {
  std::string key;
  int units = 0;
  int limit = 0;     // Take only; never 0 (unlimited is the largest int)
  std::string kind;  // "doc", "user-day" or "user-run" (error metadata)

  bool operator==(const QuotaUse& o) const {
    return key == o.key && units == o.units && limit == o.limit &&
           kind == o.kind;
  }
};

// The uses a Try of `command` takes, sorted by key.
std::vector<QuotaUse> QuotaTakes(const HoldCommand& command);

// The uses that rows of one branch (user, gate, day as stored) give back,
// sorted by key; limits are 0.
std::vector<QuotaUse> QuotaGives(const std::string& user_id,
                                 const std::string& gate_key,
                                 absl::CivilDay day,
                                 const std::vector<BookingRow>& rows);

}  // namespace turnstile::booking
