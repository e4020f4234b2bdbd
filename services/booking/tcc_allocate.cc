// The allocating side of the booking Try (tcc.h): the resources of a slot
// or leg Try -- the machines asked for or "any n machines of a zone", the
// seats chosen or the best seats of a class over the legs -- read from the
// gate, chosen (slots.h FreeMachines, seat_choice.h ChooseSeats) and held
// through BookingTcc::HoldItems, again with a fresh snapshot while other
// buyers win the resources chosen, within the ChooseBudget.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "services/booking/seat_choice.h"
#include "services/booking/slots.h"
#include "services/booking/tcc.h"
#include "services/common/gate_metrics.h"
#include "services/common/status.h"

namespace turnstile::booking {
namespace {

uint64_t LegBits(const UnitRange& r) {
  uint64_t bits = 0;
  for (int k = std::max(0, r.from); k < r.to && k < 64; ++k) {
    bits |= uint64_t{1} << k;
  }
  return bits;
}

// How long an allocating Try keeps choosing after TAKEN answers. A round
// lost to another buyer who won (the free count went down) is progress and
// costs nothing, since every contended round sells something; a round
// without progress is a stall, and `stalls` of them end the Try. The hard
// cap bounds the worst case (as many rounds as there were free resources).
class ChooseBudget {
 public:
  explicit ChooseBudget(int stalls) : stalls_left_(stalls) {}
  // After a TAKEN answer with `free` candidates in that round's snapshot.
  bool Retry(int64_t free) {
    if (prev_free_ >= 0 && free >= prev_free_) --stalls_left_;
    prev_free_ = free;
    return stalls_left_ > 0 && ++rounds_ < kMaxRounds;
  }
  int rounds() const { return rounds_ + 1; }

