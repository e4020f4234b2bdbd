#include "tests/support/seat_harness.h"

#include <cstdint>
#include <sstream>

#include "tests/support/try_deadline.h"

namespace turnstile::testing {

v1::SectionSpec Section(const std::string& name, int rows, int per_row,
                        int64_t price) {
  v1::SectionSpec s;
  s.set_name(name);
  s.set_rows(rows);
  s.set_seats_per_row(per_row);
  s.set_price_minor_units(price);
  return s;
}

v1::CreateEventRequest EventRequest(const std::string& id) {
  v1::CreateEventRequest r;
  r.set_event_id(id);
  r.set_name("Concert " + id);
  r.mutable_starts_at()->set_seconds(1'900'000'000);
  r.mutable_starts_at()->set_nanos(123'456'000);
  r.set_currency("EUR");
  *r.add_sections() = Section("A", 2, 3, 5000);
  *r.add_sections() = Section("B", 1, 2, 2500);
  return r;
}

v1::HoldSeatsRequest HoldRequest(const std::string& gid,
                                 const std::string& user,
                                 const std::string& event,
                                 const std::vector<std::string>& seats,
                                 const std::string& branch) {
  v1::HoldSeatsRequest r;
  r.mutable_txn()->set_gid(gid);
  r.mutable_txn()->set_branch_id(branch);
  r.set_user_id(user);
  testing::SetTryDeadline(r.mutable_deadline());
  r.set_event_id(event);
  for (const auto& s : seats) r.add_seat_ids(s);
  return r;
}

void SeatHarness::Connected() {
  seat_ = v1::Seat::NewStub(channel_);
  seat_try_ = v1::Seat::NewStub(Channel("order"));
}

void SeatHarness::Disconnected() {
  seat_.reset();
  seat_try_.reset();
}

Outcome SeatHarness::CreateEvent(const v1::CreateEventRequest& request,
                                 v1::Event* out) {
  v1::Event event;
  auto status = seat_->CreateEvent(Ctx(30).get(), request, &event);
  if (out) *out = event;
  return OutcomeOf(status);
}

Outcome SeatHarness::GetSeatMap(const std::string& id, v1::SeatMap* out) {
  v1::GetSeatMapRequest request;
  request.set_event_id(id);
  v1::SeatMap map;
  auto status = seat_->GetSeatMap(Ctx(30).get(), request, &map);
  if (out) *out = map;
  return OutcomeOf(status);
}

Outcome SeatHarness::Hold(const v1::HoldSeatsRequest& request,
                          v1::HoldSeatsResponse* out) {
  v1::HoldSeatsResponse response;
  auto status = seat_try_->HoldSeats(Ctx().get(), request, &response);
  if (out) *out = response;
  return OutcomeOf(status);
}

Outcome SeatHarness::Reconcile(const std::string& event,
                               v1::ReconcileSeatsResponse* out) {
  v1::ReconcileSeatsRequest request;
  request.set_event_id(event);
  v1::ReconcileSeatsResponse response;
  auto status = seat_->Reconcile(Ctx(30).get(), request, &response);
  if (out) *out = response;
  return OutcomeOf(status);
}

std::string SeatHarness::Taken(const std::string& event) const {
  return Query(
      "SELECT string_agg(seat_id || ':' || state, ',' ORDER BY seat_id) "
      "FROM seat WHERE event_id = '" +
      event + "' AND state <> 'AVAILABLE'");
}
std::string SeatHarness::SeatRow(const std::string& event,
                                 const std::string& seat) const {
  return Query(
      "SELECT state || ':' || coalesce(hold_gid::text, '-') || ':' || "
      "coalesce(hold_branch, '-') || ':' || coalesce(hold_user, '-') "
      "FROM seat WHERE event_id = '" +
      event + "' AND seat_id = '" + seat + "'");
}
std::string SeatHarness::Snapshot() const {
  return Query(
      "SELECT concat_ws(' | ', "
      "(SELECT count(*) FROM tcc_barrier), "
      "(SELECT string_agg(event_id || ':' || name || ':' || currency || ':' "
      "|| seat_count, ',' ORDER BY event_id) FROM event), "
      "(SELECT count(*) FROM seat), "
      "(SELECT md5(string_agg(event_id || ':' || seat_id || ':' || state || "
      "':' || coalesce(hold_gid::text, '-') || ':' || "
      "coalesce(hold_branch, '-') || ':' || price_minor, ',' "
      "ORDER BY event_id, seat_id)) FROM seat))");
}

std::string SeatHarness::PgView(const std::string& event) const {
  return Query(
      "SELECT coalesce(string_agg(seat_id || ':' || left(state, 1) || ':' || "
      "hold_gid || ':' || hold_branch, ',' ORDER BY seat_id), '') FROM seat "
      "WHERE event_id = '" +
      event + "' AND state <> 'AVAILABLE'");
}

std::string SeatHarness::GateView(const std::string& event) const {
  const auto t = SharedRedis().RunList({"TIME"});
  const int64_t now = std::stoll(t[0]) * 1000 + std::stoll(t[1]) / 1000;
  std::string out;
  for (const auto& [seat, value] :
       SharedRedis().HGetAll("ts:{evt:" + event + "}:seats")) {
    std::istringstream in(value);
    std::string state, owner;
    int64_t expiry = 0;
    in >> state >> expiry >> owner;
    if (state == "H" && expiry <= now) continue;
    if (!out.empty()) out += ",";
    out += seat + ":" + state + ":" + owner;
  }
  return out;
}

}  // namespace turnstile::testing
