#include "tools/demo_bookings.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/common/clients.h"
#include "services/common/status.h"
#include "tools/format.h"

namespace turnstile::demo {
namespace {

constexpr const char* kZone = kDemoTimeZone;

using std::chrono::milliseconds;

void SetTime(google::protobuf::Timestamp* ts, absl::Time t) {
  ts->set_seconds(absl::ToUnixSeconds(t));
}

std::string RefusalOf(const grpc::Status& s) {
  const absl::Status status = FromGrpc(s);
  return absl::StrCat(absl::StatusCodeToString(status.code()), " ",
                      ReasonOf(status));
}

v1::PlaceOrderRequest SlotOrder(const std::string& request_id,
                                const std::string& venue,
                                const std::string& machine, absl::Time start,
                                const std::string& package, int minutes) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  req.set_pay_now(true);
  auto* slot = req.add_lines()->mutable_slot();
  slot->set_venue_id(venue);
  slot->set_zone_id("premium");
  if (!machine.empty()) slot->add_machine_ids(machine);
  SetTime(slot->mutable_starts_at(), start);
  if (!package.empty()) slot->set_package_id(package);
  slot->set_duration_minutes(minutes);
  return req;
}

void NetCafe(Stubs& stubs, const std::string& tag, const std::string& user) {
  const std::string venue = "demo-cafe-" + tag;
  CreateCafe(stubs, venue);
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(kZone, &tz)) Must(grpc::Status::CANCELLED, kZone);
  const absl::CivilDay day = Tomorrow(tz);
  auto at = [&](int hour) {
    return absl::FromCivil(absl::CivilHour(day) + hour, tz);
  };
  std::cout << "\n== net cafe " << venue << " (10:00-02:00, 30 min slots), "
            << absl::FormatCivilTime(day) << " ==\n";

  v1::PlaceOrderResponse a, b, c;
  Must(Place(stubs, user + "0", SlotOrder("cafe-a", venue, "", at(18), "4h", 0),
             &a),
       "4h slot on any premium machine");
  const std::string machine = a.order().items(0).booking().machine_id();
  std::cout << "18:00 + 4h package on any premium machine -> " << machine
            << "\n"
            << tools::FormatOrder(a.order()) << "\n";
  Must(Place(stubs, user + "1",
             SlotOrder("cafe-b", venue, machine, at(22), "", 120), &b),
       "adjacent 22:00-24:00");
  std::cout << "22:00 for 120 min on " << machine << " (adjacent) -> "
            << v1::OrderState_Name(b.order().state()) << "\n";
  const auto refused =
      Place(stubs, user + "2",
            SlotOrder("cafe-c", venue, machine, at(20), "2h", 0), &c);
  std::cout << "20:00 + 2h on " << machine << " (overlaps) -> "
            << (refused.ok() ? "SOLD (unexpected!)" : RefusalOf(refused))
            << "\n";
  if (refused.ok()) Must(grpc::Status::CANCELLED, "overlapping slot sold");

  v1::FreeWindowsRequest fw;
  fw.set_venue_id(venue);
  fw.set_machine_id(machine);
  fw.set_venue_day(absl::FormatCivilTime(day));
  v1::FreeWindowsResponse windows;
  auto ctx = CallContext(milliseconds(5000));
  Must(stubs.booking->FreeWindows(ctx.get(), fw, &windows), "FreeWindows");
  std::cout << "free windows of " << machine << ":";
  for (const auto& w : windows.windows()) {
    std::cout << " ["
              << absl::FormatTime(
                     "%H:%M", absl::FromUnixSeconds(w.starts_at().seconds()),
                     tz)
              << ", "
              << absl::FormatTime(
                     "%H:%M", absl::FromUnixSeconds(w.ends_at().seconds()), tz)
              << ")";
  }
  std::cout << "\n";
}

int Remaining(Stubs& stubs, const std::string& run, int from, int to) {
  v1::RemainingSeatsRequest req;
  req.set_run_id(run);
  req.set_from_stop(from);
  req.set_to_stop(to);
  req.set_class_id("second");
  v1::RemainingSeatsResponse resp;
  auto ctx = CallContext(milliseconds(5000));
  Must(stubs.booking->RemainingSeats(ctx.get(), req, &resp), "RemainingSeats");
  return resp.classes_size() == 1 ? resp.classes(0).remaining() : -1;
}

v1::PlaceOrderRequest LegOrder(const std::string& request_id,
                               const std::string& run, int from, int to,
                               const std::string& cls,
                               const std::vector<std::string>& docs,
                               bool pay_now) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  req.set_pay_now(pay_now);
  auto* leg = req.add_lines()->mutable_leg();
  leg->set_run_id(run);
  leg->set_from_stop(from);
  leg->set_to_stop(to);
  leg->set_class_id(cls);
  for (const auto& doc : docs) leg->add_passengers()->set_doc_id(doc);
  return req;
}

