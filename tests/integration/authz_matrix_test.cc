// The authorization matrix (DESIGN.md §8) over the real mesh and real mTLS:
// every RPC of every service in proto/ (the Participant service on each of
// its five servers) x every kind of caller. The expected matrix is written
// out here from the design, not derived from the table under test. Denied
// calls are sent first, all of them, with requests that would do harm if
// they ran; then the databases' footprint must be unchanged. Allowed calls
// must reach their handler (OK or a business answer, never an
// authentication refusal).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <ctime>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "services/common/caller.h"
#include "services/common/uuid.h"
#include "tests/support/mesh_test.h"
#include "tests/support/raw_call.h"
#include "tests/support/test_pki.h"
#include "tests/support/try_deadline.h"
#include "turnstile/v1/booking.grpc.pb.h"
#include "turnstile/v1/coordinator.grpc.pb.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/order.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"
#include "turnstile/v1/payment.grpc.pb.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile::testing {
namespace {

struct CallerSpec {
  std::string name;
  std::string identity;  // certificate; "" = none
  std::string user;      // x-turnstile-user, "" = none
  std::string roles;     // x-turnstile-roles
};

const std::vector<CallerSpec>& Callers() {
  static const std::vector<CallerSpec> kCallers = {
      {"no certificate", "", "", ""},
      {"other CA", "evil", "", ""},
      {"buyer A", "loadgen", "alice", ""},
      {"buyer B", "loadgen", "bob", ""},
      {"admin", "loadgen", "ops", "admin"},
      {"order", "order", "", ""},
      {"coordinator", "coordinator", "", ""},
      {"inventory", "inventory", "", ""},
      {"seat", "seat", "", ""},
      {"booking", "booking", "", ""},
      {"payment", "payment", "", ""},
      {"gateway", "gateway", "", ""},
      {"turnstilectl", "turnstilectl", "", ""},
  };
  return kCallers;
}

// Who may call what, from DESIGN.md §8 (not from authz_table.cc).
std::set<std::string> Expected(const std::string& method) {
  const std::set<std::string> operators = {"admin", "turnstilectl"};
  const std::set<std::string> buyers = {"buyer A", "buyer B", "admin"};
  const std::set<std::string> authenticated = {
      "buyer A", "buyer B", "admin",   "order",   "coordinator", "inventory",
      "seat",    "booking", "payment", "gateway", "turnstilectl"};
  static const std::map<std::string, std::set<std::string>> kMatrix = {
      {"/turnstile.v1.Coordinator/Begin", {"order"}},
      {"/turnstile.v1.Coordinator/RegisterBranch", {"order"}},
      {"/turnstile.v1.Coordinator/Commit", {"order"}},
      {"/turnstile.v1.Coordinator/Abort", {"order"}},
      {"/turnstile.v1.Coordinator/GetTransaction",
       {"admin", "turnstilectl", "order", "inventory", "seat", "booking",
        "payment"}},
      {"/turnstile.v1.Coordinator/ListTransactions", operators},
      {"/turnstile.v1.Coordinator/RetryTransaction", operators},
      {"/turnstile.v1.Coordinator/GetSummary", operators},
      {"/turnstile.v1.Participant/Confirm", {"coordinator"}},
      {"/turnstile.v1.Participant/Cancel", {"coordinator"}},
      {"/turnstile.v1.Inventory/CreateSku", operators},
      {"/turnstile.v1.Inventory/GetSku", authenticated},
      {"/turnstile.v1.Inventory/ListSkus", authenticated},
      {"/turnstile.v1.Inventory/ReserveStock", {"order"}},
      {"/turnstile.v1.Inventory/Reconcile", operators},
      {"/turnstile.v1.Seat/CreateEvent", operators},
      {"/turnstile.v1.Seat/GetSeatMap", authenticated},
      {"/turnstile.v1.Seat/HoldSeats", {"order"}},
      {"/turnstile.v1.Seat/Reconcile", operators},
      {"/turnstile.v1.Booking/CreateVenue", operators},
      {"/turnstile.v1.Booking/GetVenue", authenticated},
      {"/turnstile.v1.Booking/FreeMachines", authenticated},
      {"/turnstile.v1.Booking/FreeWindows", authenticated},
      {"/turnstile.v1.Booking/CreateRun", operators},
      {"/turnstile.v1.Booking/GetRun", authenticated},
      {"/turnstile.v1.Booking/RemainingSeats", authenticated},
      {"/turnstile.v1.Booking/GetStopMatrix", authenticated},
      {"/turnstile.v1.Booking/HoldBookings", {"order"}},
      {"/turnstile.v1.Booking/Reconcile", operators},
      {"/turnstile.v1.Payment/Deposit", operators},
      {"/turnstile.v1.Payment/GetWallet", buyers},
      {"/turnstile.v1.Payment/AuthorizePayment", {"order"}},
      {"/turnstile.v1.Order/PlaceOrder", buyers},
      {"/turnstile.v1.Order/PayOrder", buyers},
      {"/turnstile.v1.Order/CancelOrder", buyers},
      {"/turnstile.v1.Order/GetOrder",
       {"buyer A", "buyer B", "admin", "turnstilectl"}},
      {"/turnstile.v1.Order/ListOrders", buyers},
  };
  auto it = kMatrix.find(method);
  if (it == kMatrix.end()) {
    ADD_FAILURE() << method << " is missing from the expected matrix";
    return {};
  }
  return it->second;
}

class AuthzMatrixTest : public MeshTest {
 protected:
  void SetUp() override {
    TestPki({"--other-ca", "evil"});
    MeshTest::SetUp();
    shop().CreateSku("tee", 100, 0, 99900);
    shop().CreateEvent("gig", 2, 10, 1000);
    shop().Deposit("alice", 100);
    shop().Deposit("bob", 100);
    v1::OrderInfo order;
    ASSERT_TRUE(shop().PlaceStock("alice", "a1", "tee", 1, false, &order).ok());
    order_a_ = order.order_id();
    // A net-cafe venue and a train run, so that a Booking Try that ran
    // would hold something real.
    auto booking = v1::Booking::NewStub(mesh().Channel("booking"));
    v1::Venue venue;
    grpc::Status s =
        booking->CreateVenue(Ctx().get(), VenueRequest(kVenue), &venue);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::Run run;
    s = booking->CreateRun(Ctx().get(), RunRequest(kTrain), &run);
    ASSERT_TRUE(s.ok()) << s.error_message();
    run_id_ = run.run_id();
  }

