// The one authorization table of the mesh (DESIGN.md §8): every RPC any
// Turnstile process serves, with the parties that may call it. Shared by
// every process (the authorization processor looks calls up here before any
// handler runs) and rendered in the README's Security section; an RPC that
// is not in the table is denied. tests/unit/authz_table_test.cc fails if a
// method of a service in proto/ has no row.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace turnstile::authz {

// Who a caller is, as bits. Service parties are certificate identities;
// kBuyer and kOperator are end users acting through a peer that may act for
// users (authz_decision.h); the turnstilectl certificate is an operator too.
enum Party : uint32_t {
  kCoordinator = 1u << 0,
  kOrder = 1u << 1,
  kInventory = 1u << 2,
  kSeat = 1u << 3,
  kPayment = 1u << 4,
  kTurnstilectl = 1u << 5,
  kBuyer = 1u << 6,     // an end user (x-turnstile-user from the gateway)
  kOperator = 1u << 7,  // admin role, or the turnstilectl certificate
  kAnyPeer = 1u << 8,   // any verified certificate of the mesh CA
  kBooking = 1u << 9,   // the range-booking participant (DESIGN.md §11)
};

// The participants that may read their own branches at the coordinator.
inline constexpr uint32_t kParticipants =
    kOrder | kInventory | kSeat | kPayment | kBooking;

struct Rule {
  absl::string_view method;  // ":path", e.g. "/turnstile.v1.Order/PlaceOrder"
  uint32_t parties;          // Party bits allowed to call it
};

// Every row, in the order of the README table.
absl::Span<const Rule> Table();

// The rule of `method`, or nullptr if it is not in the table.
const Rule* Find(absl::string_view method);

// The party bit of a certificate identity ("order" -> kOrder), 0 for names
// that are no fixed party (gateway, loadgen, backends).
uint32_t PartyOfIdentity(absl::string_view identity);

// "order, coordinator, buyer" for `parties`, for messages and docs.
std::string DescribeParties(uint32_t parties);

}  // namespace turnstile::authz
