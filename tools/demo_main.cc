// turnstile-demo: seeds a demo catalog and wallets on a running mesh, lets
// 200 concurrent buyers fight over 50 units and then over 50 seats (pay_now),
// shows the reserve-then-pay flow (paid, cancelled, expired), books a
// net-cafe slot and a train trip (demo_bookings.h), seeds the web UI's
// catalogue (demo_ui_catalogue.h), and prints what happened
// and whether every invariant holds. With --throughput_orders it
// also measures pay_now throughput on an uncontended SKU.
#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/clients.h"
#include "services/common/pg_password.h"
#include "services/common/process.h"
#include "tools/demo_bookings.h"
#include "tools/demo_common.h"
#include "tools/demo_ui_catalogue.h"
#include "tools/format.h"
#include "tools/invariants.h"
#include "tools/load.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/order.grpc.pb.h"
#include "turnstile/v1/payment.grpc.pb.h"
#include "turnstile/v1/seat.grpc.pb.h"

ABSL_FLAG(std::string, pg_base, "host=127.0.0.1 port=5432 user=postgres",
          "libpq conninfo without dbname, for the invariant check, of a "
          "superuser; its password comes from --pg_password_file");
ABSL_FLAG(std::string, db_prefix, "turnstile", "databases <prefix>_<service>");
ABSL_FLAG(int, buyers, 200, "concurrent buyers in each contended phase");
ABSL_FLAG(int, units, 50, "units of the contended SKU");
ABSL_FLAG(int, seat_rows, 5, "rows of the demo event (10 seats each)");
ABSL_FLAG(bool, contended, true, "run the contended stock and seat phases");
ABSL_FLAG(bool, reserve_then_pay, true, "show paid/cancelled/expired orders");
ABSL_FLAG(bool, bookings, true,
          "book a net-cafe slot and a train trip (needs turnstile-booking)");
ABSL_FLAG(bool, ui_catalogue, true,
          "seed the web UI's catalogue (fixed ids, idempotent) and print its "
          "pages under --ui_url");
ABSL_FLAG(std::string, ui_url, "http://127.0.0.1:8080",
          "the gateway's URL, for the printed links of the web UI");
ABSL_FLAG(int, throughput_orders, 0,
          "also place this many pay_now orders on an uncontended SKU and "
          "report orders/s");
ABSL_FLAG(int, concurrency, 32, "client threads of the throughput phase");

