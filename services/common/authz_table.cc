#include "services/common/authz_table.h"

#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_join.h"

namespace turnstile::authz {
namespace {

constexpr Rule kTable[] = {
    // The coordinator: only the initiator drives transactions; operators
    // and the participants (their own branches, orphan checks) read them.
    {"/turnstile.v1.Coordinator/Begin", kOrder},
    {"/turnstile.v1.Coordinator/RegisterBranch", kOrder},
    {"/turnstile.v1.Coordinator/Commit", kOrder},
    {"/turnstile.v1.Coordinator/Abort", kOrder},
    // The handler: a participant sees only its own branches.
    {"/turnstile.v1.Coordinator/GetTransaction", kOperator | kParticipants},
    {"/turnstile.v1.Coordinator/ListTransactions", kOperator},
    {"/turnstile.v1.Coordinator/RetryTransaction", kOperator},
    {"/turnstile.v1.Coordinator/GetSummary", kOperator},
    // Second phases: only the coordinator decides.
    {"/turnstile.v1.Participant/Confirm", kCoordinator},
    {"/turnstile.v1.Participant/Cancel", kCoordinator},
    // Inventory.
    {"/turnstile.v1.Inventory/CreateSku", kOperator},
    {"/turnstile.v1.Inventory/GetSku", kAnyPeer},
    {"/turnstile.v1.Inventory/ListSkus", kAnyPeer},
    {"/turnstile.v1.Inventory/ReserveStock", kOrder},
    {"/turnstile.v1.Inventory/Reconcile", kOperator},
    // Seat.
    {"/turnstile.v1.Seat/CreateEvent", kOperator},
    {"/turnstile.v1.Seat/GetSeatMap", kAnyPeer},
    {"/turnstile.v1.Seat/HoldSeats", kOrder},
    {"/turnstile.v1.Seat/Reconcile", kOperator},
    // Booking (ranges: net-cafe slots, train legs).
    {"/turnstile.v1.Booking/CreateVenue", kOperator},
    {"/turnstile.v1.Booking/GetVenue", kAnyPeer},
    {"/turnstile.v1.Booking/FreeMachines", kAnyPeer},
    {"/turnstile.v1.Booking/FreeWindows", kAnyPeer},
    {"/turnstile.v1.Booking/CreateRun", kOperator},
    {"/turnstile.v1.Booking/GetRun", kAnyPeer},
    {"/turnstile.v1.Booking/RemainingSeats", kAnyPeer},
    {"/turnstile.v1.Booking/GetStopMatrix", kAnyPeer},
    {"/turnstile.v1.Booking/HoldBookings", kOrder},
    {"/turnstile.v1.Booking/Reconcile", kOperator},
    // Payment.
    {"/turnstile.v1.Payment/Deposit", kOperator},
    // The handler: the caller's own wallet.
    {"/turnstile.v1.Payment/GetWallet", kBuyer},
    {"/turnstile.v1.Payment/AuthorizePayment", kOrder},
    // The public order API.
    // The handler: orders as the caller.
    {"/turnstile.v1.Order/PlaceOrder", kBuyer},
    // The handler: the caller's own orders.
    {"/turnstile.v1.Order/PayOrder", kBuyer},
    // The handler: the caller's own orders.
    {"/turnstile.v1.Order/CancelOrder", kBuyer},
    // The handler: a buyer sees only their own orders.
    {"/turnstile.v1.Order/GetOrder", kBuyer | kOperator},
    // The handler: the caller's own orders.
    {"/turnstile.v1.Order/ListOrders", kBuyer},
    // The waiting room (served by turnstile-gateway itself, no mesh
    // process: these rows keep the edge's routes and this table agreeing).
    {"/turnstile.v1.WaitingRoom/ConfigureQueue", kOperator},
    {"/turnstile.v1.WaitingRoom/GetQueue", kAnyPeer},
    {"/turnstile.v1.WaitingRoom/JoinQueue", kBuyer},
    {"/turnstile.v1.WaitingRoom/GetTicket", kBuyer},
    // gRPC's own services on the main port (the plaintext --health_listen
    // port serves health to anyone, and nothing else).
    {"/grpc.health.v1.Health/Check", kAnyPeer},
    {"/grpc.health.v1.Health/Watch", kAnyPeer},
    {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
     kAnyPeer},
};

const absl::flat_hash_map<absl::string_view, const Rule*>& Index() {
  static const auto* index = [] {
    auto* map = new absl::flat_hash_map<absl::string_view, const Rule*>();
    for (const Rule& rule : kTable) map->emplace(rule.method, &rule);
    return map;
  }();
  return *index;
}

}  // namespace

absl::Span<const Rule> Table() { return kTable; }

const Rule* Find(absl::string_view method) {
  const auto& index = Index();
  auto it = index.find(method);
  return it == index.end() ? nullptr : it->second;
}

uint32_t PartyOfIdentity(absl::string_view identity) {
  if (identity == "coordinator") return kCoordinator;
  if (identity == "order") return kOrder;
  if (identity == "inventory") return kInventory;
  if (identity == "seat") return kSeat;
  if (identity == "payment") return kPayment;
  if (identity == "booking") return kBooking;
  if (identity == "turnstilectl") return kTurnstilectl | kOperator;
  return 0;
}

std::string DescribeParties(uint32_t parties) {
  static constexpr std::pair<Party, const char*> kNames[] = {
      {kCoordinator, "coordinator"},   {kOrder, "order"},
      {kInventory, "inventory"},       {kSeat, "seat"},
      {kPayment, "payment"},           {kBooking, "booking"},
      {kTurnstilectl, "turnstilectl"}, {kBuyer, "buyer"},
      {kOperator, "operator"},         {kAnyPeer, "any peer"}};
  std::vector<const char*> names;
  for (const auto& [bit, name] : kNames) {
    if (parties & bit) names.push_back(name);
  }
  return names.empty() ? "nobody" : absl::StrJoin(names, ", ");
}

}  // namespace turnstile::authz
