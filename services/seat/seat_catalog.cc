#include "services/seat/seat_catalog.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/common/status.h"

namespace turnstile::seat {

SeatCatalog::SeatCatalog(Loader loader, int64_t max_seats)
    : loader_(std::move(loader)), max_seats_(std::max<int64_t>(1, max_seats)) {}

size_t SeatCatalog::events() const {
  std::lock_guard lock(mu_);
  return loaded_.size();
}

absl::StatusOr<std::shared_ptr<const SeatCatalog::SeatSet>> SeatCatalog::Get(
    const std::string& event_id) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard lock(mu_);
    auto& entry = slots_[event_id];
    if (!entry) entry = std::make_shared<Slot>();
    slot = entry;
  }
  std::lock_guard load_lock(slot->mu);
  if (slot->seats) return slot->seats;
  auto ids = loader_(event_id);
  if (!ids.ok()) {
    // Unknown ids must not pile up; a later CreateEvent may still add it.
    std::lock_guard lock(mu_);
    auto it = slots_.find(event_id);
    if (it != slots_.end() && it->second == slot) slots_.erase(it);
    return ids.status();
  }
  auto seats = std::make_shared<SeatSet>(ids->begin(), ids->end());
  slot->seats = seats;
  std::lock_guard lock(mu_);
  AddLoaded(event_id, static_cast<int64_t>(seats->size()));
  return seats;
}

void SeatCatalog::AddLoaded(const std::string& event_id, int64_t seats) {
  loaded_.push_back(event_id);
  cached_seats_ += seats;
  while (cached_seats_ > max_seats_ && loaded_.size() > 1) {
    const std::string victim = loaded_.front();
    loaded_.pop_front();
    auto it = slots_.find(victim);
    if (it == slots_.end()) continue;
    if (it->second->seats) {
      cached_seats_ -= static_cast<int64_t>(it->second->seats->size());
    }
    slots_.erase(it);
    spdlog::info("event=seat_catalog_evicted event_id={}", victim);
  }
}

void SeatCatalog::Put(const std::string& event_id,
                      std::vector<std::string> seat_ids) {
  auto seats =
      std::make_shared<SeatSet>(std::make_move_iterator(seat_ids.begin()),
                                std::make_move_iterator(seat_ids.end()));
  auto slot = std::make_shared<Slot>();
  slot->seats = seats;  // not shared yet: no lock needed
  std::lock_guard lock(mu_);
  // A slot already there is loaded or being loaded by a Try: it wins.
  if (!slots_.emplace(event_id, slot).second) return;
  AddLoaded(event_id, static_cast<int64_t>(seats->size()));
}

absl::StatusOr<bool> SeatCatalog::Warm(const std::string& event_id) {
  {
    std::lock_guard lock(mu_);
    if (cached_seats_ >= max_seats_) return false;
  }
  auto seats = Get(event_id);
  if (!seats.ok()) return seats.status();
  return true;
}

absl::Status SeatCatalog::Check(const std::string& event_id,
                                const std::vector<std::string>& seat_ids) {
  auto seats = Get(event_id);
  if (!seats.ok()) return seats.status();
  std::vector<std::string> missing;
  for (const std::string& id : seat_ids) {
    if (!(*seats)->contains(id)) missing.push_back(id);
  }
  if (missing.empty()) return absl::OkStatus();
  if (missing.size() > 5) {
    missing.resize(5);
    missing.push_back("...");
  }
  return Error(absl::StatusCode::kNotFound, "SEAT_NOT_FOUND",
               absl::StrCat("event ", event_id, " has no seat ",
                            absl::StrJoin(missing, ", ")));
}

}  // namespace turnstile::seat