  static constexpr char kVenue[] = "cafe";
  static constexpr char kTrain[] = "IC1";

  // Two days ahead at 10:00 UTC: inside the 24-hour venue's grid.
  static int64_t SlotStart() {
    const int64_t day = std::time(nullptr) / 86400 + 2;
    return day * 86400 + 10 * 3600;
  }
  static std::string Date(int64_t seconds) {
    char buf[16];
    const std::time_t t = seconds;
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
  }

  // A venue open around the clock in UTC, one-hour slots, ten machines.
  static v1::CreateVenueRequest VenueRequest(const std::string& id) {
    v1::CreateVenueRequest r;
    r.set_venue_id(id);
    r.set_name("matrix cafe");
    r.set_time_zone("UTC");
    r.set_currency("EUR");
    r.set_opening_minute(0);
    r.set_closing_minute(0);
    r.set_slot_minutes(60);
    auto* zone = r.add_zones();
    zone->set_zone_id("std");
    zone->set_name("Standard");
    zone->set_price_per_hour_minor_units(100);
    auto* package = zone->add_packages();
    package->set_package_id("2h");
    package->set_hours(2);
    package->set_price_minor_units(180);
    for (int m = 1; m <= 10; ++m) {
      zone->add_machine_ids(id + "-m" + std::to_string(m));
    }
    return r;
  }

