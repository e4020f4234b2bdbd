// The in-memory venue and run cache (catalog.h).
#include "services/booking/catalog.h"

#include <algorithm>
#include <utility>

#include "services/booking/slots.h"

namespace turnstile::booking {

const Zone* CachedVenue::FindZone(const std::string& zone_id) const {
  auto it = zone_index.find(zone_id);
  return it == zone_index.end() ? nullptr : &venue.zones[it->second];
}

const SeatClass* CachedRun::FindClass(const std::string& class_id) const {
  auto it = class_index.find(class_id);
  return it == class_index.end() ? nullptr : &run.classes[it->second];
}

const RunSeat* CachedRun::FindSeat(const std::string& seat_id) const {
  auto it = seat_index.find(seat_id);
  return it == seat_index.end() ? nullptr : &run.seats[it->second];
}

std::shared_ptr<const CachedVenue> IndexVenue(Venue venue) {
  auto out = std::make_shared<CachedVenue>();
  out->venue = std::move(venue);
  if (!absl::LoadTimeZone(out->venue.tz_name, &out->tz)) {
    out->tz = absl::UTCTimeZone();  // validated at creation; not reached
  }
  out->slot_count = SlotGrid::Of(out->venue).SlotCount();
  for (size_t z = 0; z < out->venue.zones.size(); ++z) {
    const Zone& zone = out->venue.zones[z];
    out->zone_index[zone.zone_id] = z;
    for (const std::string& m : zone.machine_ids) out->machine_zone[m] = z;
  }
  return out;
}

std::shared_ptr<const CachedRun> IndexRun(Run run) {
  auto out = std::make_shared<CachedRun>();
  out->run = std::move(run);
  out->legs = static_cast<int>(out->run.stops.size()) - 1;
  for (size_t c = 0; c < out->run.classes.size(); ++c) {
    out->class_index[out->run.classes[c].class_id] = c;
    out->class_seats[out->run.classes[c].class_id];
  }
  for (size_t s = 0; s < out->run.seats.size(); ++s) {
    const RunSeat& seat = out->run.seats[s];
    out->seat_index[seat.seat_id] = s;
    out->class_seats[seat.class_id].push_back(seat.seat_id);
  }
  return out;
}

BookingCatalog::BookingCatalog(VenueLoader venues, RunLoader runs,
                               size_t max_entries)
    : venue_loader_(std::move(venues)),
      run_loader_(std::move(runs)),
      max_entries_(max_entries < 1 ? 1 : max_entries) {}

template <typename T, typename Loader, typename Index>
absl::StatusOr<std::shared_ptr<const T>> BookingCatalog::Get(
    std::map<std::string, std::shared_ptr<Slot<T>>>& slots,
    const std::string& prefix, const std::string& id, const Loader& load,
    const Index& index) {
  std::shared_ptr<Slot<T>> slot;
  {
    std::lock_guard lock(mu_);
    auto& entry = slots[id];
    if (!entry) entry = std::make_shared<Slot<T>>();
    slot = entry;
  }
  std::lock_guard loading(slot->mu);
  {
    std::lock_guard lock(mu_);
    if (slot->value) return slot->value;
  }
  auto loaded = load(id);
  if (!loaded.ok()) {
    std::lock_guard lock(mu_);
    // Unknown ids must not pile up slots.
    if (auto it = slots.find(id); it != slots.end() && !it->second->value) {
      slots.erase(it);
    }
    return loaded.status();
  }
  auto value = index(*std::move(loaded));
  std::lock_guard lock(mu_);
  slot->value = value;
  slots[id] = slot;  // it may have been dropped meanwhile
  Loaded(prefix + id);
  return value;
}

absl::StatusOr<std::shared_ptr<const CachedVenue>> BookingCatalog::GetVenue(
    const std::string& venue_id) {
  return Get<CachedVenue>(venues_, "v:", venue_id, venue_loader_, &IndexVenue);
}

absl::StatusOr<std::shared_ptr<const CachedRun>> BookingCatalog::GetRun(
    const std::string& run_id) {
  return Get<CachedRun>(runs_, "r:", run_id, run_loader_, &IndexRun);
}

void BookingCatalog::PutVenue(Venue venue) {
  const std::string id = venue.venue_id;
  auto value = IndexVenue(std::move(venue));
  std::lock_guard lock(mu_);
  auto& slot = venues_[id];
  if (!slot) slot = std::make_shared<Slot<CachedVenue>>();
  slot->value = std::move(value);
  Loaded("v:" + id);
}

void BookingCatalog::PutRun(Run run) {
  const std::string id = run.run_id;
  auto value = IndexRun(std::move(run));
  std::lock_guard lock(mu_);
  auto& slot = runs_[id];
  if (!slot) slot = std::make_shared<Slot<CachedRun>>();
  slot->value = std::move(value);
  Loaded("r:" + id);
}

void BookingCatalog::Loaded(const std::string& key) {
  order_.erase(std::remove(order_.begin(), order_.end(), key), order_.end());
  order_.push_back(key);
  // Drop the oldest others (never the one just loaded) beyond the bound.
  while (venues_.size() + runs_.size() > max_entries_ && order_.size() > 1) {
    const std::string oldest = order_.front();
    order_.pop_front();
    if (oldest.rfind("v:", 0) == 0) {
      venues_.erase(oldest.substr(2));
    } else {
      runs_.erase(oldest.substr(2));
    }
  }
}

size_t BookingCatalog::size() const {
  std::lock_guard lock(mu_);
  return venues_.size() + runs_.size();
}

}  // namespace turnstile::booking
