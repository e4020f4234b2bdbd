#include "services/seat/service.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "prometheus/counter.h"
#include "services/common/process.h"
#include "services/common/second_phase.h"
#include "services/common/status.h"
#include "services/common/time_util.h"
#include "services/common/trace_grpc.h"
#include "services/common/try_deadline.h"
#include "services/seat/validation.h"

namespace turnstile::seat {
namespace {

constexpr char kDomain[] = "seat.turnstile";

// Outcomes of the TCC phases by result, for dashboards and alerts (a rising
// BRANCH_NOT_TRIED count needs an operator).

prometheus::Counter& SeatsHeld() {
  static auto& counter = prometheus::BuildCounter()
                             .Name("turnstile_seat_seats_held_total")
                             .Help("Seats moved from AVAILABLE to HELD")
                             .Register(Metrics())
                             .Add({});
  return counter;
}

PhaseCounter& Phases() {
  static auto* counter =
      new PhaseCounter("seat", "Seat TCC phases by phase and result");
  return *counter;
}

void Count(const char* phase, const absl::Status& status,
           const char* ok_result) {
  Phases().Count(phase, status, ok_result);
}

turnstile::v1::SeatState ToProto(SeatState state) {
  switch (state) {
    case SeatState::kAvailable:
      return turnstile::v1::SEAT_STATE_AVAILABLE;
    case SeatState::kHeld:
      return turnstile::v1::SEAT_STATE_HELD;
    case SeatState::kSold:
      return turnstile::v1::SEAT_STATE_SOLD;
  }
  return turnstile::v1::SEAT_STATE_UNSPECIFIED;
}

void ToProto(const SeatRecord& seat, const std::string& currency,
             turnstile::v1::SeatInfo* out) {
  out->set_seat_id(seat.seat_id);
  out->set_section(seat.section);
  out->set_row(static_cast<int32_t>(seat.row));
  out->set_number(static_cast<int32_t>(seat.number));
  out->mutable_price()->set_currency(currency);
  out->mutable_price()->set_minor_units(seat.price_minor);
  out->set_state(ToProto(seat.state));
}

void ToProto(const EventRecord& event, turnstile::v1::Event* out) {
  out->set_event_id(event.event_id);
  out->set_name(event.name);
  SetMicros(out->mutable_starts_at(), event.starts_at_micros);
  out->set_currency(event.currency);
  out->set_seat_count(static_cast<int32_t>(event.seat_count));
}

}  // namespace

grpc::Status SeatService::CreateEvent(
    grpc::ServerContext* context,
    const turnstile::v1::CreateEventRequest* request,
    turnstile::v1::Event* response) {
  const ServerTraceScope trace(*context);
  NewEvent event;
  event.event_id = request->event_id();
  event.name = request->name();
  event.currency = request->currency();
  event.has_starts_at = request->has_starts_at();
  event.starts_at_seconds = request->starts_at().seconds();
  event.starts_at_nanos = request->starts_at().nanos();
  for (const auto& section : request->sections()) {
    event.sections.push_back({section.name(), section.rows(),
                              section.seats_per_row(),
                              section.price_minor_units()});
  }
  if (auto s = ValidateNewEvent(event); !s.ok()) return ToGrpc(s, kDomain);
  auto created = store_->CreateEvent(event);
  if (!created.ok()) return ToGrpc(created.status(), kDomain);
  catalog_->Put(event.event_id, SeatIds(event.sections));
  // The event exists from here on; a Try that finds no gate rebuilds it.
  if (auto s = reconciler_->InitNewEvent(event.event_id); !s.ok()) {
    spdlog::warn("event=gate_init_failed event_id={} error=\"{}\"",
                 event.event_id, s.ToString());
  }
  spdlog::info("event=event_created event_id={} sections={} seats={}",
               event.event_id, event.sections.size(), created->seat_count);
  ToProto(*created, response);
  return grpc::Status::OK;
}

grpc::Status SeatService::GetSeatMap(
    grpc::ServerContext* context,
    const turnstile::v1::GetSeatMapRequest* request,
    turnstile::v1::SeatMap* response) {
  const ServerTraceScope trace(*context);
  if (auto s = ValidateEventId(request->event_id()); !s.ok()) {
    return ToGrpc(s, kDomain);
  }
  auto map = store_->GetSeatMap(request->event_id());
  if (!map.ok()) return ToGrpc(map.status(), kDomain);
  ToProto(map->event, response->mutable_event());
  response->mutable_seats()->Reserve(static_cast<int>(map->seats.size()));
  for (const SeatRecord& seat : map->seats) {
    ToProto(seat, map->event.currency, response->add_seats());
  }
  return grpc::Status::OK;
}

grpc::Status SeatService::HoldSeats(
    grpc::ServerContext* context,
    const turnstile::v1::HoldSeatsRequest* request,
    turnstile::v1::HoldSeatsResponse* response) {
  const ServerTraceScope trace(*context);
  const GidScope gid(request->txn().gid());
  HoldCommand command{request->txn().gid(),
                      request->txn().branch_id(),
                      request->user_id(),
                      request->event_id(),
                      {request->seat_ids().begin(), request->seat_ids().end()}};
  if (auto s = ValidateHold(command); !s.ok()) {
    Count("try", s, "ok");
    return ToGrpc(s, kDomain);
  }
  auto deadline_ms =
      TryDeadlineMs(request->has_deadline(), request->deadline().seconds(),
                    request->deadline().nanos(), WallNowMs());
  if (!deadline_ms.ok()) {
    Count("try", deadline_ms.status(), "ok");
    return ToGrpc(deadline_ms.status(), kDomain);
  }
  auto hold = tcc_->HoldSeats(SortedSeats(std::move(command)), *deadline_ms);
  Count("try", hold.status(),
        hold.ok() && hold->duplicate ? "duplicate" : "ok");
  if (!hold.ok()) {
    // Taken seats are the normal answer to most buyers of a sale: logged at
    // debug only, counted in the metrics.
    const auto level = ReasonOf(hold.status()) == "SEAT_TAKEN"
                           ? spdlog::level::debug
                           : spdlog::level::info;
    spdlog::log(
        level,
        "event=hold_refused gid={} branch={} user={} event_id={} code={} "
        "reason={} error=\"{}\"",
        request->txn().gid(), request->txn().branch_id(), request->user_id(),
        request->event_id(), absl::StatusCodeToString(hold.status().code()),
        ReasonOf(hold.status()), std::string(hold.status().message()));
    return ToGrpc(hold.status(), kDomain);
  }
  for (const SeatRecord& seat : hold->seats) {
    ToProto(seat, hold->currency, response->add_seats());
  }
  response->mutable_total()->set_currency(hold->currency);
  response->mutable_total()->set_minor_units(hold->total_minor);
  if (!hold->duplicate) SeatsHeld().Increment(hold->seats.size());
  spdlog::info(
      "event=seats_held gid={} branch={} user={} event_id={} seats={} "
      "total={} duplicate={}",
      request->txn().gid(), request->txn().branch_id(), request->user_id(),
      request->event_id(), hold->seats.size(), hold->total_minor,
      hold->duplicate);
  return grpc::Status::OK;
}

grpc::Status SeatService::Reconcile(
    grpc::ServerContext* context,
    const turnstile::v1::ReconcileSeatsRequest* request,
    turnstile::v1::ReconcileSeatsResponse* response) {
  const ServerTraceScope trace(*context);
  absl::StatusOr<ReconcileReport> report;
  if (request->event_id().empty()) {
    report = reconciler_->ReconcileAll();
  } else {
    if (auto s = ValidateEventId(request->event_id()); !s.ok()) {
      return ToGrpc(s, kDomain);
    }
    report = reconciler_->ReconcileEvent(request->event_id());
  }
  if (!report.ok()) {
    spdlog::warn("event=reconcile_failed event_id={} error=\"{}\"",
                 request->event_id(), report.status().ToString());
    return ToGrpc(report.status(), kDomain);
  }
  response->set_events_checked(report->events_checked);
  response->set_keys_rebuilt(report->keys_rebuilt);
  response->set_fixes(report->fixes);
  for (const std::string& line : report->differences) {
    response->add_differences(line);
  }
  spdlog::info("event=reconciled scope={} events={} rebuilt={} fixes={}",
               request->event_id().empty() ? "all" : request->event_id(),
               report->events_checked, report->keys_rebuilt, report->fixes);
  return grpc::Status::OK;
}

turnstile::SecondPhaseParticipant::Spec ParticipantSpec(SeatTcc* tcc) {
  return {kDomain,
          "seats_confirmed",
          "seats_cancelled",
          [tcc](const std::string& gid, const std::string& branch) {
            return tcc->Confirm(gid, branch);
          },
          [tcc](const std::string& gid, const std::string& branch) {
            return tcc->Cancel(gid, branch);
          },
          &Phases()};
}

}  // namespace turnstile::seat
