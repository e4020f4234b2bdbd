// The authorization table (services/common/authz_table.h) covers every RPC:
// each method of each service declared in proto/turnstile/v1/*.proto (the
// files are listed from the source tree, so a new file is covered too) has a
// row, and every row names a method that exists. Plus the pure decision
// (authz_decision.h): who may call what, and what identity metadata is
// accepted from whom.
#include "services/common/authz_table.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "google/protobuf/descriptor.h"
#include "services/common/authz_decision.h"
#include "turnstile/v1/booking.grpc.pb.h"
#include "turnstile/v1/coordinator.grpc.pb.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/order.grpc.pb.h"
#include "turnstile/v1/participant.grpc.pb.h"
#include "turnstile/v1/payment.grpc.pb.h"
#include "turnstile/v1/seat.grpc.pb.h"
#include "turnstile/v1/waiting_room.grpc.pb.h"

namespace turnstile::authz {
namespace {

std::set<std::string> ProtoMethods() {
  // One message of each file: referencing it links the file's descriptor
  // into the generated pool. A new proto file fails below until it is
  // added here.
  static const google::protobuf::Descriptor* const kLinked[] = {
      v1::TxnRef::descriptor(),
      v1::ConfirmRequest::descriptor(),
      v1::BeginRequest::descriptor(),
      v1::CreateSkuRequest::descriptor(),
      v1::CreateEventRequest::descriptor(),
      v1::CreateVenueRequest::descriptor(),
      v1::DepositRequest::descriptor(),
      v1::PlaceOrderRequest::descriptor(),
      v1::JoinQueueRequest::descriptor()};
  EXPECT_EQ(std::size(kLinked), 9u);
  std::set<std::string> methods;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  const std::filesystem::path dir =
      std::filesystem::path(TURNSTILE_SOURCE_DIR) / "proto/turnstile/v1";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".proto") continue;
    const std::string name = "turnstile/v1/" + entry.path().filename().string();
    const auto* file = pool->FindFileByName(name);
    EXPECT_NE(file, nullptr) << name << " is not linked into this test";
    if (file == nullptr) continue;
    ++files;
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        methods.insert("/" + service->full_name() + "/" +
                       service->method(m)->name());
      }
    }
  }
  EXPECT_GE(files, 9);
  return methods;
}

TEST(AuthzTable, EveryRpcOfEveryServiceHasARow) {
  const auto methods = ProtoMethods();
  EXPECT_GE(methods.size(), 36u);
  for (const auto& method : methods) {
    EXPECT_NE(Find(method), nullptr) << method << " has no authorization row";
  }
}

TEST(AuthzTable, EveryRowNamesARealMethod) {
  const auto methods = ProtoMethods();
  std::set<std::string> seen;
  for (const Rule& rule : Table()) {
    const std::string method(rule.method);
    EXPECT_TRUE(seen.insert(method).second) << method << " twice";
    EXPECT_NE(rule.parties, 0u) << method;
    if (method.rfind("/grpc.", 0) == 0) continue;  // gRPC's own services
    EXPECT_TRUE(methods.count(method)) << method << " is not in proto/";
  }
}

TEST(AuthzTable, UnknownMethodsHaveNoRow) {
  EXPECT_EQ(Find("/turnstile.v1.Order/DropDatabase"), nullptr);
  EXPECT_EQ(Find(""), nullptr);
  EXPECT_EQ(Find("/turnstile.v1.Order/PlaceOrder/"), nullptr);
}

CallFacts Call(const char* method, std::vector<std::string> peers,
               std::optional<std::string> user = std::nullopt,
               std::optional<std::string> roles = std::nullopt) {
  return CallFacts{method, std::move(peers), std::move(user), std::move(roles)};
}

absl::StatusCode Code(const CallFacts& call) {
  return Decide(Policy{}, call).status.code();
}

constexpr auto kOk = absl::StatusCode::kOk;
constexpr auto kDenied = absl::StatusCode::kPermissionDenied;

