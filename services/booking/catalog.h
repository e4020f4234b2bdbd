// The venues and runs of the booking participant, cached in memory. A venue
// or a run never changes after its Create, so once known the availability
// reads and the Try's checks (unknown zone, machine, class, seat; a window
// off the grid) need no PostgreSQL round trip. Filled by the Create
// handlers (no query) or on first use through the store's GetVenue / GetRun
// (one query; single-flight per id, so a rush on a new run reads it once).
// Bounded: at most `max_entries` venues and runs together, the oldest
// loaded dropped first (they are loaded again when asked for). Each entry
// carries the indexes the handlers need (zone, machine and class by id,
// the seats of each class).
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/booking/model.h"

namespace turnstile::booking {

// A venue with its time zone loaded and its ids indexed.
struct CachedVenue {
  Venue venue;
  absl::TimeZone tz;
  int slot_count = 0;                          // slots of one venue-day
  std::map<std::string, size_t> zone_index;    // zone id -> venue.zones[i]
  std::map<std::string, size_t> machine_zone;  // machine id -> zone index

  const Zone* FindZone(const std::string& zone_id) const;
};

// A run with its classes and seats indexed.
struct CachedRun {
  Run run;
  int legs = 0;                               // stops - 1
  std::map<std::string, size_t> class_index;  // class id -> run.classes[i]
  std::map<std::string, size_t> seat_index;   // seat id -> run.seats[i]
  // Seat ids of each class, in (car, number) order.
  std::map<std::string, std::vector<std::string>> class_seats;

  const SeatClass* FindClass(const std::string& class_id) const;
  const RunSeat* FindSeat(const std::string& seat_id) const;
};

std::shared_ptr<const CachedVenue> IndexVenue(Venue venue);
std::shared_ptr<const CachedRun> IndexRun(Run run);

class BookingCatalog {
 public:
  // NOT_FOUND (VENUE_NOT_FOUND / RUN_NOT_FOUND) for an unknown id.
  using VenueLoader =
      std::function<absl::StatusOr<Venue>(const std::string& venue_id)>;
  using RunLoader =
      std::function<absl::StatusOr<Run>(const std::string& run_id)>;

  BookingCatalog(VenueLoader venues, RunLoader runs, size_t max_entries);

  // The venue or run, cached or loaded now; a load's error as it is.
  absl::StatusOr<std::shared_ptr<const CachedVenue>> GetVenue(
      const std::string& venue_id);
  absl::StatusOr<std::shared_ptr<const CachedRun>> GetRun(
      const std::string& run_id);

  // Caches what a Create just stored (no query).
  void PutVenue(Venue venue);
  void PutRun(Run run);

  size_t size() const;

 private:
  template <typename T>
  struct Slot {
    std::mutex mu;  // held while loading: one load per id at a time
    std::shared_ptr<const T> value;
  };
  template <typename T, typename Loader, typename Index>
  absl::StatusOr<std::shared_ptr<const T>> Get(
      std::map<std::string, std::shared_ptr<Slot<T>>>& slots,
      const std::string& prefix, const std::string& id, const Loader& load,
      const Index& index);
  // Records `key` as loaded and drops the oldest entries beyond the bound.
  // Requires mu_.
  void Loaded(const std::string& key);

  const VenueLoader venue_loader_;
  const RunLoader run_loader_;
  const size_t max_entries_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Slot<CachedVenue>>> venues_;
  std::map<std::string, std::shared_ptr<Slot<CachedRun>>> runs_;
  std::deque<std::string> order_;  // "v:<id>" / "r:<id>", load order
};

}  // namespace turnstile::booking