  // A three-stop run three days ahead, one car of ten second-class seats.
  static v1::CreateRunRequest RunRequest(const std::string& train) {
    v1::CreateRunRequest r;
    r.set_train_number(train);
    const int64_t departs = SlotStart() + 86400;
    r.set_service_date(Date(departs));
    r.set_currency("EUR");
    for (int i = 0; i < 3; ++i) {
      auto* stop = r.add_stops();
      stop->set_station("Station " + std::to_string(i));
      stop->mutable_departs_at()->set_seconds(departs + i * 3600);
    }
    auto* cls = r.add_classes();
    cls->set_class_id("second");
    cls->set_price_per_leg_minor_units(500);
    auto* car = r.add_cars();
    car->set_car(1);
    car->set_class_id("second");
    car->set_seats(10);
    return r;
  }

  std::shared_ptr<grpc::Channel> ChannelFor(const std::string& service,
                                            const CallerSpec& caller) {
    auto& ch = channels_[service + "/" + caller.name];
    if (!ch)
      ch = TestChannel(mesh().Address(service), service, caller.identity);
    return ch;
  }

  // One unary call with raw bytes (no generated stub needed per method).
  // A connection that failed before any server answered (UNAVAILABLE
  // without details: a handshake cut short on a loaded machine) says nothing
  // about authorization: such a call of a caller with a certificate of the
  // mesh CA is made again, at most three times. (The callers without one,
  // or with a foreign one, fail the handshake by design.)
  grpc::Status Call(const std::string& service, const CallerSpec& caller,
                    const std::string& method, const std::string& request) {
    grpc::Status status;
    const bool mesh_certificate =
        !caller.identity.empty() && caller.identity != "evil";
    for (int attempt = 0; attempt < (mesh_certificate ? 3 : 1); ++attempt) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(10));
      if (!caller.user.empty()) ActAs(ctx, caller.user, caller.roles);
      status = RawUnaryCall(ChannelFor(service, caller), method, request, &ctx);
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE ||
          !status.error_details().empty() ||
          status.error_message().find("Handshake read failed") ==
              std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return status;
  }