namespace turnstile {
namespace {

using demo::AdminContext;
using demo::CreateSku;
using demo::Fund;
using demo::GetOrder;
using demo::Must;
using demo::Place;
using demo::Stubs;

using std::chrono::milliseconds;

v1::PlaceOrderRequest StockOrder(const std::string& request_id,
                                 const std::string& sku, bool pay_now) {
  v1::PlaceOrderRequest req;
  req.set_request_id(request_id);
  req.set_pay_now(pay_now);
  auto* line = req.add_lines();
  line->set_sku_id(sku);
  line->set_quantity(1);
  return req;
}

void ReserveThenPay(Stubs& stubs, const std::string& tag) {
  const std::string sku = "demo-poster-" + tag;
  CreateSku(stubs, sku, "Tour poster", 10, 0, 900);
  const std::string user = "rtp-" + tag + "-";
  Fund(stubs, user, 3, 10000);
  std::cout << "\n== reserve then pay (SKU " << sku << ", 10 units) ==\n";
  v1::PlaceOrderResponse a, b, c;
  auto req = StockOrder("r1", sku, false);
  Must(Place(stubs, user + "0", req, &a), "reserve order A");
  {
    v1::PayOrderRequest pay;
    pay.set_order_id(a.order().order_id());
    v1::OrderInfo paid;
    auto ctx = CallContextFor(milliseconds(30000), user + "0");
    Must(stubs.order->PayOrder(ctx.get(), pay, &paid), "PayOrder A");
  }
  req = StockOrder("r1", sku, false);
  Must(Place(stubs, user + "1", req, &b), "reserve order B");
  {
    v1::CancelOrderRequest cancel;
    cancel.set_order_id(b.order().order_id());
    v1::OrderInfo cancelled;
    auto ctx = CallContextFor(milliseconds(30000), user + "1");
    Must(stubs.order->CancelOrder(ctx.get(), cancel, &cancelled),
         "CancelOrder B");
  }
  req = StockOrder("r1", sku, false);
  req.set_payment_window_seconds(2);
  Must(Place(stubs, user + "2", req, &c), "reserve order C");
  std::cout << "order C reserved with a 2 s payment window, not paying...\n";
  for (int i = 0; i < 100; ++i) {
    if (GetOrder(stubs, c.order().order_id()).state() ==
        v1::ORDER_STATE_EXPIRED) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  for (const auto* o : {&a, &b, &c}) {
    std::cout << tools::FormatOrder(GetOrder(stubs, o->order().order_id()))
              << "\n";
  }
  v1::GetSkuRequest get;
  get.set_sku_id(sku);
  v1::Sku state;
  auto ctx = CallContext(milliseconds(5000));
  Must(stubs.inventory->GetSku(ctx.get(), get, &state), "GetSku");
  std::cout << tools::FormatSku(state) << "\n";
}

void Contended(Stubs& stubs, const std::string& tag) {
  const int buyers = absl::GetFlag(FLAGS_buyers);
  const int units = absl::GetFlag(FLAGS_units);
  const std::string sku = "demo-tshirt-" + tag;
  CreateSku(stubs, sku, "Limited tour T-shirt", units, 1, 2500);
  const std::string prefix = "buyer-" + tag + "-";
  Fund(stubs, prefix, buyers, 100000);
  std::cout << "== " << buyers << " buyers, " << units
            << " T-shirts, pay now (limit 1 per user) ==\n";
  auto tally = tools::RunLoad(buyers, buyers, [&](int i) {
    v1::PlaceOrderResponse resp;
    return Place(stubs, prefix + std::to_string(i),
                 StockOrder("tshirt", sku, true), &resp);
  });
  std::cout << tally.Summary("T-shirt orders");

  const std::string event = "demo-concert-" + tag;
  const int rows = absl::GetFlag(FLAGS_seat_rows);
  {
    v1::CreateEventRequest req;
    req.set_event_id(event);
    req.set_name("Demo concert");
    req.mutable_starts_at()->set_seconds(std::time(nullptr) + 86400 * 30);
    req.set_currency("EUR");
    auto* section = req.add_sections();
    section->set_name("A");
    section->set_rows(rows);
    section->set_seats_per_row(10);
    section->set_price_minor_units(4000);
    v1::Event out;
    auto ctx = AdminContext(milliseconds(10000));
    Must(stubs.seat->CreateEvent(ctx.get(), req, &out), "CreateEvent");
  }
  std::cout << "\n== " << buyers << " buyers, " << rows * 10
            << " seats, each picks one at random, pay now ==\n";
  tally = tools::RunLoad(buyers, buyers, [&](int i) {
    std::mt19937 rng(i * 7919 + 1);
    auto req = StockOrder("seat", "", true);
    req.clear_lines();
    auto* line = req.add_lines();
    line->set_event_id(event);
    line->add_seat_ids(
        absl::StrCat("A-", rng() % rows + 1, "-", rng() % 10 + 1));
    v1::PlaceOrderResponse resp;
    return Place(stubs, prefix + std::to_string(i), req, &resp);
  });
  std::cout << tally.Summary("seat orders");
  v1::GetSkuRequest get;
  get.set_sku_id(sku);
  v1::Sku state;
  auto ctx = CallContext(milliseconds(5000));
  Must(stubs.inventory->GetSku(ctx.get(), get, &state), "GetSku");
  std::cout << "stock after: " << tools::FormatSku(state) << "\n";
  v1::GetSeatMapRequest map_req;
  map_req.set_event_id(event);
  v1::SeatMap map;
  auto ctx2 = CallContext(milliseconds(5000));
  Must(stubs.seat->GetSeatMap(ctx2.get(), map_req, &map), "GetSeatMap");
  std::map<std::string, int> by_state;
  for (const auto& s : map.seats()) ++by_state[v1::SeatState_Name(s.state())];
  std::cout << "seats after:";
  for (const auto& [k, v] : by_state) std::cout << " " << k << "=" << v;
  std::cout << "\n";
}

void Throughput(Stubs& stubs, const std::string& tag) {
  const int n = absl::GetFlag(FLAGS_throughput_orders);
  const int c = absl::GetFlag(FLAGS_concurrency);
  const std::string sku = "demo-bulk-" + tag;
  CreateSku(stubs, sku, "Bulk item", n + 10, 0, 100);
  const std::string prefix = "bulk-" + tag + "-";
  Fund(stubs, prefix, c, 100LL * n + 1000);
  std::cout << "\n== throughput: " << n << " pay_now orders, " << c
            << " client threads, uncontended SKU ==\n";
  auto tally = tools::RunLoad(n, c, [&](int i) {
    v1::PlaceOrderResponse resp;
    return Place(stubs, prefix + std::to_string(i % c),
                 StockOrder(absl::StrCat("bulk-", i), sku, true), &resp);
  });
  std::cout << tally.Summary("pay_now orders");
  std::cout << absl::StrFormat("THROUGHPUT pay_now_orders_per_s=%.1f\n",
                               tally.ok / tally.seconds);
}

int Main(int argc, char** argv) {
  if (!InitTool(argc, argv, "loadgen")) return 2;
  // Read first: a missing password file should stop the demo before it runs.
  const auto pg_base = PgConninfoFromFlags(absl::GetFlag(FLAGS_pg_base));
  if (!pg_base.ok()) {
    std::cerr << pg_base.status() << "\n";
    return 2;
  }
  Stubs stubs;
  const std::string tag = std::to_string(std::time(nullptr));
  if (absl::GetFlag(FLAGS_contended)) Contended(stubs, tag);
  if (absl::GetFlag(FLAGS_reserve_then_pay)) ReserveThenPay(stubs, tag);
  if (absl::GetFlag(FLAGS_bookings)) demo::Bookings(stubs, tag);
  if (absl::GetFlag(FLAGS_throughput_orders) > 0) Throughput(stubs, tag);
  std::string ui;
  if (absl::GetFlag(FLAGS_ui_catalogue)) {
    ui = demo::DescribeUiCatalogue(demo::SeedUiCatalogue(stubs),
                                   absl::GetFlag(FLAGS_ui_url));
  }

  std::cout << "\n== invariants (turnstilectl check) ==\n";
  const auto dbs =
      tools::DatabasesFor(*pg_base, absl::GetFlag(FLAGS_db_prefix));
  // Confirms and cancels are delivered in the background: give them a moment.
  for (int i = 0;; ++i) {
    auto results = tools::CheckInvariants(dbs, {.horizon_seconds = 0});
    if (!results.ok()) {
      std::cerr << results.status() << "\n";
      return 2;
    }
    if (tools::AllOk(*results) || i == 50) {
      std::cout << tools::FormatResults(*results);
      std::cout << (tools::AllOk(*results) ? "all invariants hold\n"
                                           : "INVARIANTS VIOLATED\n");
      if (!ui.empty()) std::cout << "\n== the web UI ==\n" << ui;
      return tools::AllOk(*results) ? 0 : 1;
    }
    std::this_thread::sleep_for(milliseconds(200));
  }
}

}  // namespace
}  // namespace turnstile

int main(int argc, char** argv) { return turnstile::Main(argc, argv); }
