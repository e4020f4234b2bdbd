// The authorization decision for one call, as a pure function of the method,
// the peer's verified certificate names and the identity metadata
// (DESIGN.md §8). The acting end user is accepted only as call metadata
// (x-turnstile-user, roles in x-turnstile-roles) and only from a peer that
// may act for users (gateway, loadgen, and names given by --act_for_users);
// from any other peer that metadata is refused. authz_processor.h runs it
// inside gRPC before any handler; tests/unit/authz_decision_test.cc runs it
// alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace turnstile::authz {

inline constexpr char kUserHeader[] = "x-turnstile-user";
inline constexpr char kRolesHeader[] = "x-turnstile-roles";
inline constexpr char kAdminRole[] = "admin";

struct Policy {
  // Certificate identities whose calls may carry an end user.
  absl::flat_hash_set<std::string> acting_peers = {"gateway", "loadgen"};
};

struct CallFacts {
  absl::string_view method;             // ":path"
  std::vector<std::string> peer_names;  // DNS SANs; empty: no certificate
  std::optional<std::string> user;      // x-turnstile-user
  std::optional<std::string> roles;     // x-turnstile-roles (comma-separated)
};

struct Decision {
  // OK, UNAUTHENTICATED (no credential), PERMISSION_DENIED (not allowed) or
  // INVALID_ARGUMENT (malformed identity metadata).
  absl::Status status;
  std::string peer;  // the certificate identity the call came with
  std::string user;  // the acting end user, "" if none
  bool is_operator = false;
  uint32_t parties = 0;  // every Party bit the caller holds
};

// Who the caller is (peer, user, operator, Party bits) and whether its
// identity metadata is acceptable, without looking at the method.
Decision Identify(const Policy& policy, const CallFacts& call);

// Identify, then whether the table lets that caller call `call.method`.
Decision Decide(const Policy& policy, const CallFacts& call);

// True if the comma-separated `roles` list contains `role`.
bool HasRole(absl::string_view roles, absl::string_view role);

}  // namespace turnstile::authz