  // A request for `method` that is valid (and harmful if it ran for the
  // wrong caller); `n` keeps ids unique.
  std::string Request(const std::string& service, const std::string& method,
                      int n) {
    const std::string gid = NewUuidV7();
    const std::string tag = "m" + std::to_string(n);
    auto deadline = [](google::protobuf::Timestamp* ts) {
      ts->set_seconds(std::time(nullptr) + 600);
    };
    if (method == "/turnstile.v1.Coordinator/Begin") {
      v1::BeginRequest r;
      r.set_request_id(tag);
      r.set_timeout_ms(60000);
      auto* b = r.add_branches();
      b->set_branch_id("order");
      b->set_participant("order");
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Coordinator/RegisterBranch") {
      v1::RegisterBranchRequest r;
      r.set_gid(order_a_);
      r.mutable_branch()->set_branch_id("payment");
      r.mutable_branch()->set_participant("payment");
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Coordinator/Commit") {
      v1::CommitRequest r;  // the unpaid order: committing it is the attack
      r.set_gid(order_a_);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Coordinator/Abort") {
      v1::AbortRequest r;
      r.set_gid(order_a_);
      r.set_reason(v1::CANCEL_REASON_USER);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Coordinator/GetTransaction" ||
        method == "/turnstile.v1.Coordinator/RetryTransaction") {
      v1::GetTransactionRequest r;
      r.set_gid(order_a_);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Coordinator/ListTransactions") {
      v1::ListTransactionsRequest r;
      r.set_stuck_only(n % 2 == 0);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Coordinator/GetSummary") {
      return v1::GetSummaryRequest().SerializeAsString();
    }
    if (method == "/turnstile.v1.Participant/Confirm") {
      v1::ConfirmRequest r;  // confirming the unpaid order's branch
      r.mutable_txn()->set_gid(order_a_);
      r.mutable_txn()->set_branch_id(service);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Participant/Cancel") {
      v1::CancelRequest r;
      r.mutable_txn()->set_gid(order_a_);
      r.mutable_txn()->set_branch_id(service);
      r.set_reason(v1::CANCEL_REASON_USER);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Inventory/CreateSku") {
      v1::CreateSkuRequest r;
      r.set_sku_id("sku-" + tag);
      r.set_name("matrix");
      r.mutable_price()->set_currency("EUR");
      r.mutable_price()->set_minor_units(100);
      r.set_stock(10);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Inventory/GetSku") {
      v1::GetSkuRequest r;
      r.set_sku_id("tee");
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Inventory/ListSkus") {
      return v1::ListSkusRequest().SerializeAsString();
    }
    if (method == "/turnstile.v1.Inventory/ReserveStock") {
      v1::ReserveStockRequest r;
      r.mutable_txn()->set_gid(gid);
      r.mutable_txn()->set_branch_id("inventory");
      r.set_user_id("alice");
      testing::SetTryDeadline(r.mutable_deadline());
      auto* item = r.add_items();
      item->set_sku_id("tee");
      item->set_quantity(1);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Inventory/Reconcile") {
      v1::ReconcileRequest r;
      r.set_sku_id("tee");
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Seat/CreateEvent") {
      v1::CreateEventRequest r;
      r.set_event_id("ev-" + tag);
      r.set_name("matrix");
      r.mutable_starts_at()->set_seconds(std::time(nullptr) + 86400);
      r.set_currency("EUR");
      auto* s = r.add_sections();
      s->set_name("A");
      s->set_rows(1);
      s->set_seats_per_row(2);
      s->set_price_minor_units(100);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Seat/GetSeatMap") {
      v1::GetSeatMapRequest r;
      r.set_event_id("gig");
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Seat/HoldSeats") {
      v1::HoldSeatsRequest r;
      r.mutable_txn()->set_gid(gid);
      r.mutable_txn()->set_branch_id("seat");
      r.set_user_id("alice");
      testing::SetTryDeadline(r.mutable_deadline());
      r.set_event_id("gig");
      r.add_seat_ids("A-1-" + std::to_string(1 + n % 10));
      deadline(r.mutable_deadline());
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Seat/Reconcile") {
      v1::ReconcileSeatsRequest r;
      r.set_event_id("gig");
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Booking/CreateVenue") {
      return VenueRequest("v-" + tag).SerializeAsString();
    }
    if (method == "/turnstile.v1.Booking/GetVenue") {
      v1::GetVenueRequest r;
      r.set_venue_id(kVenue);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Booking/FreeMachines") {
      v1::FreeMachinesRequest r;
      r.set_venue_id(kVenue);
      r.set_zone_id("std");
      r.mutable_starts_at()->set_seconds(SlotStart());
      r.set_package_id("2h");
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Booking/FreeWindows") {
      v1::FreeWindowsRequest r;
      r.set_venue_id(kVenue);
      r.set_machine_id(std::string(kVenue) + "-m1");
      r.set_venue_day(Date(SlotStart()));
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Booking/CreateRun") {
      return RunRequest("T" + std::to_string(n)).SerializeAsString();
    }
    if (method == "/turnstile.v1.Booking/GetRun") {
      v1::GetRunRequest r;
      r.set_run_id(run_id_);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Booking/RemainingSeats") {
      v1::RemainingSeatsRequest r;
      r.set_run_id(run_id_);
      r.set_from_stop(0);
      r.set_to_stop(2);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Booking/GetStopMatrix") {
      v1::GetStopMatrixRequest r;
      r.set_run_id(run_id_);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Booking/HoldBookings") {
      v1::HoldBookingsRequest r;  // booking a machine for a stranger
      r.mutable_txn()->set_gid(gid);
      r.mutable_txn()->set_branch_id("booking");
      r.set_user_id("alice");
      testing::SetTryDeadline(r.mutable_deadline());
      auto* slot = r.mutable_slot();
      slot->set_venue_id(kVenue);
      slot->set_zone_id("std");
      slot->add_machine_ids(std::string(kVenue) + "-m" +
                            std::to_string(1 + n % 10));
      slot->mutable_starts_at()->set_seconds(SlotStart());
      slot->set_package_id("2h");
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Booking/Reconcile") {
      v1::ReconcileBookingsRequest r;
      r.set_venue_id(kVenue);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Payment/Deposit") {
      v1::DepositRequest r;
      r.set_user_id("alice");
      r.mutable_amount()->set_currency("EUR");
      r.mutable_amount()->set_minor_units(1'000'000'000'000);
      r.set_request_id("dep-" + tag);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Payment/GetWallet") {
      v1::GetWalletRequest r;
      r.set_currency("EUR");
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Payment/AuthorizePayment") {
      v1::AuthorizePaymentRequest r;  // freezing a stranger's money
      r.mutable_txn()->set_gid(gid);
      r.mutable_txn()->set_branch_id("payment");
      r.set_user_id("alice");
      testing::SetTryDeadline(r.mutable_deadline());
      r.mutable_amount()->set_currency("EUR");
      r.mutable_amount()->set_minor_units(50);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Order/PlaceOrder") {
      v1::PlaceOrderRequest r;
      r.set_request_id("po-" + tag);
      auto* line = r.add_lines();
      line->set_sku_id("tee");
      line->set_quantity(1);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Order/PayOrder") {
      v1::PayOrderRequest r;
      r.set_order_id(order_a_);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Order/CancelOrder") {
      v1::CancelOrderRequest r;
      r.set_order_id(order_a_);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Order/GetOrder") {
      v1::GetOrderRequest r;
      r.set_order_id(order_a_);
      return r.SerializeAsString();
    }
    if (method == "/turnstile.v1.Order/ListOrders") {
      return v1::ListOrdersRequest().SerializeAsString();
    }
    ADD_FAILURE() << "no request for " << method;
    return "";
  }

