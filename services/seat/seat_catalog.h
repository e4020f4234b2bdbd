// The seat ids of each event, cached in memory. A seat map never changes
// after CreateEvent, so once known the Try path can refuse unknown seats
// before the gate and PostgreSQL, keeping "an unknown seat wins over a taken
// one" without any round trip, and so that the gate only ever records seats
// that exist. Filled by CreateEvent (no query), by the start-up warm-up, or
// on the first Try of an event this process has not seen (one query; loads
// are single-flight per event, so a flash sale's first second does not read
// the map a thousand times). Holds at most `max_seats` seat ids in all,
// dropping the oldest events first.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace turnstile::seat {

class SeatCatalog {
 public:
  // Returns every seat id of an event; NOT_FOUND (EVENT_NOT_FOUND) if unknown.
  using Loader = std::function<absl::StatusOr<std::vector<std::string>>(
      const std::string& event_id)>;

  SeatCatalog(Loader loader, int64_t max_seats);

  // OK if the event exists and has every seat of `seat_ids`; NOT_FOUND
  // (EVENT_NOT_FOUND, SEAT_NOT_FOUND naming the unknown seats) otherwise.
  // Errors of a load (e.g. UNAVAILABLE) are returned as they are.
  absl::Status Check(const std::string& event_id,
                     const std::vector<std::string>& seat_ids);

  // Caches the seat ids of an event just created (no query).
  void Put(const std::string& event_id, std::vector<std::string> seat_ids);
  // Loads the event's seat ids now unless cached (start-up warm-up, so that
  // even the first Try after a restart needs no query); false once the cache
  // is full (nothing loaded then).
  absl::StatusOr<bool> Warm(const std::string& event_id);

  // Number of events loaded (tests, logs).
  size_t events() const;

 private:
  using SeatSet = absl::flat_hash_set<std::string>;
  struct Slot {
    std::mutex mu;  // held while loading: one load per event at a time
    std::shared_ptr<const SeatSet> seats;
  };

  absl::StatusOr<std::shared_ptr<const SeatSet>> Get(
      const std::string& event_id);
  // Records a loaded event and evicts the oldest others beyond max_seats_.
  // Requires mu_.
  void AddLoaded(const std::string& event_id, int64_t seats);

  const Loader loader_;
  const int64_t max_seats_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Slot>> slots_;
  std::deque<std::string> loaded_;  // load order, for eviction
  int64_t cached_seats_ = 0;
};

}  // namespace turnstile::seat
