// Edge validation of the Payment and Participant requests
// (services/payment/validation.h): every field, at and past its limits.
#include <gtest/gtest.h>

#include "google/protobuf/unknown_field_set.h"
#include "services/common/uuid.h"
#include "services/payment/validation.h"

namespace turnstile::payment {
namespace {

v1::DepositRequest Deposit() {
  v1::DepositRequest req;
  req.set_user_id("alice");
  req.mutable_amount()->set_currency("EUR");
  req.mutable_amount()->set_minor_units(100);
  req.set_request_id("dep 1");
  return req;
}

v1::AuthorizePaymentRequest Authorize() {
  v1::AuthorizePaymentRequest req;
  req.mutable_txn()->set_gid(NewUuidV7());
  req.mutable_txn()->set_branch_id("payment");
  req.set_user_id("alice");
  req.mutable_amount()->set_currency("EUR");
  req.mutable_amount()->set_minor_units(100);
  return req;
}

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(ValidateDeposit, AcceptsValidAndLimits) {
  EXPECT_TRUE(ValidateDeposit(Deposit()).ok());
  auto req = Deposit();
  req.mutable_amount()->set_minor_units(kMaxAmount);
  req.set_user_id(std::string(64, 'u'));
  req.set_request_id(std::string(200, 'r'));
  EXPECT_TRUE(ValidateDeposit(req).ok());
  req.mutable_amount()->set_minor_units(1);
  EXPECT_TRUE(ValidateDeposit(req).ok());
}

TEST(ValidateDeposit, RejectsEachBadField) {
  auto req = Deposit();
  req.set_user_id("");
  EXPECT_EQ(ValidateDeposit(req).code(), kInvalid);
  req.set_user_id(std::string(65, 'u'));
  EXPECT_EQ(ValidateDeposit(req).code(), kInvalid);
  req.set_user_id("a/b");
  EXPECT_EQ(ValidateDeposit(req).code(), kInvalid);
  for (int64_t amount : {int64_t{0}, int64_t{-1}, kMaxAmount + 1}) {
    req = Deposit();
    req.mutable_amount()->set_minor_units(amount);
    EXPECT_EQ(ValidateDeposit(req).code(), kInvalid) << amount;
  }
  for (const char* currency : {"", "eur", "EU", "EURO", "E1R"}) {
    req = Deposit();
    req.mutable_amount()->set_currency(currency);
    EXPECT_EQ(ValidateDeposit(req).code(), kInvalid) << currency;
  }
  req = Deposit();
  req.clear_amount();
  EXPECT_EQ(ValidateDeposit(req).code(), kInvalid);
  req = Deposit();
  req.set_request_id("");
  EXPECT_EQ(ValidateDeposit(req).code(), kInvalid);
  req.set_request_id(std::string(201, 'r'));
  EXPECT_EQ(ValidateDeposit(req).code(), kInvalid);
  req.set_request_id("a\nb");
  EXPECT_EQ(ValidateDeposit(req).code(), kInvalid);
}

TEST(ValidateGetWallet, ChecksCurrencyAndRefusesTheOldUserField) {
  v1::GetWalletRequest req;
  req.set_currency("EUR");
  EXPECT_TRUE(ValidateGetWallet(req).ok());
  req.set_currency("eur");
  EXPECT_EQ(ValidateGetWallet(req).code(), kInvalid);
  req.set_currency("EUR");
  // Field 1 was user_id: the wallet is the caller's own now.
  req.GetReflection()->MutableUnknownFields(&req)->AddLengthDelimited(1,
                                                                      "alice");
  EXPECT_EQ(ValidateGetWallet(req).code(), kInvalid);
}

TEST(ValidateAuthorize, RejectsEachBadField) {
  EXPECT_TRUE(ValidateAuthorize(Authorize()).ok());
  auto req = Authorize();
  req.mutable_txn()->set_gid("");
  EXPECT_EQ(ValidateAuthorize(req).code(), kInvalid);
  req.mutable_txn()->set_gid("0000");
  EXPECT_EQ(ValidateAuthorize(req).code(), kInvalid);
  req = Authorize();
  for (const std::string& branch :
       {std::string(""), std::string("Payment"), std::string("pay ment"),
        std::string(65, 'p')}) {
    req.mutable_txn()->set_branch_id(branch);
    EXPECT_EQ(ValidateAuthorize(req).code(), kInvalid) << branch;
  }
  req = Authorize();
  req.set_user_id("");
  EXPECT_EQ(ValidateAuthorize(req).code(), kInvalid);
  for (int64_t amount : {int64_t{0}, int64_t{-7}, kMaxAmount + 1}) {
    req = Authorize();
    req.mutable_amount()->set_minor_units(amount);
    EXPECT_EQ(ValidateAuthorize(req).code(), kInvalid) << amount;
  }
  req = Authorize();
  req.mutable_amount()->set_currency("XX");
  EXPECT_EQ(ValidateAuthorize(req).code(), kInvalid);
}

TEST(ValidateTxnRef, ChecksGidAndBranch) {
  v1::TxnRef txn;
  txn.set_gid(NewUuidV7());
  txn.set_branch_id("payment-2");
  EXPECT_TRUE(ValidateTxnRef(txn).ok());
  txn.set_branch_id("");
  EXPECT_EQ(ValidateTxnRef(txn).code(), kInvalid);
  txn.set_branch_id("payment");
  txn.set_gid(txn.gid().substr(1));
  EXPECT_EQ(ValidateTxnRef(txn).code(), kInvalid);
}

}  // namespace
}  // namespace turnstile::payment