  std::string order_a_;
  std::string run_id_;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
};

struct Target {
  std::string service;  // the process
  std::string method;
};

std::vector<Target> Targets() {
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const std::map<std::string, std::vector<std::string>> served = {
      {"coordinator", {"turnstile.v1.Coordinator"}},
      {"inventory", {"turnstile.v1.Inventory", "turnstile.v1.Participant"}},
      {"seat", {"turnstile.v1.Seat", "turnstile.v1.Participant"}},
      {"booking", {"turnstile.v1.Booking", "turnstile.v1.Participant"}},
      {"payment", {"turnstile.v1.Payment", "turnstile.v1.Participant"}},
      {"order", {"turnstile.v1.Order", "turnstile.v1.Participant"}},
  };
  std::vector<Target> out;
  for (const auto& [service, names] : served) {
    for (const auto& name : names) {
      const auto* d = pool->FindServiceByName(name);
      if (d == nullptr) {
        ADD_FAILURE() << name << " not linked";
        continue;
      }
      for (int m = 0; m < d->method_count(); ++m) {
        out.push_back(
            {service, "/" + d->full_name() + "/" + d->method(m)->name()});
      }
    }
  }
  return out;
}

bool RefusedByAuth(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
         s.error_code() == grpc::StatusCode::PERMISSION_DENIED;
}

TEST_F(AuthzMatrixTest, EveryRpcTimesEveryCaller) {
  const auto targets = Targets();
  ASSERT_EQ(targets.size(), 37u + 4 * 2);  // Participant on five servers
  int n = 0;
  // 1. Everything that must be refused, first; nothing may change.
  const std::string before = mesh().Footprint();
  int denied = 0;
  for (const auto& t : targets) {
    const auto allowed = Expected(t.method);
    for (const auto& caller : Callers()) {
      if (allowed.count(caller.name)) continue;
      const auto s =
          Call(t.service, caller, t.method, Request(t.service, t.method, ++n));
      ++denied;
      if (caller.name == "no certificate") {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
            << t.method << " on " << t.service << ": " << s.error_message();
      } else if (caller.name == "other CA") {
        // Refused in the TLS handshake: no call is ever made.
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE)
            << t.method << " on " << t.service << ": " << s.error_message();
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << t.method << " on " << t.service << " as " << caller.name << ": "
            << s.error_message();
      }
    }
  }
  EXPECT_GT(denied, 400);
  EXPECT_EQ(mesh().Footprint(), before) << "a refused call changed something";

  // 2. Everything allowed reaches its handler.
  for (const auto& t : targets) {
    for (const auto& caller : Callers()) {
      if (!Expected(t.method).count(caller.name)) continue;
      const auto s =
          Call(t.service, caller, t.method, Request(t.service, t.method, ++n));
      // An UNAVAILABLE with details came from the handler (e.g. a
      // serialization conflict to retry): it did reach it.
      EXPECT_FALSE(RefusedByAuth(s) ||
                   (s.error_code() == grpc::StatusCode::UNAVAILABLE &&
                    s.error_details().empty()) ||
                   s.error_code() == grpc::StatusCode::UNIMPLEMENTED)
          << t.method << " on " << t.service << " as " << caller.name << ": "
          << s.error_code() << " " << s.error_message();
    }
  }
}

