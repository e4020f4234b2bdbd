#include "services/common/orphan_decision.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace turnstile {

OrphanAction Decide(const absl::StatusOr<v1::Transaction>& answer) {
  if (!answer.ok()) {
    return answer.status().code() == absl::StatusCode::kNotFound
               ? OrphanAction::kRelease
               : OrphanAction::kRetryLater;
  }
  switch (answer->state()) {
    case v1::TXN_STATE_CANCELLING:
    case v1::TXN_STATE_CANCELLED:
      return OrphanAction::kRelease;
    case v1::TXN_STATE_TRYING:
    case v1::TXN_STATE_CONFIRMING:
    case v1::TXN_STATE_CONFIRMED:
      return OrphanAction::kLeave;
    default:
      // An unknown state is a newer coordinator than this code: do nothing
      // irreversible.
      return OrphanAction::kRetryLater;
  }
}

std::string CoordinatorStateOf(const absl::StatusOr<v1::Transaction>& answer) {
  if (!answer.ok()) return absl::StatusCodeToString(answer.status().code());
  constexpr absl::string_view kPrefix = "TXN_STATE_";
  std::string name = v1::TxnState_Name(answer->state());
  if (absl::StartsWith(name, kPrefix)) name = name.substr(kPrefix.size());
  return name.empty() ? absl::StrCat(answer->state()) : name;
}

}  // namespace turnstile
