#include "services/common/authz_decision.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/authz_table.h"
#include "services/common/validate.h"

namespace turnstile::authz {

bool HasRole(absl::string_view roles, absl::string_view role) {
  for (absl::string_view r : absl::StrSplit(roles, ',')) {
    if (absl::StripAsciiWhitespace(r) == role) return true;
  }
  return false;
}

Decision Identify(const Policy& policy, const CallFacts& call) {
  Decision d;
  if (call.peer_names.empty()) {
    d.status = absl::UnauthenticatedError(
        "a client certificate of the mesh CA is required");
    return d;
  }
  d.peer = call.peer_names.front();
  bool acting = false;
  for (const auto& name : call.peer_names) {
    d.parties |= PartyOfIdentity(name);
    acting = acting || policy.acting_peers.contains(name);
  }
  // Name the caller by the certificate name that gives it its standing.
  for (const auto& name : call.peer_names) {
    if (policy.acting_peers.contains(name) || PartyOfIdentity(name) != 0) {
      d.peer = name;
      break;
    }
  }
  d.parties |= kAnyPeer;
  if ((call.user.has_value() || call.roles.has_value()) && !acting) {
    d.status = absl::PermissionDeniedError(absl::StrCat(
        "peer ", d.peer, " may not act for users (", kUserHeader, ")"));
    return d;
  }
  if (call.roles.has_value() && !call.user.has_value()) {
    d.status = absl::PermissionDeniedError(
        absl::StrCat(kRolesHeader, " without ", kUserHeader));
    return d;
  }
  if (call.user.has_value()) {
    if (auto s = CheckId(kUserHeader, *call.user); !s.ok()) {
      d.status = s;
      return d;
    }
    d.user = *call.user;
    d.parties |= kBuyer;
    if (call.roles.has_value() && HasRole(*call.roles, kAdminRole)) {
      d.parties |= kOperator;
    }
  }
  d.is_operator = (d.parties & kOperator) != 0;
  d.status = absl::OkStatus();
  return d;
}

Decision Decide(const Policy& policy, const CallFacts& call) {
  Decision d = Identify(policy, call);
  if (!d.status.ok()) return d;
  const Rule* rule = Find(call.method);
  if (rule == nullptr) {
    d.status = absl::PermissionDeniedError(
        absl::StrCat(call.method, " is not in the authorization table"));
  } else if ((d.parties & rule->parties) == 0) {
    d.status = absl::PermissionDeniedError(absl::StrCat(
        d.user.empty() ? d.peer : "user " + d.user, " may not call ",
        call.method, " (allowed: ", DescribeParties(rule->parties), ")"));
  }
  return d;
}

}  // namespace turnstile::authz
