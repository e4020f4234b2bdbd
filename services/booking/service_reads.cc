// The booking process's four availability reads (service.h): FreeMachines,
// FreeWindows, RemainingSeats and GetStopMatrix on gRPC's callback API.
// Each plans its gate Read here, queues it on the bounded reader queue
// (read_queue.h) and answers from the snapshot; no callback thread touches
// Redis. The other handlers are in service.cc.
#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "services/booking/seat_choice.h"
#include "services/booking/service.h"
#include "services/booking/slots.h"
#include "services/booking/translate.h"
#include "services/booking/validation.h"
#include "services/common/status.h"
#include "services/common/trace_grpc.h"
#include "services/common/validate.h"

namespace turnstile::booking {
namespace {

constexpr char kDomain[] = "booking.turnstile";

grpc::Status Fail(const absl::Status& status) {
  return ToGrpc(status, kDomain);
}

uint64_t Bits(int from, int to) {
  uint64_t bits = 0;
  for (int k = std::max(0, from); k < to && k < 64; ++k) {
    bits |= uint64_t{1} << k;
  }
  return bits;
}

// The Read of `ids` on a gate (of the whole gate if more than one Read may
// name).
RangeReadCall GateReadCall(const std::string& gate_key,
                           std::vector<std::string> ids) {
  RangeReadCall call;
  call.gate_key = gate_key;
  if (ids.size() <= static_cast<size_t>(kRangeMaxReadIds)) {
    call.resource_ids = std::move(ids);
  }
  return call;
}

// The Read of every seat of a run.
RangeReadCall SeatsCall(const CachedRun& run) {
  std::vector<std::string> ids;
  ids.reserve(run.run.seats.size());
  for (const RunSeat& seat : run.run.seats) {
    ids.push_back(SeatResource(run.run.run_id, seat.seat_id));
  }
  return GateReadCall(RunGate(run.run.run_id), std::move(ids));
}

// Every seat of the run with its taken legs, from a Read of SeatsCall.
std::vector<SeatLegs> SeatsOfSnapshot(const CachedRun& run,
                                      const RangeSnapshot& snapshot) {
  std::map<std::string, uint64_t> taken;
  for (const GateRange& r : snapshot.ranges) {
    taken[r.resource_id] |= Bits(r.from, r.to);
  }
  std::vector<SeatLegs> seats;
  seats.reserve(run.run.seats.size());
  for (const RunSeat& seat : run.run.seats) {
    auto it = taken.find(SeatResource(run.run.run_id, seat.seat_id));
    seats.push_back({seat, it == taken.end() ? 0 : it->second});
  }
  return seats;
}

}  // namespace

grpc::ServerUnaryReactor* BookingService::QueueRead(
    grpc::CallbackServerContext* context, ReadJob job) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  job.trace = ServerSpan(*context);
  job.finish = [reactor](const absl::Status& s) {
    reactor->Finish(s.ok() ? grpc::Status::OK : Fail(s));
  };
  if (auto s = reads_->Submit(std::move(job)); !s.ok()) {
    reactor->Finish(Fail(s));
  }
  return reactor;
}

