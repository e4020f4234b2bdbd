// gRPC handlers of the payment process: turnstile.v1.Payment (wallets and the
// AuthorizePayment Try) and turnstile.v1.Participant (Confirm = capture,
// Cancel = release) on the same port. Handlers validate, call the store and
// translate; no SQL here.
#pragma once

#include "services/payment/store.h"
#include "turnstile/v1/participant.grpc.pb.h"
#include "turnstile/v1/payment.grpc.pb.h"

namespace turnstile::payment {

class PaymentService final : public v1::Payment::Service {
 public:
  explicit PaymentService(PaymentStore& store) : store_(store) {}

  grpc::Status Deposit(grpc::ServerContext* context,
                       const v1::DepositRequest* request,
                       v1::Wallet* response) override;
  grpc::Status GetWallet(grpc::ServerContext* context,
                         const v1::GetWalletRequest* request,
                         v1::Wallet* response) override;
  grpc::Status AuthorizePayment(
      grpc::ServerContext* context, const v1::AuthorizePaymentRequest* request,
      v1::AuthorizePaymentResponse* response) override;

 private:
  PaymentStore& store_;
};

class PaymentParticipant final : public v1::Participant::Service {
 public:
  explicit PaymentParticipant(PaymentStore& store) : store_(store) {}

  grpc::Status Confirm(grpc::ServerContext* context,
                       const v1::ConfirmRequest* request,
                       v1::ConfirmResponse* response) override;
  grpc::Status Cancel(grpc::ServerContext* context,
                      const v1::CancelRequest* request,
                      v1::CancelResponse* response) override;

 private:
  PaymentStore& store_;
};

}  // namespace turnstile::payment
