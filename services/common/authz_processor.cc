#include "services/common/authz_processor.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <string_view>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "prometheus/counter.h"
#include "services/common/authz_table.h"
#include "services/common/log_budget.h"
#include "services/common/process.h"
#include "services/common/trace_scope.h"

ABSL_FLAG(std::string, act_for_users, "gateway,loadgen",
          "Certificate identities that may act for end users (send "
          "x-turnstile-user / x-turnstile-roles), comma-separated");

namespace turnstile::authz {
namespace {

std::string ToString(grpc::string_ref s) {
  return std::string(s.data(), s.size());
}

prometheus::Family<prometheus::Counter>& Denials() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_authz_denied_total")
                            .Help(
                                "Calls refused by the authorization table, "
                                "by method and status code")
                            .Register(Metrics());
  return family;
}

// At most 20 denial lines a second (the metric counts every denial): a
// flood of refused calls must not become a flood of log.
bool DenialLogAllowed() {
  static LogBudget budget(20);
  return budget.Allow();
}

}  // namespace

std::vector<std::string> PeerNames(const grpc::AuthContext& context) {
  std::vector<std::string> names;
  if (!context.IsPeerAuthenticated()) return names;
  // The DNS SANs of the verified certificate (DESIGN.md §8: the identity is
  // the certificate's name as a DNS SAN).
  for (const auto& name : context.FindPropertyValues("peer_dns")) {
    names.push_back(ToString(name));
  }
  return names;
}

const Policy& PolicyFromFlags() {
  static const Policy* policy = new Policy(ReadPolicyFlags());
  return *policy;
}

Policy ReadPolicyFlags() {
  Policy policy;
  policy.acting_peers.clear();
  for (absl::string_view name : absl::StrSplit(
           absl::GetFlag(FLAGS_act_for_users), ',', absl::SkipWhitespace())) {
    policy.acting_peers.insert(std::string(name));
  }
  return policy;
}

grpc::Status Processor::Process(const InputMetadata& auth_metadata,
                                grpc::AuthContext* context,
                                OutputMetadata* /*consumed_auth_metadata*/,
                                OutputMetadata* /*response_metadata*/) {
  CallFacts call;
  std::string method;
  std::string_view traceparent;  // for the denial's log line only
  call.peer_names = PeerNames(*context);
  for (const auto& [key, value] : auth_metadata) {
    if (key == ":path") {
      method = ToString(value);
    } else if (key == kUserHeader) {
      call.user = ToString(value);
    } else if (key == kRolesHeader) {
      call.roles = ToString(value);
    } else if (key == kTraceparentHeader) {
      traceparent = std::string_view(value.data(), value.size());
    }
  }
  call.method = method;
  Decision d = Decide(policy_, call);
  if (!d.status.ok()) {
    const auto code = static_cast<grpc::StatusCode>(d.status.code());
    // The path is the client's: only the table's methods become label
    // values, so made-up paths cannot grow the metric without bound.
    Denials()
        .Add({{"method", Find(method) != nullptr ? method : "unknown"},
              {"code", std::to_string(static_cast<int>(code))}})
        .Increment();
    if (DenialLogAllowed()) {
      // Logged in the caller's trace, which it can quote.
      const auto trace = ParseTraceparent(traceparent);
      const TraceScope scope(trace ? *trace : TraceContext());
      spdlog::warn(
          "event=authz_denied method={} peer={} user={} code={} "
          "reason=\"{}\"",
          method.substr(0, 200), d.peer.empty() ? "-" : d.peer,
          d.user.empty() ? "-" : d.user, static_cast<int>(code),
          std::string(d.status.message()));
    }
    return grpc::Status(code, std::string(d.status.message()));
  }
  // Nothing is written to `context`: gRPC shares one AuthContext among all
  // calls of a connection, so a per-call property would leak into the next
  // call. Handlers re-derive the caller from the same metadata (caller.h).
  return grpc::Status::OK;
}

}  // namespace turnstile::authz
