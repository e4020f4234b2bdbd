#include "services/payment/validation.h"

#include "services/common/try_content.h"
#include "services/common/validate.h"

namespace turnstile::payment {
namespace {

absl::Status ValidateMoney(const v1::Money& money, const char* currency_field,
                           const char* amount_field) {
  if (auto s = CheckCurrency(currency_field, money.currency()); !s.ok()) {
    return s;
  }
  return CheckRange(amount_field, money.minor_units(), 1, kMaxAmount);
}

}  // namespace

absl::Status ValidateDeposit(const v1::DepositRequest& request) {
  if (auto s = CheckId("user_id", request.user_id()); !s.ok()) return s;
  if (auto s = ValidateMoney(request.amount(), "amount.currency",
                             "amount.minor_units");
      !s.ok()) {
    return s;
  }
  return CheckText("request_id", request.request_id(), 200);
}

absl::Status ValidateGetWallet(const v1::GetWalletRequest& request) {
  if (auto s = RejectUnknownFields(request); !s.ok()) return s;
  return CheckCurrency("currency", request.currency());
}

absl::Status ValidateTxnRef(const v1::TxnRef& txn) {
  if (auto s = CheckUuid("txn.gid", txn.gid()); !s.ok()) return s;
  return CheckBranchId("txn.branch_id", txn.branch_id());
}

absl::Status ValidateAuthorize(const v1::AuthorizePaymentRequest& request) {
  if (auto s = ValidateTxnRef(request.txn()); !s.ok()) return s;
  if (auto s = CheckId("user_id", request.user_id()); !s.ok()) return s;
  return ValidateMoney(request.amount(), "amount.currency",
                       "amount.minor_units");
}

std::string TryContentOf(const std::string& user_id,
                         const std::string& currency, int64_t amount) {
  return TryContent()
      .Add("user", user_id)
      .Add("currency", currency)
      .Add("amount", amount)
      .str();
}

}  // namespace turnstile::payment
