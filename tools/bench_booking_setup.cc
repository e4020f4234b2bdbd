#include "tools/bench_booking_setup.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/common/clients.h"
#include "tools/bench_flags.h"
#include "tools/bench_rpc.h"
#include "turnstile/v1/booking.grpc.pb.h"

namespace turnstile::bench {

using std::chrono::seconds;

namespace {

std::unique_ptr<v1::Booking::Stub> OperatorStub() {
  return v1::Booking::NewStub(
      MakeChannel(absl::GetFlag(FLAGS_booking), "booking"));
}

void SetTime(google::protobuf::Timestamp* ts, absl::Time t) {
  ts->set_seconds(absl::ToUnixSeconds(t));
  ts->set_nanos(0);
}

}  // namespace

absl::CivilDay BenchDay() {
  std::mt19937_64 rng(std::random_device{}());
  const absl::CivilDay today =
      absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  return today + 1 + static_cast<int>(rng() % 25);
}

v1::Run CreateBenchRun(const std::string& train, absl::CivilDay day,
                       int seats) {
  v1::CreateRunRequest req;
  req.set_train_number(train);
  req.set_service_date(absl::FormatCivilTime(day));
  req.set_currency("EUR");
  const absl::Time departs =
      absl::FromCivil(absl::CivilMinute(day) + 8 * 60, absl::UTCTimeZone());
  for (int k = 0; k < kTrainStops; ++k) {
    auto* stop = req.add_stops();
    stop->set_station(absl::StrCat("Station ", k));
    SetTime(stop->mutable_departs_at(), departs + absl::Minutes(30 * k));
  }
  for (const char* c : {"c1", "c2"}) {
    auto* cls = req.add_classes();
    cls->set_class_id(c);
    cls->set_price_per_leg_minor_units(kPricePerLeg);
  }
  // First class: the first ~40% of the seats; cars of at most 200.
  const int first = std::max(1, seats * 2 / 5);
  int car = 1;
  for (const auto& [cls, count] :
       {std::pair<const char*, int>{"c1", first}, {"c2", seats - first}}) {
    for (int left = count; left > 0; left -= 200) {
      auto* c = req.add_cars();
      c->set_car(car++);
      c->set_class_id(cls);
      c->set_seats(std::min(left, 200));
    }
  }
  v1::Run out;
  auto ctx = CallContextFor(seconds(60), kOperator, kAdmin);
  if (auto s = OperatorStub()->CreateRun(ctx.get(), req, &out); !s.ok()) {
    Die("CreateRun " + train + ": " + s.error_message());
  }
  return out;
}

std::vector<std::string> SeatsOfClass(const v1::Run& run,
                                      const std::string& class_id) {
  std::vector<std::string> out;
  for (const auto& seat : run.seats()) {
    if (seat.class_id() == class_id) out.push_back(seat.seat_id());
  }
  return out;
}

v1::Venue CreateBenchVenue(const std::string& venue_id, int machines) {
  v1::CreateVenueRequest req;
  req.set_venue_id(venue_id);
  req.set_name("turnstile-bench " + venue_id);
  req.set_time_zone("UTC");
  req.set_currency("EUR");
  req.set_opening_minute(0);
  req.set_closing_minute(0);  // open 24 hours
  req.set_slot_minutes(kSlotMinutes);
  auto* zone = req.add_zones();
  zone->set_zone_id(kCafeZone);
  zone->set_name("bench zone");
  zone->set_price_per_hour_minor_units(kPackagePrice / 4);
  auto* package = zone->add_packages();
  package->set_package_id(kPackage);
  package->set_hours(4);
  package->set_price_minor_units(kPackagePrice);
  for (int m = 1; m <= machines; ++m)
    zone->add_machine_ids(absl::StrCat("m", m));
  v1::Venue out;
  auto ctx = CallContextFor(seconds(60), kOperator, kAdmin);
  if (auto s = OperatorStub()->CreateVenue(ctx.get(), req, &out); !s.ok()) {
    Die("CreateVenue " + venue_id + ": " + s.error_message());
  }
  return out;
}

v1::OrderLine LegLine(const std::string& run_id, int from, int to,
                      const std::string& class_id, int passengers,
                      const std::string& doc_prefix) {
  v1::OrderLine line;
  auto* leg = line.mutable_leg();
  leg->set_run_id(run_id);
  leg->set_from_stop(from);
  leg->set_to_stop(to);
  leg->set_class_id(class_id);
  for (int p = 0; p < passengers; ++p) {
    leg->add_passengers()->set_doc_id(absl::StrCat(doc_prefix, p));
  }
  return line;
}

v1::OrderLine SlotLine(const std::string& venue_id, int64_t starts_at_unix) {
  v1::OrderLine line;
  auto* slot = line.mutable_slot();
  slot->set_venue_id(venue_id);
  slot->set_zone_id(kCafeZone);
  slot->set_machines(1);
  slot->mutable_starts_at()->set_seconds(starts_at_unix);
  slot->set_package_id(kPackage);
  return line;
}

}  // namespace turnstile::bench
