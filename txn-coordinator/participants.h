// The participant directory: which participant names the coordinator knows
// and where each one listens, parsed from --participants
// ("order=127.0.0.1:50054,inventory=dns:///inventory:50051"). Pure parsing so
// that a bad flag is rejected at start-up and unit-tested.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace turnstile::coordinator {

// name -> gRPC target.
using ParticipantMap = std::map<std::string, std::string>;

// Parses a comma-separated list of name=target. Names follow the branch id
// rules (1-64 chars of [a-z0-9_-]) and must be distinct; targets are gRPC
// targets (letters, digits and .:/_-[]%). Empty text gives an empty map.
absl::StatusOr<ParticipantMap> ParseParticipants(absl::string_view text);

}  // namespace turnstile::coordinator