TEST_F(AuthzMatrixTest, ReadsAndWritesOfTheOrderApiAreTheCallersOwn) {
  const CallerSpec bob{"buyer B", "loadgen", "bob", ""};
  const std::string before = mesh().Footprint();
  for (const char* method :
       {"/turnstile.v1.Order/GetOrder", "/turnstile.v1.Order/PayOrder",
        "/turnstile.v1.Order/CancelOrder"}) {
    const auto s = Call("order", bob, method, Request("order", method, 0));
    // Someone else's order does not exist for bob (never "forbidden").
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << method;
  }
  EXPECT_EQ(mesh().Footprint(), before);
  // An operator (the console) reads anyone's order by its gid.
  const CallerSpec admin{"admin", "loadgen", "ops", "admin"};
  v1::GetOrderRequest get_order;
  get_order.set_order_id(order_a_);
  v1::OrderInfo alices;
  grpc::ClientContext admin_ctx;
  ActAs(admin_ctx, admin.user, admin.roles);
  ASSERT_TRUE(v1::Order::NewStub(ChannelFor("order", admin))
                  ->GetOrder(&admin_ctx, get_order, &alices)
                  .ok());
  EXPECT_EQ(alices.order_id(), order_a_);
  EXPECT_EQ(alices.user_id(), "alice");
  v1::ListOrdersResponse list;
  auto stub = v1::Order::NewStub(ChannelFor("order", bob));
  ASSERT_TRUE(
      stub->ListOrders(BuyerCtx("bob").get(), v1::ListOrdersRequest(), &list)
          .ok());
  EXPECT_EQ(list.orders_size(), 0);
  ASSERT_TRUE(
      stub->ListOrders(BuyerCtx("alice").get(), v1::ListOrdersRequest(), &list)
          .ok());
  ASSERT_EQ(list.orders_size(), 1);
  EXPECT_EQ(list.orders(0).order_id(), order_a_);
  // The wallet read is the caller's own.
  auto pay = v1::Payment::NewStub(ChannelFor("payment", bob));
  v1::GetWalletRequest get;
  get.set_currency("EUR");
  v1::Wallet wallet;
  ASSERT_TRUE(pay->GetWallet(BuyerCtx("bob").get(), get, &wallet).ok());
  EXPECT_EQ(wallet.user_id(), "bob");
}

TEST_F(AuthzMatrixTest, AParticipantReadsOnlyItsOwnBranches) {
  // Alice's reserve-then-pay order has order and inventory branches only.
  v1::GetTransactionRequest req;
  req.set_gid(order_a_);
  v1::Transaction txn;
  auto as = [&](const std::string& identity) {
    return v1::Coordinator::NewStub(
        TestChannel(mesh().Address("coordinator"), "coordinator", identity));
  };
  ASSERT_TRUE(as("turnstilectl")->GetTransaction(Ctx().get(), req, &txn).ok());
  EXPECT_EQ(txn.branches_size(), 2);
  ASSERT_TRUE(as("inventory")->GetTransaction(Ctx().get(), req, &txn).ok());
  ASSERT_EQ(txn.branches_size(), 1);
  EXPECT_EQ(txn.branches(0).participant(), "inventory");
  // No branch of payment's in it: for payment the transaction does not exist.
  EXPECT_EQ(as("payment")->GetTransaction(Ctx().get(), req, &txn).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Nor for booking (its orphan sweep asks about its own branches only).
  EXPECT_EQ(as("booking")->GetTransaction(Ctx().get(), req, &txn).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace turnstile::testing
