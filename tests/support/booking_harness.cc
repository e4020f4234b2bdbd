#include "tests/support/booking_harness.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <tuple>

#include "services/common/authz_table.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/redis_server.h"
#include "tests/support/test_pki.h"
#include "tests/support/try_deadline.h"

namespace turnstile::testing {

int64_t At(int hh, int mm) {
  return 1798070400 + hh * 3600 + mm * 60;  // 2026-12-24T00:00:00Z
}

v1::CreateVenueRequest VenueRequest(const std::string& id) {
  v1::CreateVenueRequest r;
  r.set_venue_id(id);
  r.set_name("Cafe " + id);
  r.set_time_zone("UTC");
  r.set_currency("EUR");
  r.set_opening_minute(600);
  r.set_closing_minute(1320);
  r.set_slot_minutes(30);
  v1::ZoneSpec* std_zone = r.add_zones();
  std_zone->set_zone_id("std");
  std_zone->set_name("Standard");
  std_zone->set_price_per_hour_minor_units(600);
  for (auto [id2, hours, price] :
       {std::tuple{"2h", 2, 1000}, std::tuple{"4h", 4, 1800}}) {
    v1::PackageSpec* p = std_zone->add_packages();
    p->set_package_id(id2);
    p->set_hours(hours);
    p->set_price_minor_units(price);
  }
  for (const char* m : {"m1", "m2", "m3", "m4"}) std_zone->add_machine_ids(m);
  v1::ZoneSpec* vip = r.add_zones();
  vip->set_zone_id("vip");
  vip->set_name("VIP");
  vip->set_price_per_hour_minor_units(1200);
  vip->add_machine_ids("v1");
  vip->add_machine_ids("v2");
  return r;
}

v1::CreateRunRequest RunRequest(int stops, int seats_per_car) {
  v1::CreateRunRequest r;
  r.set_train_number("G1");
  r.set_service_date(kDay);
  r.set_currency("CNY");
  for (int i = 0; i < stops; ++i) {
    v1::StopSpec* s = r.add_stops();
    s->set_station("S" + std::to_string(i));
    s->mutable_departs_at()->set_seconds(At(8 + i));
  }
  v1::SeatClassSpec* first = r.add_classes();
  first->set_class_id("first");
  first->set_price_per_leg_minor_units(100);
  v1::SeatClassSpec* second = r.add_classes();
  second->set_class_id("second");
  second->set_price_per_leg_minor_units(50);
  v1::CarSpec* c1 = r.add_cars();
  c1->set_car(1);
  c1->set_class_id("first");
  c1->set_seats(seats_per_car);
  v1::CarSpec* c2 = r.add_cars();
  c2->set_car(2);
  c2->set_class_id("second");
  c2->set_seats(seats_per_car);
  return r;
}

v1::HoldBookingsRequest SlotTry(const std::string& gid,
                                const std::vector<std::string>& machines,
                                int64_t start, const std::string& package,
                                int duration, const std::string& zone) {
  v1::HoldBookingsRequest r;
  r.mutable_txn()->set_gid(gid);
  r.mutable_txn()->set_branch_id("booking");
  r.set_user_id("alice");
  SetTryDeadline(r.mutable_deadline());
  v1::SlotHold* s = r.mutable_slot();
  s->set_venue_id("cafe");
  s->set_zone_id(zone);
  for (const auto& m : machines) s->add_machine_ids(m);
  s->mutable_starts_at()->set_seconds(start);
  s->set_package_id(package);
  s->set_duration_minutes(duration);
  return r;
}

v1::HoldBookingsRequest LegTry(const std::string& gid, int from, int to,
                               const std::string& cls,
                               const std::vector<std::string>& docs,
                               const std::vector<std::string>& seats,
                               const std::string& user) {
  v1::HoldBookingsRequest r;
  r.mutable_txn()->set_gid(gid);
  r.mutable_txn()->set_branch_id("booking");
  r.set_user_id(user);
  SetTryDeadline(r.mutable_deadline());
  v1::LegHold* l = r.mutable_leg();
  l->set_run_id(kRunId);
  l->set_from_stop(from);
  l->set_to_stop(to);
  l->set_class_id(cls);
  for (const auto& d : docs) l->add_passengers()->set_doc_id(d);
  for (const auto& s : seats) l->add_seat_ids(s);
  return r;
}

void BookingHarness::SetUp() {
  static int counter = 0;
  db_ = "booking_svc_" + std::to_string(++counter);
  SharedPg().CreateDatabase(db_, "booking");
  SharedRedis().FlushAll();
  tls_ = authz::Find("/turnstile.v1.Booking/HoldBookings") != nullptr;
  if (tls_) {
    static const bool made = [] {
      TestPki({"booking"});
      return true;
    }();
    (void)made;
  }
  redis_ = std::make_unique<RedisClient>(SharedRedis().Options(4));
  gate_ = std::make_unique<RangeGate>(redis_.get());
  limit_gate_ = std::make_unique<LimitGate>(redis_.get());
}

void BookingHarness::TearDown() {
  if (HasFailure()) {
    std::system(("tail -n 40 " + LogPath() + " >&2").c_str());
  }
  Stop();
}

std::string BookingHarness::LogPath() const {
  return SharedPg().dir() + "/" + db_ + ".log";
}

std::shared_ptr<grpc::Channel> BookingHarness::Channel(
    const std::string& identity) {
  if (tls_) return TestChannel(address_, "booking", identity);
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 200);
  args.SetString("turnstile.test_identity", identity);
  return grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(),
                                   args);
}

