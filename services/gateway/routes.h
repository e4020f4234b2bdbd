// Which calls the edge lets through (DESIGN.md §8, §9): the public API only,
// each method with the backend that serves it and who may call it from a
// browser. Everything else -- Try, Confirm, Cancel, Begin, Commit, Abort, and
// any path not listed -- is UNIMPLEMENTED at the edge before any backend is
// called. The mesh's own authorization table (authz_table.h) still decides
// behind the gateway; this table only narrows what the outside can reach.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace turnstile::gateway {

enum class Backend : uint8_t {
  kOrder,
  kInventory,
  kSeat,
  kPayment,
  kCoordinator,
  kBooking,
  // Served by the gateway itself (turnstile.v1.WaitingRoom), not forwarded:
  // not a backend of the forwarder, so not counted in kBackendCount.
  kGateway,
};
inline constexpr int kBackendCount = 6;

// The service name of a backend, as its certificate's DNS SAN and its flag
// ("gateway" for the routes the gateway serves itself).
absl::string_view BackendName(Backend backend);

enum class Access : uint8_t {
  kAnyone,    // catalogue reads: no token needed (a token given is checked)
  kBuyer,     // a valid token; the call acts as its subject
  kOperator,  // a valid token with the admin role
};

struct Route {
  absl::string_view method;  // ":path", e.g. "/turnstile.v1.Order/PlaceOrder"
  Backend backend;
  Access access;
  int index;  // position in Routes(), for per-route counters
};

// Every routed method.
absl::Span<const Route> Routes();

// The route of `path`, or nullptr if the edge does not route it.
const Route* FindRoute(absl::string_view path);

}  // namespace turnstile::gateway
