#include "services/common/caller.h"

#include "services/common/authz_decision.h"
#include "services/common/authz_processor.h"
#include "services/common/tls.h"

namespace turnstile {

Caller CallerOf(const grpc::ServerContextBase& context) {
  Caller caller;
  const auto& md = context.client_metadata();
  authz::CallFacts facts;
  if (auto it = md.find(authz::kUserHeader); it != md.end()) {
    facts.user = std::string(it->second.data(), it->second.size());
  }
  if (auto it = md.find(authz::kRolesHeader); it != md.end()) {
    facts.roles = std::string(it->second.data(), it->second.size());
  }
  if (InsecurePlaintext()) {
    // No identities exist without TLS; the metadata is taken as sent.
    caller.user = facts.user.value_or("");
    caller.is_operator =
        caller.user.empty() ||
        authz::HasRole(facts.roles.value_or(""), authz::kAdminRole);
    return caller;
  }
  // The authorization processor already let this call through on exactly
  // these facts; deriving them again here (instead of reading a property
  // it set) is what keeps calls on one connection apart.
  auto auth = context.auth_context();
  if (auth == nullptr) return caller;
  facts.peer_names = authz::PeerNames(*auth);
  const authz::Decision d = authz::Identify(authz::PolicyFromFlags(), facts);
  if (!d.status.ok()) return caller;  // refused before the handler anyway
  caller.peer = d.peer;
  caller.user = d.user;
  caller.is_operator = d.is_operator;
  return caller;
}

absl::StatusOr<std::string> ActingUser(const grpc::ServerContextBase& context) {
  std::string user = CallerOf(context).user;
  if (user.empty()) {
    return absl::UnauthenticatedError(
        "this call acts for an end user: send x-turnstile-user through the "
        "gateway or another peer allowed to act for users");
  }
  return user;
}

void ActAs(grpc::ClientContext& context, absl::string_view user,
           absl::string_view roles) {
  context.AddMetadata(authz::kUserHeader, std::string(user));
  if (!roles.empty())
    context.AddMetadata(authz::kRolesHeader, std::string(roles));
}

}  // namespace turnstile
