#include "services/payment/service.h"

#include <spdlog/spdlog.h>

#include "prometheus/counter.h"
#include "services/common/caller.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/common/trace_grpc.h"
#include "services/common/try_deadline.h"
#include "services/payment/validation.h"

namespace turnstile::payment {
namespace {

constexpr char kDomain[] = "payment.turnstile";

// Money movements by kind, and refusals by reason: what an operator watches.
prometheus::Family<prometheus::Counter>& Movements() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_payment_movements_total")
                            .Help("Money movements applied, by kind")
                            .Register(Metrics());
  return family;
}

prometheus::Family<prometheus::Counter>& Refusals() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_payment_refusals_total")
                            .Help("Authorizations refused, by reason")
                            .Register(Metrics());
  return family;
}

void SetWallet(const WalletRow& row, v1::Wallet* wallet) {
  wallet->set_user_id(row.user_id);
  wallet->mutable_balance()->set_currency(row.currency);
  wallet->mutable_balance()->set_minor_units(row.balance);
  wallet->mutable_frozen()->set_currency(row.currency);
  wallet->mutable_frozen()->set_minor_units(row.frozen);
}

}  // namespace

grpc::Status PaymentService::Deposit(grpc::ServerContext* context,
                                     const v1::DepositRequest* request,
                                     v1::Wallet* response) {
  const ServerTraceScope trace(*context);
  if (auto s = ValidateDeposit(*request); !s.ok()) return ToGrpc(s, kDomain);
  auto wallet =
      store_.Deposit(request->user_id(), request->amount().currency(),
                     request->amount().minor_units(), request->request_id());
  if (!wallet.ok()) return ToGrpc(wallet.status(), kDomain);
  Movements().Add({{"kind", "deposit"}}).Increment();
  spdlog::info("event=deposit user={} currency={} amount={} balance={}",
               request->user_id(), request->amount().currency(),
               request->amount().minor_units(), wallet->balance);
  SetWallet(*wallet, response);
  return grpc::Status::OK;
}

grpc::Status PaymentService::GetWallet(grpc::ServerContext* context,
                                       const v1::GetWalletRequest* request,
                                       v1::Wallet* response) {
  const ServerTraceScope trace(*context);
  auto user = ActingUser(*context);
  if (!user.ok()) return ToGrpc(user.status(), kDomain);
  if (auto s = ValidateGetWallet(*request); !s.ok()) return ToGrpc(s, kDomain);
  auto wallet = store_.GetWallet(*user, request->currency());
  if (!wallet.ok()) return ToGrpc(wallet.status(), kDomain);
  SetWallet(*wallet, response);
  return grpc::Status::OK;
}

grpc::Status PaymentService::AuthorizePayment(
    grpc::ServerContext* context, const v1::AuthorizePaymentRequest* request,
    v1::AuthorizePaymentResponse* response) {
  const ServerTraceScope trace(*context);
  const GidScope gid(request->txn().gid());
  if (auto s = ValidateAuthorize(*request); !s.ok()) return ToGrpc(s, kDomain);
  const auto& txn = request->txn();
  auto deadline_ms =
      TryDeadlineMs(request->has_deadline(), request->deadline().seconds(),
                    request->deadline().nanos(), WallNowMs());
  if (!deadline_ms.ok()) {
    Refusals()
        .Add({{"reason", ReasonOf(deadline_ms.status()).empty()
                             ? "INVALID_ARGUMENT"
                             : ReasonOf(deadline_ms.status())}})
        .Increment();
    return ToGrpc(deadline_ms.status(), kDomain);
  }
  auto auth = store_.Authorize(txn.gid(), txn.branch_id(), request->user_id(),
                               request->amount().currency(),
                               request->amount().minor_units(), *deadline_ms);
  if (!auth.ok()) {
    const std::string reason = ReasonOf(auth.status());
    Refusals().Add({{"reason", reason.empty() ? "OTHER" : reason}}).Increment();
    spdlog::info(
        "event=authorize_refused gid={} branch={} user={} code={} "
        "reason={}",
        txn.gid(), txn.branch_id(), request->user_id(),
        absl::StatusCodeToString(auth.status().code()), reason);
    if (reason == "INSUFFICIENT_FUNDS") {
      return ToGrpc(WithMetadata(auth.status(),
                                 {{"userId", request->user_id()},
                                  {"currency", request->amount().currency()}}),
                    kDomain);
    }
    return ToGrpc(auth.status(), kDomain);
  }
  if (!auth->repeated) {
    Movements().Add({{"kind", "freeze"}}).Increment();
    spdlog::info(
        "event=payment_authorized gid={} branch={} user={} "
        "currency={} amount={}",
        txn.gid(), txn.branch_id(), auth->user_id, auth->currency,
        auth->amount);
  }
  response->mutable_amount()->set_currency(auth->currency);
  response->mutable_amount()->set_minor_units(auth->amount);
  return grpc::Status::OK;
}

grpc::Status PaymentParticipant::Confirm(grpc::ServerContext* context,
                                         const v1::ConfirmRequest* request,
                                         v1::ConfirmResponse* response) {
  const ServerTraceScope trace(*context);
  const GidScope gid(request->txn().gid());
  if (auto s = ValidateTxnRef(request->txn()); !s.ok()) {
    return ToGrpc(s, kDomain);
  }
  const auto& txn = request->txn();
  auto result = store_.Capture(txn.gid(), txn.branch_id());
  if (!result.ok()) {
    spdlog::error("event=capture_failed gid={} branch={} error=\"{}\"",
                  txn.gid(), txn.branch_id(), result.status().ToString());
    return ToGrpc(result.status(), kDomain);
  }
  if (result->applied) {
    Movements().Add({{"kind", "capture"}}).Increment();
    spdlog::info("event=payment_captured gid={} branch={} amount={}", txn.gid(),
                 txn.branch_id(), result->amount);
  } else if (result->note != "repeat") {
    spdlog::warn("event=capture_noop gid={} branch={} note=\"{}\"", txn.gid(),
                 txn.branch_id(), result->note);
  }
  response->set_applied(result->applied);
  return grpc::Status::OK;
}

grpc::Status PaymentParticipant::Cancel(grpc::ServerContext* context,
                                        const v1::CancelRequest* request,
                                        v1::CancelResponse* response) {
  const ServerTraceScope trace(*context);
  const GidScope gid(request->txn().gid());
  if (auto s = ValidateTxnRef(request->txn()); !s.ok()) {
    return ToGrpc(s, kDomain);
  }
  const auto& txn = request->txn();
  auto result = store_.Release(txn.gid(), txn.branch_id());
  if (!result.ok()) {
    spdlog::error("event=release_failed gid={} branch={} error=\"{}\"",
                  txn.gid(), txn.branch_id(), result.status().ToString());
    return ToGrpc(result.status(), kDomain);
  }
  if (result->applied) {
    Movements().Add({{"kind", "release"}}).Increment();
  }
  spdlog::info(
      "event=payment_cancelled gid={} branch={} reason={} "
      "applied={} amount={} note=\"{}\"",
      txn.gid(), txn.branch_id(), v1::CancelReason_Name(request->reason()),
      result->applied, result->amount, result->note);
  response->set_applied(result->applied);
  return grpc::Status::OK;
}

}  // namespace turnstile::payment