void BookingHarness::Launch(const std::vector<std::string>& args) {
  address_ = "127.0.0.1:" + std::to_string(FreePort());
  std::vector<std::string> all = SharedPg().ServiceFlags(db_, "booking");
  all.push_back("--listen=" + address_);
  all.push_back("--redis=127.0.0.1:" + std::to_string(SharedRedis().port()));
  all.push_back("--redis_password_file=" + SharedRedis().password_file());
  if (tls_) {
    for (auto& flag : TlsFlags()) all.push_back(flag);
  } else {
    all.push_back("--insecure_plaintext");
  }
  all.insert(all.end(), args.begin(), args.end());
  process_.Start(Binary("turnstile-booking"), all, LogPath());
  auto ctl = Channel("turnstilectl");
  const auto until =
      std::chrono::system_clock::now() + std::chrono::seconds(30);
  while (!ctl->WaitForConnected(std::chrono::system_clock::now() +
                                std::chrono::milliseconds(100))) {
    ASSERT_FALSE(process_.Exited()) << "turnstile-booking exited";
    ASSERT_LT(std::chrono::system_clock::now(), until) << "no start";
  }
  booking_ = v1::Booking::NewStub(ctl);
  booking_try_ = v1::Booking::NewStub(Channel("order"));
  participant_ = v1::Participant::NewStub(Channel("coordinator"));
}

int BookingHarness::Stop() {
  booking_.reset();
  booking_try_.reset();
  participant_.reset();
  return process_.running() ? process_.Terminate(5000) : 0;
}

std::unique_ptr<grpc::ClientContext> BookingHarness::Ctx(int seconds) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(seconds));
  return ctx;
}

Outcome BookingHarness::CreateVenue(const v1::CreateVenueRequest& r,
                                    v1::Venue* out) {
  v1::Venue venue;
  auto s = booking_->CreateVenue(Ctx().get(), r, &venue);
  if (out) *out = venue;
  return OutcomeOf(s);
}

Outcome BookingHarness::CreateRun(const v1::CreateRunRequest& r, v1::Run* out) {
  v1::Run run;
  auto s = booking_->CreateRun(Ctx().get(), r, &run);
  if (out) *out = run;
  return OutcomeOf(s);
}

Outcome BookingHarness::Hold(const v1::HoldBookingsRequest& r,
                             v1::HoldBookingsResponse* out) {
  v1::HoldBookingsResponse response;
  auto s = booking_try_->HoldBookings(Ctx().get(), r, &response);
  if (out) *out = response;
  return OutcomeOf(s);
}

Outcome BookingHarness::Confirm(const std::string& gid, bool* applied) {
  v1::ConfirmRequest request;
  request.mutable_txn()->set_gid(gid);
  request.mutable_txn()->set_branch_id("booking");
  v1::ConfirmResponse response;
  auto s = participant_->Confirm(Ctx().get(), request, &response);
  if (applied) *applied = response.applied();
  return OutcomeOf(s);
}

