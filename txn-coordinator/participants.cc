#include "txn-coordinator/participants.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/status.h"
#include "services/common/validate.h"

namespace turnstile::coordinator {
namespace {
// host:port, dns:///host:port, ipv4:/ipv6:[::1]:port, unix:/path.
bool ValidTarget(absl::string_view target) {
  for (char c : target) {
    if (!(absl::ascii_isalnum(c) || c == '.' || c == ':' || c == '/' ||
          c == '_' || c == '-' || c == '[' || c == ']' || c == '%')) {
      return false;
    }
  }
  return true;
}
}  // namespace

absl::StatusOr<ParticipantMap> ParseParticipants(absl::string_view text) {
  ParticipantMap out;
  if (absl::StripAsciiWhitespace(text).empty()) return out;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    const size_t eq = item.find('=');
    if (eq == absl::string_view::npos) {
      return InvalidArgument(
          absl::StrCat("participant \"", item, "\" is not name=target"));
    }
    const std::string name(absl::StripAsciiWhitespace(item.substr(0, eq)));
    const std::string target(absl::StripAsciiWhitespace(item.substr(eq + 1)));
    if (auto s = CheckBranchId("participant name", name); !s.ok()) return s;
    if (target.empty() || !ValidTarget(target)) {
      return InvalidArgument(
          absl::StrCat("participant ", name, " has no valid target"));
    }
    if (!out.emplace(name, target).second) {
      return InvalidArgument(absl::StrCat("participant ", name, " repeated"));
    }
  }
  return out;
}

}  // namespace turnstile::coordinator