grpc::ServerUnaryReactor* BookingService::FreeMachines(
    grpc::CallbackServerContext* context,
    const v1::FreeMachinesRequest* request,
    v1::FreeMachinesResponse* response) {
  struct State {
    std::shared_ptr<const CachedVenue> venue;
    const Zone* zone = nullptr;
    SlotPlacement placed;
    std::vector<std::string> ids;
  };
  auto state = std::make_shared<State>();
  ReadJob job;
  job.plan = [this, request,
              state]() -> absl::StatusOr<std::optional<RangeReadCall>> {
    auto venue = LoadVenue(request->venue_id());
    if (!venue.ok()) return venue.status();
    state->venue = *venue;
    const CachedVenue& v = **venue;
    auto zone = FindZone(v, request->zone_id());
    if (!zone.ok()) return zone.status();
    state->zone = *zone;
    auto placed =
        PlaceWindow(v, **zone, request->has_starts_at(), request->starts_at(),
                    request->package_id(), request->duration_minutes());
    if (!placed.ok()) return placed.status();
    state->placed = *placed;
    for (const std::string& m : (*zone)->machine_ids) {
      state->ids.push_back(
          MachineResource(v.venue.venue_id, m, placed->venue_day));
    }
    return GateReadCall(VenueDayGate(v.venue.venue_id, placed->venue_day),
                        state->ids);
  };
  job.answer = [state, response](const RangeReadAnswer& answer) {
    const CachedVenue& v = *state->venue;
    const std::vector<std::string>& ids = state->ids;
    std::map<std::string, std::vector<UnitRange>> booked;
    for (const GateRange& r : answer.snapshot.ranges) {
      booked[r.resource_id].push_back({r.from, r.to});
    }
    std::vector<MachineBookings> machines;
    for (size_t i = 0; i < ids.size(); ++i) {
      machines.push_back({state->zone->machine_ids[i], booked[ids[i]]});
    }
    ToProto(v, state->placed.venue_day, state->placed.slots,
            response->mutable_window());
    for (const std::string& m :
         booking::FreeMachines(machines, state->placed.slots)) {
      response->add_machine_ids(m);
    }
    response->set_zone_machines(static_cast<int32_t>(ids.size()));
    return absl::OkStatus();
  };
  return QueueRead(context, std::move(job));
}

grpc::ServerUnaryReactor* BookingService::FreeWindows(
    grpc::CallbackServerContext* context, const v1::FreeWindowsRequest* request,
    v1::FreeWindowsResponse* response) {
  struct State {
    std::shared_ptr<const CachedVenue> venue;
    absl::CivilDay day;
    int min_slots = 1;
    std::string id;
  };
  auto state = std::make_shared<State>();
  ReadJob job;
  job.plan = [this, request,
              state]() -> absl::StatusOr<std::optional<RangeReadCall>> {
    auto venue = LoadVenue(request->venue_id());
    if (!venue.ok()) return venue.status();
    state->venue = *venue;
    const CachedVenue& v = **venue;
    if (auto s = CheckId("machine_id", request->machine_id()); !s.ok()) {
      return s;
    }
    if (!v.machine_zone.count(request->machine_id())) {
      return Error(absl::StatusCode::kNotFound, "MACHINE_NOT_FOUND",
                   absl::StrCat("venue ", v.venue.venue_id, " has no machine ",
                                request->machine_id()));
    }
    auto day = ParseDay("venue_day", request->venue_day());
    if (!day.ok()) return day.status();
    state->day = *day;
    if (request->min_minutes() < 0 || request->min_minutes() > 1440) {
      return InvalidArgument("min_minutes must be 0..1440");
    }
    const int slot = v.venue.slot_minutes;
    state->min_slots = std::max(1, (request->min_minutes() + slot - 1) / slot);
    state->id = MachineResource(v.venue.venue_id, request->machine_id(), *day);
    return GateReadCall(VenueDayGate(v.venue.venue_id, *day), {state->id});
  };
  job.answer = [state, response](const RangeReadAnswer& answer) {
    const CachedVenue& v = *state->venue;
    std::vector<UnitRange> booked;
    for (const GateRange& r : answer.snapshot.ranges) {
      if (r.resource_id == state->id) booked.push_back({r.from, r.to});
    }
    for (const UnitRange& w :
         booking::FreeWindows(v.slot_count, booked, state->min_slots)) {
      ToProto(v, state->day, w, response->add_windows());
    }
    response->set_slot_count(v.slot_count);
    return absl::OkStatus();
  };
  return QueueRead(context, std::move(job));
}