Outcome BookingHarness::Cancel(const std::string& gid, bool* applied) {
  v1::CancelRequest request;
  request.mutable_txn()->set_gid(gid);
  request.mutable_txn()->set_branch_id("booking");
  request.set_reason(v1::CANCEL_REASON_DEADLINE);
  v1::CancelResponse response;
  auto s = participant_->Cancel(Ctx().get(), request, &response);
  if (applied) *applied = response.applied();
  return OutcomeOf(s);
}

Outcome BookingHarness::Reconcile(const v1::ReconcileBookingsRequest& r,
                                  v1::ReconcileBookingsResponse* out) {
  v1::ReconcileBookingsResponse response;
  auto s = booking_->Reconcile(Ctx(30).get(), r, &response);
  if (out) *out = response;
  return OutcomeOf(s);
}

std::string BookingHarness::Query(const std::string& sql) const {
  return SharedPg().Query(db_, sql);
}

int64_t BookingHarness::Count(const std::string& sql) const {
  return std::stoll(Query(sql));
}

std::string BookingHarness::PgView(const std::string& gate_key) const {
  return Query(
      "SELECT coalesce(string_agg(resource_id || '[' || lower(during) || ',' "
      "|| upper(during) || '):' || left(state, 1) || ':' || gid || ':' || "
      "branch_id, ' ' ORDER BY resource_id, lower(during)), '') FROM booking "
      "WHERE gate_key = '" +
      gate_key + "'");
}

std::string BookingHarness::LimitView(const std::string& day) {
  auto snapshot = limit_gate_->Read(day);
  if (!snapshot.ok()) return "error: " + snapshot.status().ToString();
  if (snapshot->status == GateStatus::kNotInitialized) return "absent";
  std::string out;
  for (const auto& [name, used] : snapshot->used) {
    out += (out.empty() ? "" : " ") + name + "=" + std::to_string(used);
  }
  return out;
}

std::string BookingHarness::PgLimitView(const std::string& day, bool doc,
                                        bool user_day) const {
  std::string kinds;
  if (doc) kinds += "'doc'";
  if (user_day) kinds += std::string(kinds.empty() ? "" : ",") + "'user-day'";
  if (kinds.empty()) return "";
  return Query(
      "SELECT coalesce(string_agg(quota_key || '=' || used, ' ' ORDER BY "
      "quota_key COLLATE \"C\"), '') FROM booking_quota WHERE used > 0 AND "
      "split_part(quota_key, ':', 1) IN (" +
      kinds + ") AND quota_key LIKE '%:" + day + "'");
}

std::string BookingHarness::GateView(const std::string& gate_key) {
  auto snapshot = gate_->Read(gate_key);
  if (!snapshot.ok()) return "error: " + snapshot.status().ToString();
  if (snapshot->status == GateStatus::kNotInitialized) return "absent";
  if (snapshot->status != GateStatus::kOk) {
    return std::string(GateStatusName(snapshot->status)) + " " +
           snapshot->message;
  }
  std::vector<GateRange> ranges = snapshot->ranges;
  // As PgView orders: by resource, then numerically by range start.
  std::sort(ranges.begin(), ranges.end(),
            [](const GateRange& a, const GateRange& b) {
              return std::tie(a.resource_id, a.from) <
                     std::tie(b.resource_id, b.from);
            });
  std::vector<std::string> lines;
  for (const GateRange& r : ranges) {
    lines.push_back(r.resource_id + "[" + std::to_string(r.from) + "," +
                    std::to_string(r.to) +
                    "):" + (r.state == GateRangeState::kSold ? "S" : "H") +
                    ":" + r.owner);
  }
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : " ") + l;
  return out;
}

std::string BookingHarness::Snapshot() const {
  return Query(
      "SELECT concat_ws(' | ', (SELECT count(*) FROM tcc_barrier), "
      "(SELECT count(*) FROM venue), (SELECT count(*) FROM run), "
      "(SELECT count(*) FROM machine), (SELECT count(*) FROM run_seat), "
      "(SELECT md5(coalesce(string_agg(resource_id || during::text || state "
      "|| gid::text, ',' ORDER BY resource_id, during), '')) FROM booking), "
      "(SELECT md5(coalesce(string_agg(q::text, ',' ORDER BY q::text), '')) "
      "FROM booking_quota q))");
}

}  // namespace turnstile::testing
