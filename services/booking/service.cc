// gRPC handlers of the booking process (service.h): catalogue, HoldBookings,
// Reconcile and the second phase. The availability reads are in
// service_reads.cc.
#include "services/booking/service.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "services/booking/requests.h"
#include "services/booking/seat_choice.h"
#include "services/booking/slots.h"
#include "services/booking/translate.h"
#include "services/booking/validation.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/common/trace_grpc.h"
#include "services/common/try_deadline.h"
#include "services/common/validate.h"

namespace turnstile::booking {
namespace {

constexpr char kDomain[] = "booking.turnstile";
// The products' payment windows (issue 10 item 5).
constexpr int kSlotPaymentWindowS = 300;
constexpr int kLegPaymentWindowS = 900;

PhaseCounter& Phases() {
  static auto* counter =
      new PhaseCounter("booking", "Booking TCC phases by phase and result");
  return *counter;
}

prometheus::Family<prometheus::Counter>& ItemsHeld() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_booking_items_held_total")
                            .Help("Resources held over a range, by kind")
                            .Register(Metrics());
  return family;
}

grpc::Status Fail(const absl::Status& status) {
  return ToGrpc(status, kDomain);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CachedVenue>> BookingService::LoadVenue(
    const std::string& venue_id) {
  if (auto s = CheckId("venue_id", venue_id); !s.ok()) return s;
  return catalog_->GetVenue(venue_id);
}

absl::StatusOr<std::shared_ptr<const CachedRun>> BookingService::LoadRun(
    const std::string& run_id) {
  if (auto s = CheckId("run_id", run_id); !s.ok()) return s;
  return catalog_->GetRun(run_id);
}

grpc::Status BookingService::CreateVenue(grpc::ServerContext* context,
                                         const v1::CreateVenueRequest* request,
                                         v1::Venue* response) {
  const ServerTraceScope trace(*context);
  auto venue = VenueFromProto(*request);
  if (!venue.ok()) return Fail(venue.status());
  if (auto s = ValidateVenue(*venue); !s.ok()) return Fail(s);
  if (auto s = store_->CreateVenue(*venue); !s.ok()) return Fail(s);
  catalog_->PutVenue(*venue);
  spdlog::info("event=venue_created venue_id={} zones={}", venue->venue_id,
               venue->zones.size());
  ToProto(*venue, response);
  return grpc::Status::OK;
}

grpc::Status BookingService::GetVenue(grpc::ServerContext* context,
                                      const v1::GetVenueRequest* request,
                                      v1::Venue* response) {
  const ServerTraceScope trace(*context);
  auto venue = LoadVenue(request->venue_id());
  if (!venue.ok()) return Fail(venue.status());
  ToProto((*venue)->venue, response);
  return grpc::Status::OK;
}

grpc::Status BookingService::CreateRun(grpc::ServerContext* context,
                                       const v1::CreateRunRequest* request,
                                       v1::Run* response) {
  const ServerTraceScope trace(*context);
  auto run = RunFromProto(*request);
  if (!run.ok()) return Fail(run.status());
  if (auto s = ValidateRun(*run); !s.ok()) return Fail(s);
  if (auto s = store_->CreateRun(*run); !s.ok()) return Fail(s);
  catalog_->PutRun(*run);
  spdlog::info("event=run_created run_id={} stops={} seats={}", run->run_id,
               run->stops.size(), run->seats.size());
  ToProto(*run, response);
  return grpc::Status::OK;
}

grpc::Status BookingService::GetRun(grpc::ServerContext* context,
                                    const v1::GetRunRequest* request,
                                    v1::Run* response) {
  const ServerTraceScope trace(*context);
  auto run = LoadRun(request->run_id());
  if (!run.ok()) return Fail(run.status());
  ToProto((*run)->run, response);
  return grpc::Status::OK;
}

grpc::Status BookingService::HoldBookings(
    grpc::ServerContext* context, const v1::HoldBookingsRequest* request,
    v1::HoldBookingsResponse* response) {
  const ServerTraceScope trace(*context);
  const GidScope gid(request->txn().gid());
  auto refuse = [&](const absl::Status& s) {
    Phases().Count("try", s, "ok");
    const auto level =
        ReasonOf(s) == "SLOT_TAKEN" || ReasonOf(s) == "SEAT_TAKEN"
            ? spdlog::level::debug
            : spdlog::level::info;
    spdlog::log(level,
                "event=hold_refused gid={} branch={} user={} code={} "
                "reason={} error=\"{}\"",
                request->txn().gid(), request->txn().branch_id(),
                request->user_id(), absl::StatusCodeToString(s.code()),
                ReasonOf(s), std::string(s.message()));
    return Fail(s);
  };
  TryRef ref{request->txn().gid(), request->txn().branch_id(),
             request->user_id(), 0};
  if (auto s = CheckUuid("txn.gid", ref.gid); !s.ok()) return refuse(s);
  if (auto s = CheckBranchId("txn.branch_id", ref.branch_id); !s.ok()) {
    return refuse(s);
  }
  if (auto s = CheckId("user_id", ref.user_id); !s.ok()) return refuse(s);
  if (request->has_slot() == request->has_leg()) {
    return refuse(InvalidArgument("set exactly one of slot and leg"));
  }
  auto deadline_ms =
      TryDeadlineMs(request->has_deadline(), request->deadline().seconds(),
                    request->deadline().nanos(), WallNowMs());
  if (!deadline_ms.ok()) return refuse(deadline_ms.status());
  ref.deadline_ms = *deadline_ms;

  absl::StatusOr<HoldResult> hold;
  int64_t price_each = 0;
  std::string currency;
  const char* kind = request->has_slot() ? "slot" : "leg";
  std::shared_ptr<const CachedVenue> venue;
  std::shared_ptr<const CachedRun> run;
  std::optional<SlotTry> slot;
  if (request->has_slot()) {
    auto v = LoadVenue(request->slot().venue_id());
    if (!v.ok()) return refuse(v.status());
    venue = *v;
    auto resolved = ResolveSlotHold(*venue, request->slot());
    if (!resolved.ok()) return refuse(resolved.status());
    slot = *resolved;
    price_each = slot->price_each;
    currency = venue->venue.currency;
    hold = tcc_->HoldSlot(ref, *venue, *slot);
  } else {
    auto r = LoadRun(request->leg().run_id());
    if (!r.ok()) return refuse(r.status());
    run = *r;
    auto resolved = ResolveLegHold(*run, request->leg());
    if (!resolved.ok()) return refuse(resolved.status());
    price_each = resolved->price_each;
    currency = run->run.currency;
    hold = tcc_->HoldLeg(ref, *run, *resolved);
  }
  if (!hold.ok()) return refuse(hold.status());
  Phases().Count("try", absl::OkStatus(), hold->duplicate ? "duplicate" : "ok");

  for (const BookingRow& row : hold->rows) {
    v1::BookedItem* item = response->add_items();
    item->set_kind(kind);
    if (venue) {
      item->set_venue_id(venue->venue.venue_id);
      item->set_machine_id(MachineOfResource(row.resource_id));
      ToProto(*venue, slot->placement.venue_day, row.range,
              item->mutable_window());
    } else {
      item->set_run_id(run->run.run_id);
      item->set_seat_id(SeatOfResource(row.resource_id));
      item->set_from_stop(row.range.from);
      item->set_to_stop(row.range.to);
      item->set_doc_id(row.doc_id);
    }
    SetMoney(currency, price_each, item->mutable_price());
  }
  SetMoney(currency, price_each * static_cast<int64_t>(hold->rows.size()),
           response->mutable_total());
  response->set_payment_window_seconds(venue ? kSlotPaymentWindowS
                                             : kLegPaymentWindowS);
  if (!hold->duplicate) {
    ItemsHeld().Add({{"kind", kind}}).Increment(hold->rows.size());
  }
  spdlog::info(
      "event=bookings_held gid={} branch={} user={} kind={} items={} total={} "
      "duplicate={}",
      ref.gid, ref.branch_id, ref.user_id, kind, hold->rows.size(),
      price_each * static_cast<int64_t>(hold->rows.size()), hold->duplicate);
  return grpc::Status::OK;
}

grpc::Status BookingService::Reconcile(
    grpc::ServerContext* context, const v1::ReconcileBookingsRequest* request,
    v1::ReconcileBookingsResponse* response) {
  const ServerTraceScope trace(*context);
  absl::StatusOr<ReconcileReport> report;
  if (!request->venue_id().empty() && !request->run_id().empty()) {
    return Fail(InvalidArgument("set at most one of venue_id and run_id"));
  }
  if (!request->venue_day().empty() && request->venue_id().empty()) {
    return Fail(InvalidArgument("venue_day needs venue_id"));
  }
  if (!request->venue_id().empty()) {
    if (auto s = CheckId("venue_id", request->venue_id()); !s.ok()) {
      return Fail(s);
    }
    std::optional<absl::CivilDay> day;
    if (!request->venue_day().empty()) {
      auto parsed = ParseDay("venue_day", request->venue_day());
      if (!parsed.ok()) return Fail(parsed.status());
      day = *parsed;
    }
    report = reconciler_->ReconcileVenue(request->venue_id(), day);
  } else if (!request->run_id().empty()) {
    if (auto s = CheckId("run_id", request->run_id()); !s.ok()) {
      return Fail(s);
    }
    report = reconciler_->ReconcileRun(request->run_id());
  } else {
    report = reconciler_->ReconcileAll();
  }
  if (!report.ok()) {
    spdlog::warn("event=reconcile_failed venue={} run={} error=\"{}\"",
                 request->venue_id(), request->run_id(),
                 report.status().ToString());
    return Fail(report.status());
  }
  response->set_gates_checked(report->gates_checked);
  response->set_gates_rebuilt(report->gates_rebuilt);
  response->set_fixes(report->fixes);
  response->set_in_flight(report->in_flight);
  for (const std::string& line : report->differences) {
    response->add_differences(line);
  }
  spdlog::info("event=reconciled gates={} rebuilt={} fixes={} in_flight={}",
               report->gates_checked, report->gates_rebuilt, report->fixes,
               report->in_flight);
  return grpc::Status::OK;
}

turnstile::SecondPhaseParticipant::Spec ParticipantSpec(BookingTcc* tcc) {
  return {kDomain,
          "bookings_confirmed",
          "bookings_cancelled",
          [tcc](const std::string& gid, const std::string& branch) {
            return tcc->Confirm(gid, branch);
          },
          [tcc](const std::string& gid, const std::string& branch) {
            return tcc->Cancel(gid, branch);
          },
          &Phases()};
}

}  // namespace turnstile::booking
