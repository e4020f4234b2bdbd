// Enforces the authorization table inside gRPC, before any handler runs: an
// AuthMetadataProcessor (gRPC's server-side authentication hook, run inline
// on the call's first metadata) that feeds the method, the peer's verified
// certificate SANs and the identity metadata to authz::Decide and fails the
// call with the decision's status. It records nothing: gRPC shares one
// AuthContext among the calls of a connection, so handlers derive the
// caller again from the same verified facts (caller.h). The policy engine of
// grpcpp/security/authorization_policy_provider.h would be the first choice,
// but Debian's gRPC 1.51 does not ship its provider library; this hook is
// gRPC's own and needs nothing else.
#pragma once

#include <grpcpp/security/auth_metadata_processor.h>

#include <string>
#include <vector>

#include "services/common/authz_decision.h"

namespace turnstile::authz {

class Processor final : public grpc::AuthMetadataProcessor {
 public:
  explicit Processor(Policy policy) : policy_(std::move(policy)) {}

  // Cheap and non-blocking: runs on the transport thread, no hop to a pool.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata,
                       grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

 private:
  const Policy policy_;
};

// The policy from the flags (--act_for_users), read once.
const Policy& PolicyFromFlags();
Policy ReadPolicyFlags();

// The DNS SANs of the peer's verified certificate (empty without one).
std::vector<std::string> PeerNames(const grpc::AuthContext& context);

}  // namespace turnstile::authz