TEST(AuthzDecision, NoCertificateIsUnauthenticated) {
  EXPECT_EQ(Code(Call("/turnstile.v1.Inventory/GetSku", {})),
            absl::StatusCode::kUnauthenticated);
}

TEST(AuthzDecision, SecondPhasesOnlyFromTheCoordinator) {
  for (const char* m : {"/turnstile.v1.Participant/Confirm",
                        "/turnstile.v1.Participant/Cancel"}) {
    EXPECT_EQ(Code(Call(m, {"coordinator"})), kOk);
    for (const char* other :
         {"order", "inventory", "seat", "booking", "payment", "gateway",
          "loadgen", "turnstilectl", "mallory"}) {
      EXPECT_EQ(Code(Call(m, {other})), kDenied) << m << " " << other;
    }
    EXPECT_EQ(Code(Call(m, {"loadgen"}, "alice", "admin")), kDenied);
  }
}

TEST(AuthzDecision, TriesAndTransactionControlOnlyFromOrder) {
  for (const char* m :
       {"/turnstile.v1.Inventory/ReserveStock", "/turnstile.v1.Seat/HoldSeats",
        "/turnstile.v1.Booking/HoldBookings",
        "/turnstile.v1.Payment/AuthorizePayment",
        "/turnstile.v1.Coordinator/Begin", "/turnstile.v1.Coordinator/Commit",
        "/turnstile.v1.Coordinator/Abort",
        "/turnstile.v1.Coordinator/RegisterBranch"}) {
    EXPECT_EQ(Code(Call(m, {"order"})), kOk) << m;
    for (const char* other : {"coordinator", "inventory", "booking", "gateway",
                              "loadgen", "turnstilectl"}) {
      EXPECT_EQ(Code(Call(m, {other})), kDenied) << m << " " << other;
    }
    EXPECT_EQ(Code(Call(m, {"gateway"}, "alice", "admin")), kDenied) << m;
  }
}

TEST(AuthzDecision, BuyersComeOnlyThroughPeersThatMayActForUsers) {
  const char* m = "/turnstile.v1.Order/PlaceOrder";
  EXPECT_EQ(Code(Call(m, {"gateway"}, "alice")), kOk);
  EXPECT_EQ(Code(Call(m, {"loadgen"}, "alice")), kOk);
  // Without a user the acting peer is only itself.
  EXPECT_EQ(Code(Call(m, {"gateway"})), kDenied);
  // Anyone else sending identity metadata is refused, whatever the method.
  for (const char* other :
       {"order", "coordinator", "booking", "turnstilectl", "mallory"}) {
    EXPECT_EQ(Code(Call(m, {other}, "alice")), kDenied) << other;
    EXPECT_EQ(Code(Call("/turnstile.v1.Inventory/GetSku", {other}, "alice")),
              kDenied)
        << other;
  }
  Policy extra;
  extra.acting_peers.insert("backend-x");
  EXPECT_EQ(Decide(extra, Call(m, {"backend-x"}, "alice")).status.code(), kOk);
  // Malformed identity metadata.
  EXPECT_EQ(Code(Call(m, {"gateway"}, "")), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Call(m, {"gateway"}, std::string(65, 'u'))),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Call(m, {"gateway"}, std::nullopt, "admin")), kDenied);
}