 private:
  static constexpr int kMaxRounds = 256;
  int stalls_left_;
  int64_t prev_free_ = -1;
  int rounds_ = 0;
};

}  // namespace

absl::StatusOr<HoldResult> BookingTcc::HoldSlotItems(const CachedVenue& venue,
                                                     const SlotTry& slot,
                                                     HoldCommand base) {
  const std::string& venue_id = venue.venue.venue_id;
  const absl::CivilDay day = slot.placement.venue_day;
  const UnitRange window = slot.placement.slots;
  bool taken = false;
  if (!slot.machine_ids.empty()) {
    for (const std::string& m : slot.machine_ids) {
      base.items.push_back({MachineResource(venue_id, m, day), window, ""});
    }
    return HoldItems(std::move(base), ResourceKind::kMachine, &taken);
  }
  // Any machine of the zone: read, choose, hold; again if beaten to it.
  std::vector<std::string> ids;
  for (const std::string& m : slot.zone->machine_ids) {
    ids.push_back(MachineResource(venue_id, m, day));
  }
  const std::string owner = BranchOwner(base.gid, base.branch_id);
  // Buyers start at different machines (by owner), so that a rush on one
  // zone does not pick the same first free machine every time.
  const size_t spread = std::hash<std::string>()(owner);
  ChooseBudget budget(options_.choose_attempts);
  while (true) {
    auto snapshot = ReadGate(base.gate_key, ids);
    if (!snapshot.ok()) return snapshot.status();
    std::map<std::string, std::vector<UnitRange>> booked;
    std::set<std::string> mine;
    for (const GateRange& r : snapshot->ranges) {
      if (r.owner == owner) {
        if (r.from == window.from && r.to == window.to) {
          mine.insert(r.resource_id);
        }
        continue;  // a repeat: its own holds are not in its way
      }
      booked[r.resource_id].push_back({r.from, r.to});
    }
    std::vector<std::string> chosen;
    size_t free_count = 0;
    if (static_cast<int>(mine.size()) == slot.machines) {
      chosen.assign(mine.begin(), mine.end());  // the first Try's machines
    } else {
      std::vector<MachineBookings> machines;
      for (const std::string& id : ids) machines.push_back({id, booked[id]});
      chosen = FreeMachines(machines, window);
      free_count = chosen.size();
      if (!chosen.empty()) {
        std::rotate(chosen.begin(),
                    chosen.begin() + static_cast<long>(spread % chosen.size()),
                    chosen.end());
      }
      if (static_cast<int>(chosen.size()) < slot.machines) {
        GateRefusals().Add({{"reason", "TAKEN"}}).Increment();
        return WithMessage(
            TakenError(ResourceKind::kMachine),
            absl::StrCat(chosen.size(), " machines of zone ",
                         slot.zone->zone_id, " are free over the window, ",
                         slot.machines, " asked for"));
      }
      chosen.resize(slot.machines);
    }
    HoldCommand command = base;
    for (const std::string& id : chosen)
      command.items.push_back({id, window, ""});
    auto held = HoldItems(std::move(command), ResourceKind::kMachine, &taken);
    if (held.ok() || !taken) return held;
    if (!budget.Retry(static_cast<int64_t>(free_count))) break;
    spdlog::debug("event=choose_retry gate={} round={}", base.gate_key,
                  budget.rounds());
  }
  return WithMessage(
      TakenError(ResourceKind::kMachine),
      absl::StrCat("the free machines of zone ", slot.zone->zone_id,
                   " were taken during ", budget.rounds(), " rounds"));
}

absl::StatusOr<HoldResult> BookingTcc::HoldLegItems(const CachedRun& run,
                                                    const LegTry& leg,
                                                    HoldCommand base) {
  const std::string& run_id = run.run.run_id;
  const int n = static_cast<int>(leg.doc_ids.size());
  auto command_for = [&](const std::vector<std::string>& seat_ids) {
    HoldCommand command = base;
    for (int i = 0; i < n; ++i) {
      command.items.push_back(
          {SeatResource(run_id, seat_ids[i]), leg.legs, leg.doc_ids[i]});
    }
    return command;
  };
  bool taken = false;
  if (!leg.seat_ids.empty()) {
    return HoldItems(command_for(leg.seat_ids), ResourceKind::kSeat, &taken);
  }
  const auto class_it = run.class_seats.find(leg.class_id);
  const std::vector<std::string> empty;
  const std::vector<std::string>& class_seats =
      class_it == run.class_seats.end() ? empty : class_it->second;
  std::vector<std::string> ids;
  std::map<std::string, std::string> seat_of;  // resource -> seat id
  for (const std::string& s : class_seats) {
    ids.push_back(SeatResource(run_id, s));
    seat_of[ids.back()] = s;
  }
  const std::string owner = BranchOwner(base.gid, base.branch_id);
  auto seat_order = [&](const std::string& a, const std::string& b) {
    return run.seat_index.at(a) < run.seat_index.at(b);
  };
  ChooseBudget budget(options_.choose_attempts);
  while (true) {
    auto snapshot = ReadGate(base.gate_key, ids);
    if (!snapshot.ok()) return snapshot.status();
    std::map<std::string, uint64_t> taken_bits;
    std::set<std::string> mine;
    for (const GateRange& r : snapshot->ranges) {
      const auto it = seat_of.find(r.resource_id);
      if (it == seat_of.end()) continue;  // another class (whole-gate read)
      if (r.owner == owner) {
        if (r.from == leg.legs.from && r.to == leg.legs.to) {
          mine.insert(it->second);
        }
        continue;
      }
      taken_bits[it->second] |= LegBits({r.from, r.to});
    }
    std::vector<std::string> chosen;
    int64_t free_count = 0;
    if (static_cast<int>(mine.size()) == n) {
      chosen.assign(mine.begin(), mine.end());  // the first Try's seats
    } else {
      std::vector<SeatLegs> seats;
      for (const std::string& s : class_seats) {
        seats.push_back({*run.FindSeat(s), taken_bits[s]});
      }
      free_count = RemainingSeats(seats, leg.class_id, leg.legs);
      SeatRequest request;
      request.class_id = leg.class_id;
      request.legs = leg.legs;
      request.passengers = n;
      auto choice = ChooseSeats(seats, run.legs, request);
      if (!choice.ok()) {
        if (ReasonOf(choice.status()) == "SEAT_TAKEN") {
          GateRefusals().Add({{"reason", "TAKEN"}}).Increment();
        }
        return choice.status();
      }
      chosen = *std::move(choice);
    }
    // Passengers take the seats in seat order, so that a repeat (which
    // finds the same seats) pairs them the same way.
    std::sort(chosen.begin(), chosen.end(), seat_order);
    auto held = HoldItems(command_for(chosen), ResourceKind::kSeat, &taken);
    if (held.ok() || !taken) return held;
    if (!budget.Retry(free_count)) break;
    spdlog::debug("event=choose_retry gate={} round={}", base.gate_key,
                  budget.rounds());
  }
  return WithMessage(
      TakenError(ResourceKind::kSeat),
      absl::StrCat("the free seats of class ", leg.class_id,
                   " were taken during ", budget.rounds(), " rounds"));
}

}  // namespace turnstile::booking