grpc::ServerUnaryReactor* BookingService::RemainingSeats(
    grpc::CallbackServerContext* context,
    const v1::RemainingSeatsRequest* request,
    v1::RemainingSeatsResponse* response) {
  struct State {
    std::shared_ptr<const CachedRun> run;
    UnitRange legs;
    // The hot path: one read-only count in Redis of the one class asked
    // for; else every seat's legs.
    const SeatClass* counted = nullptr;
  };
  auto state = std::make_shared<State>();
  // One class's line of the answer.
  auto add = [state, response](const SeatClass& c, int64_t remaining) {
    const CachedRun& r = *state->run;
    v1::ClassRemaining* out = response->add_classes();
    out->set_class_id(c.class_id);
    out->set_remaining(static_cast<int32_t>(remaining));
    out->set_seats(static_cast<int32_t>(r.class_seats.at(c.class_id).size()));
    SetMoney(r.run.currency, c.price_per_leg_minor * state->legs.size(),
             out->mutable_price());
  };
  ReadJob job;
  job.plan = [this, request, state,
              add]() -> absl::StatusOr<std::optional<RangeReadCall>> {
    auto run = LoadRun(request->run_id());
    if (!run.ok()) return run.status();
    state->run = *run;
    const CachedRun& r = **run;
    auto legs = CheckTrip(r, request->from_stop(), request->to_stop());
    if (!legs.ok()) return legs.status();
    state->legs = *legs;
    if (auto s = CheckClass(r, request->class_id(), true); !s.ok()) return s;
    const std::string gate_key = RunGate(r.run.run_id);
    if (!request->class_id().empty()) {
      const SeatClass& c = *r.FindClass(request->class_id());
      const auto& seats = r.class_seats.at(c.class_id);
      if (seats.size() <= static_cast<size_t>(kRangeMaxFreeIds)) {
        if (seats.empty()) {
          add(c, 0);
          return std::nullopt;
        }
        state->counted = &c;
        RangeReadCall call;
        call.gate_key = gate_key;
        call.count_free = true;
        call.from = legs->from;
        call.to = legs->to;
        for (const std::string& s : seats) {
          call.resource_ids.push_back(SeatResource(r.run.run_id, s));
        }
        return call;
      }
    }
    return SeatsCall(r);
  };
  job.answer = [request, state, add](const RangeReadAnswer& answer) {
    if (state->counted != nullptr) {
      add(*state->counted, answer.count.free);
      return absl::OkStatus();
    }
    const CachedRun& r = *state->run;
    const std::vector<SeatLegs> seats = SeatsOfSnapshot(r, answer.snapshot);
    for (const SeatClass& c : r.run.classes) {
      if (!request->class_id().empty() && c.class_id != request->class_id()) {
        continue;
      }
      add(c, booking::RemainingSeats(seats, c.class_id, state->legs));
    }
    return absl::OkStatus();
  };
  return QueueRead(context, std::move(job));
}

grpc::ServerUnaryReactor* BookingService::GetStopMatrix(
    grpc::CallbackServerContext* context,
    const v1::GetStopMatrixRequest* request, v1::StopMatrix* response) {
  auto run_of = std::make_shared<std::shared_ptr<const CachedRun>>();
  ReadJob job;
  job.plan = [this, request,
              run_of]() -> absl::StatusOr<std::optional<RangeReadCall>> {
    auto run = LoadRun(request->run_id());
    if (!run.ok()) return run.status();
    *run_of = *run;
    if (auto s = CheckClass(**run, request->class_id(), true); !s.ok()) {
      return s;
    }
    return SeatsCall(**run);
  };
  job.answer = [request, response, run_of](const RangeReadAnswer& answer) {
    const CachedRun& r = **run_of;
    const std::vector<SeatLegs> seats = SeatsOfSnapshot(r, answer.snapshot);
    response->set_run_id(r.run.run_id);
    response->set_class_id(request->class_id());
    for (const auto& row :
         RemainingMatrix(seats, request->class_id(),
                         static_cast<int>(r.run.stops.size()))) {
      v1::StopMatrixRow* out = response->add_rows();
      for (int n : row) out->add_remaining(n);
    }
    return absl::OkStatus();
  };
  return QueueRead(context, std::move(job));
}

}  // namespace turnstile::booking