TEST(AuthzDecision, OperatorsAreAdminUsersOrTurnstilectl) {
  for (const char* m :
       {"/turnstile.v1.Inventory/CreateSku", "/turnstile.v1.Seat/CreateEvent",
        "/turnstile.v1.Payment/Deposit", "/turnstile.v1.Inventory/Reconcile",
        "/turnstile.v1.Booking/CreateVenue", "/turnstile.v1.Booking/CreateRun",
        "/turnstile.v1.Booking/Reconcile",
        "/turnstile.v1.Coordinator/ListTransactions",
        "/turnstile.v1.Coordinator/RetryTransaction"}) {
    EXPECT_EQ(Code(Call(m, {"turnstilectl"})), kOk) << m;
    EXPECT_EQ(Code(Call(m, {"gateway"}, "ops", "admin")), kOk) << m;
    EXPECT_EQ(Code(Call(m, {"gateway"}, "ops", "viewer, admin")), kOk) << m;
    EXPECT_EQ(Code(Call(m, {"gateway"}, "bob")), kDenied) << m;
    EXPECT_EQ(Code(Call(m, {"gateway"}, "bob", "administrator")), kDenied) << m;
    EXPECT_EQ(Code(Call(m, {"order"})), kDenied) << m;
    EXPECT_EQ(Code(Call(m, {"booking"})), kDenied) << m;
  }
}

TEST(AuthzDecision, CatalogueReadsForAnyVerifiedPeer) {
  for (const char* m :
       {"/turnstile.v1.Inventory/GetSku", "/turnstile.v1.Inventory/ListSkus",
        "/turnstile.v1.Seat/GetSeatMap", "/turnstile.v1.Booking/GetVenue",
        "/turnstile.v1.Booking/FreeMachines",
        "/turnstile.v1.Booking/FreeWindows", "/turnstile.v1.Booking/GetRun",
        "/turnstile.v1.Booking/RemainingSeats",
        "/turnstile.v1.Booking/GetStopMatrix",
        "/grpc.health.v1.Health/Check"}) {
    for (const char* peer :
         {"order", "gateway", "mallory", "coordinator", "booking"}) {
      EXPECT_EQ(Code(Call(m, {peer})), kOk) << m << " " << peer;
    }
    EXPECT_EQ(Code(Call(m, {"gateway"}, "alice")), kOk) << m;
  }
}

TEST(AuthzDecision, IdentifyNamesTheCaller) {
  auto d =
      Identify(Policy{}, Call("", {"x.example", "gateway"}, "alice", "admin"));
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.peer, "gateway");
  EXPECT_EQ(d.user, "alice");
  EXPECT_TRUE(d.is_operator);
  d = Identify(Policy{}, Call("", {"turnstilectl"}));
  EXPECT_TRUE(d.is_operator);
  EXPECT_EQ(d.user, "");
  d = Identify(Policy{}, Call("", {"order"}));
  EXPECT_FALSE(d.is_operator);
  EXPECT_EQ(d.parties & kOrder, kOrder);
  d = Identify(Policy{}, Call("", {"booking"}));
  EXPECT_FALSE(d.is_operator);
  EXPECT_EQ(d.parties, static_cast<uint32_t>(kBooking | kAnyPeer));
}

// The booking participant is a party of its own: its orphan sweep may read
// its branches at the coordinator, and it may call nothing that only order
// or the coordinator may.
TEST(AuthzDecision, BookingIsAParticipant) {
  EXPECT_EQ(PartyOfIdentity("booking"), static_cast<uint32_t>(kBooking));
  EXPECT_EQ(kParticipants & kBooking, static_cast<uint32_t>(kBooking));
  EXPECT_EQ(DescribeParties(kBooking), "booking");
  EXPECT_EQ(Code(Call("/turnstile.v1.Coordinator/GetTransaction", {"booking"})),
            kOk);
  for (const char* m :
       {"/turnstile.v1.Coordinator/Begin", "/turnstile.v1.Coordinator/Commit",
        "/turnstile.v1.Coordinator/ListTransactions",
        "/turnstile.v1.Seat/HoldSeats", "/turnstile.v1.Booking/HoldBookings",
        "/turnstile.v1.Participant/Confirm",
        "/turnstile.v1.Order/PlaceOrder"}) {
    EXPECT_EQ(Code(Call(m, {"booking"})), kDenied) << m;
  }
  // Identity metadata from booking is refused: it does not act for users.
  EXPECT_EQ(Code(Call("/turnstile.v1.Booking/GetRun", {"booking"}, "alice")),
            kDenied);
}

}  // namespace
}  // namespace turnstile::authz
