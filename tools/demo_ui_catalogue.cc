#include "tools/demo_ui_catalogue.h"

#include <ctime>

#include "absl/strings/str_cat.h"
#include "services/common/clients.h"
#include "tools/demo_bookings.h"

namespace turnstile::demo {
namespace {

using std::chrono::milliseconds;

// Whether a Get answered NOT_FOUND (create it) or OK (keep it); anything
// else ends the demo.
bool Missing(const grpc::Status& s, const std::string& what) {
  if (s.error_code() == grpc::StatusCode::NOT_FOUND) return true;
  Must(s, what);
  return false;
}

void SeedEvent(Stubs& stubs, const std::string& event) {
  v1::GetSeatMapRequest get;
  get.set_event_id(event);
  v1::SeatMap map;
  auto read = CallContext(milliseconds(5000));
  if (!Missing(stubs.seat->GetSeatMap(read.get(), get, &map), "GetSeatMap")) {
    return;
  }
  v1::CreateEventRequest req;
  req.set_event_id(event);
  req.set_name("Turnstile live: the demo concert");
  req.mutable_starts_at()->set_seconds(std::time(nullptr) + 86400 * 30);
  req.set_currency("EUR");
  for (const auto& [name, rows, seats, price] :
       {std::tuple{"Stalls", 6, 12, 6500},
        {"Circle", 4, 10, 4500},
        {"Balcony", 3, 14, 2500}}) {
    auto* section = req.add_sections();
    section->set_name(name);
    section->set_rows(rows);
    section->set_seats_per_row(seats);
    section->set_price_minor_units(price);
  }
  v1::Event out;
  auto ctx = AdminContext(milliseconds(10000));
  Must(stubs.seat->CreateEvent(ctx.get(), req, &out), "CreateEvent " + event);
}

void SeedSku(Stubs& stubs, const std::string& sku) {
  v1::GetSkuRequest get;
  get.set_sku_id(sku);
  v1::Sku out;
  auto read = CallContext(milliseconds(5000));
  if (Missing(stubs.inventory->GetSku(read.get(), get, &out), "GetSku")) {
    CreateSku(stubs, sku, "Flash sale: limited tour jacket", 100, 1, 1999);
  }
}

void SeedCafe(Stubs& stubs, const std::string& venue) {
  v1::GetVenueRequest get;
  get.set_venue_id(venue);
  v1::Venue out;
  auto read = CallContext(milliseconds(5000));
  if (Missing(stubs.booking->GetVenue(read.get(), get, &out), "GetVenue")) {
    CreateCafe(stubs, venue);
  }
}

std::string SeedRun(Stubs& stubs, const std::string& number) {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(kDemoTimeZone, &tz)) {
    Must(grpc::Status::CANCELLED, kDemoTimeZone);
  }
  const absl::CivilDay day = Tomorrow(tz);
  const std::string run = absl::StrCat(number, ":", absl::FormatCivilTime(day));
  v1::GetRunRequest get;
  get.set_run_id(run);
  v1::Run out;
  auto read = CallContext(milliseconds(5000));
  if (Missing(stubs.booking->GetRun(read.get(), get, &out), "GetRun")) {
    CreateTrain(stubs, number, day, tz);
  }
  return run;
}

}  // namespace

UiCatalogue SeedUiCatalogue(Stubs& stubs) {
  UiCatalogue c{.event_id = "ui-concert",
                .sku_id = "ui-flash",
                .venue_id = "ui-cafe",
                .run_id = "",
                .buyers = {"alice", "bob", "carol"}};
  SeedEvent(stubs, c.event_id);
  SeedSku(stubs, c.sku_id);
  SeedCafe(stubs, c.venue_id);
  c.run_id = SeedRun(stubs, "G101");
  // Deposits are idempotent per request id: a second demo adds nothing.
  for (const std::string& buyer : c.buyers) {
    v1::DepositRequest req;
    req.set_user_id(buyer);
    req.mutable_amount()->set_currency("EUR");
    req.mutable_amount()->set_minor_units(50000);
    req.set_request_id("ui-fund-" + buyer);
    v1::Wallet wallet;
    auto ctx = AdminContext(milliseconds(10000));
    Must(stubs.payment->Deposit(ctx.get(), req, &wallet), "Deposit " + buyer);
  }
  return c;
}

std::string DescribeUiCatalogue(const UiCatalogue& c,
                                const std::string& base_url) {
  const std::string app = base_url + "/#/";
  std::string buyers;
  for (const std::string& b : c.buyers) {
    absl::StrAppend(&buyers, buyers.empty() ? "" : ", ", b);
  }
  return absl::StrCat(
      "web UI: ", base_url, "/\n", "  sign in at ", app,
      "signin with any user id; ", buyers,
      " start with 500.00 EUR each (tick \"Operator\" for the console)\n",
      "  seat map:   ", app, "event/", c.event_id, "\n", "  flash sale: ", app,
      "flash/", c.sku_id, "\n", "  net cafe:   ", app, "netcafe/", c.venue_id,
      "\n", "  train:      ", app, "train/", c.run_id, "\n",
      "  my orders:  ", app, "orders\n", "  console:    ", app,
      "ops (sign in as an operator)\n");
}

}  // namespace turnstile::demo
