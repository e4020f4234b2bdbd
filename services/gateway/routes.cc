#include "services/gateway/routes.h"

#include "absl/container/flat_hash_map.h"

namespace turnstile::gateway {
namespace {

constexpr Route kRoutes[] = {
    // Catalogue reads.
    {"/turnstile.v1.Inventory/GetSku", Backend::kInventory, Access::kAnyone, 0},
    {"/turnstile.v1.Inventory/ListSkus", Backend::kInventory, Access::kAnyone,
     1},
    {"/turnstile.v1.Seat/GetSeatMap", Backend::kSeat, Access::kAnyone, 2},
    // The buyer's own orders and wallet.
    {"/turnstile.v1.Order/PlaceOrder", Backend::kOrder, Access::kBuyer, 3},
    {"/turnstile.v1.Order/PayOrder", Backend::kOrder, Access::kBuyer, 4},
    {"/turnstile.v1.Order/CancelOrder", Backend::kOrder, Access::kBuyer, 5},
    {"/turnstile.v1.Order/GetOrder", Backend::kOrder, Access::kBuyer, 6},
    {"/turnstile.v1.Order/ListOrders", Backend::kOrder, Access::kBuyer, 7},
    {"/turnstile.v1.Payment/GetWallet", Backend::kPayment, Access::kBuyer, 8},
    // Operators (admin tokens).
    {"/turnstile.v1.Inventory/CreateSku", Backend::kInventory,
     Access::kOperator, 9},
    {"/turnstile.v1.Inventory/Reconcile", Backend::kInventory,
     Access::kOperator, 10},
    {"/turnstile.v1.Seat/CreateEvent", Backend::kSeat, Access::kOperator, 11},
    {"/turnstile.v1.Seat/Reconcile", Backend::kSeat, Access::kOperator, 12},
    {"/turnstile.v1.Payment/Deposit", Backend::kPayment, Access::kOperator, 13},
    {"/turnstile.v1.Coordinator/GetTransaction", Backend::kCoordinator,
     Access::kOperator, 14},
    {"/turnstile.v1.Coordinator/ListTransactions", Backend::kCoordinator,
     Access::kOperator, 15},
    {"/turnstile.v1.Coordinator/RetryTransaction", Backend::kCoordinator,
     Access::kOperator, 16},
    // Bookings over ranges (DESIGN.md §11): catalogue and availability
    // reads for anyone, the catalogue writes and repairs for operators.
    {"/turnstile.v1.Booking/GetVenue", Backend::kBooking, Access::kAnyone, 17},
    {"/turnstile.v1.Booking/FreeMachines", Backend::kBooking, Access::kAnyone,
     18},
    {"/turnstile.v1.Booking/FreeWindows", Backend::kBooking, Access::kAnyone,
     19},
    {"/turnstile.v1.Booking/GetRun", Backend::kBooking, Access::kAnyone, 20},
    {"/turnstile.v1.Booking/RemainingSeats", Backend::kBooking, Access::kAnyone,
     21},
    {"/turnstile.v1.Booking/GetStopMatrix", Backend::kBooking, Access::kAnyone,
     22},
    {"/turnstile.v1.Booking/CreateVenue", Backend::kBooking, Access::kOperator,
     23},
    {"/turnstile.v1.Booking/CreateRun", Backend::kBooking, Access::kOperator,
     24},
    {"/turnstile.v1.Booking/Reconcile", Backend::kBooking, Access::kOperator,
     25},
    // The flash-sale waiting room, served by the gateway itself with Redis
    // (waiting_room/waiting_room.h): the operator configures, anyone reads,
    // buyers join and ask for their ticket as themselves.
    {"/turnstile.v1.WaitingRoom/ConfigureQueue", Backend::kGateway,
     Access::kOperator, 26},
    {"/turnstile.v1.WaitingRoom/GetQueue", Backend::kGateway, Access::kAnyone,
     27},
    {"/turnstile.v1.WaitingRoom/JoinQueue", Backend::kGateway, Access::kBuyer,
     28},
    {"/turnstile.v1.WaitingRoom/GetTicket", Backend::kGateway, Access::kBuyer,
     29},
    // The operator console's summary (after the earlier routes so that their
    // per-route indexes stay as they were).
    {"/turnstile.v1.Coordinator/GetSummary", Backend::kCoordinator,
     Access::kOperator, 30},
};

}  // namespace

absl::string_view BackendName(Backend backend) {
  switch (backend) {
    case Backend::kOrder:
      return "order";
    case Backend::kInventory:
      return "inventory";
    case Backend::kSeat:
      return "seat";
    case Backend::kPayment:
      return "payment";
    case Backend::kCoordinator:
      return "coordinator";
    case Backend::kBooking:
      return "booking";
    case Backend::kGateway:
      return "gateway";
  }
  return "unknown";
}

absl::Span<const Route> Routes() { return kRoutes; }

const Route* FindRoute(absl::string_view path) {
  static const auto* index = [] {
    auto* map = new absl::flat_hash_map<absl::string_view, const Route*>();
    for (const Route& route : kRoutes) map->emplace(route.method, &route);
    return map;
  }();
  auto it = index->find(path);
  return it == index->end() ? nullptr : it->second;
}

}  // namespace turnstile::gateway
