// Edge validation of every Payment and Participant request (DESIGN.md §6):
// each function returns INVALID_ARGUMENT naming the offending field, or OK,
// before the handler touches the database. Plain functions over the request
// messages so that unit tests can call them without a server.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "turnstile/v1/participant.pb.h"
#include "turnstile/v1/payment.pb.h"

namespace turnstile::payment {

// Largest amount one deposit or payment may move (10^12 minor units).
inline constexpr int64_t kMaxAmount = 1'000'000'000'000;

absl::Status ValidateDeposit(const v1::DepositRequest& request);
absl::Status ValidateGetWallet(const v1::GetWalletRequest& request);
absl::Status ValidateAuthorize(const v1::AuthorizePaymentRequest& request);
// The canonical content of an authorization Try
// (services/common/try_content.h): payer, currency and amount.
std::string TryContentOf(const std::string& user_id,
                         const std::string& currency, int64_t amount);
// Confirm and Cancel carry only the branch reference.
absl::Status ValidateTxnRef(const v1::TxnRef& txn);

}  // namespace turnstile::payment