void Train(Stubs& stubs, const std::string& tag, const std::string& user) {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(kZone, &tz)) Must(grpc::Status::CANCELLED, kZone);
  const absl::CivilDay day = Tomorrow(tz);
  const std::string number =
      "G" + tag.substr(tag.size() > 8 ? tag.size() - 8 : 0);
  CreateTrain(stubs, number, day, tz);
  const std::string run = absl::StrCat(number, ":", absl::FormatCivilTime(day));
  std::cout << "\n== train " << run
            << " (10 stops, 20 first + 80 second class seats) ==\n";
  const int before_25 = Remaining(stubs, run, 2, 5);
  const int before_59 = Remaining(stubs, run, 5, 9);
  v1::PlaceOrderResponse trip;
  Must(Place(stubs, user + "3",
             LegOrder("trip", run, 2, 5, "second",
                      {"DOC" + tag + "A", "DOC" + tag + "B"}, true),
             &trip),
       "2 passengers from stop 2 to stop 5");
  std::cout << "2 passengers, second class, stop 2 -> 5:\n"
            << tools::FormatOrder(trip.order()) << "\n";
  std::cout << "remaining second class 2->5: " << before_25 << " -> "
            << Remaining(stubs, run, 2, 5) << ";  5->9: " << before_59 << " -> "
            << Remaining(stubs, run, 5, 9) << "\n";

  v1::PlaceOrderResponse reserved;
  Must(Place(stubs, user + "4",
             LegOrder("whole", run, 0, 9, "first", {"DOC" + tag + "C"}, false),
             &reserved),
       "reserve the whole run");
  std::cout << "whole run, first class, reserved with the train's window:\n"
            << tools::FormatOrder(reserved.order()) << "\n";
  v1::PayOrderRequest pay;
  pay.set_order_id(reserved.order().order_id());
  v1::OrderInfo paid;
  auto ctx = CallContextFor(milliseconds(30000), user + "4");
  Must(stubs.order->PayOrder(ctx.get(), pay, &paid), "PayOrder");
  std::cout << "paid -> " << v1::OrderState_Name(paid.state()) << "\n";
}

}  // namespace

absl::CivilDay Tomorrow(const absl::TimeZone& tz) {
  return absl::ToCivilDay(absl::Now(), tz) + 1;
}

void CreateCafe(Stubs& stubs, const std::string& venue) {
  v1::CreateVenueRequest req;
  req.set_venue_id(venue);
  req.set_name("Demo net cafe");
  req.set_time_zone(kZone);
  req.set_currency("EUR");
  req.set_opening_minute(10 * 60);
  req.set_closing_minute(2 * 60);  // past midnight: 10:00-02:00
  req.set_slot_minutes(30);
  auto* premium = req.add_zones();
  premium->set_zone_id("premium");
  premium->set_name("Premium machines");
  premium->set_price_per_hour_minor_units(1200);
  for (const auto& [id, hours, price] :
       {std::tuple{"2h", 2, 2000}, {"4h", 4, 3600}, {"6h", 6, 5000}}) {
    auto* p = premium->add_packages();
    p->set_package_id(id);
    p->set_hours(hours);
    p->set_price_minor_units(price);
  }
  for (int i = 1; i <= 8; ++i) premium->add_machine_ids(absl::StrCat("p", i));
  auto* room = req.add_zones();
  room->set_zone_id("room");
  room->set_name("Private room");
  room->set_price_per_hour_minor_units(2500);
  room->add_machine_ids("r1");
  room->add_machine_ids("r2");
  v1::Venue out;
  auto ctx = AdminContext(milliseconds(10000));
  Must(stubs.booking->CreateVenue(ctx.get(), req, &out), "CreateVenue");
}

void CreateTrain(Stubs& stubs, const std::string& number, absl::CivilDay day,
                 const absl::TimeZone& tz) {
  static const char* kStations[] = {
      "Beijing South", "Langfang",   "Tianjin South", "Cangzhou West",
      "Dezhou East",   "Jinan West", "Tai'an",        "Qufu East",
      "Tengzhou East", "Xuzhou East"};
  v1::CreateRunRequest req;
  req.set_train_number(number);
  req.set_service_date(absl::FormatCivilTime(day));
  req.set_currency("EUR");
  for (int i = 0; i < 10; ++i) {
    auto* stop = req.add_stops();
    stop->set_station(kStations[i]);
    SetTime(stop->mutable_departs_at(),
            absl::FromCivil(absl::CivilMinute(day) + 8 * 60 + 25 * i, tz));
  }
  auto* first = req.add_classes();
  first->set_class_id("first");
  first->set_price_per_leg_minor_units(1200);
  auto* second = req.add_classes();
  second->set_class_id("second");
  second->set_price_per_leg_minor_units(600);
  for (const auto& [car, cls, seats] :
       {std::tuple{1, "first", 20}, {2, "second", 40}, {3, "second", 40}}) {
    auto* c = req.add_cars();
    c->set_car(car);
    c->set_class_id(cls);
    c->set_seats(seats);
  }
  v1::Run out;
  auto ctx = AdminContext(milliseconds(10000));
  Must(stubs.booking->CreateRun(ctx.get(), req, &out), "CreateRun");
}

void Bookings(Stubs& stubs, const std::string& tag) {
  const std::string user = "traveller-" + tag + "-";
  Fund(stubs, user, 5, 100000);
  NetCafe(stubs, tag, user);
  Train(stubs, tag, user);
}

}  // namespace turnstile::demo
