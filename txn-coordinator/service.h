// The turnstile.v1.Coordinator gRPC handlers (callback API, so no thread waits
// for the group-commit writer or for a transaction to finish): validate the
// request completely, translate it into a log operation or read, call it, and
// translate the result back. No SQL and no state rules live here.
#pragma once

#include <chrono>

#include "turnstile/v1/coordinator.grpc.pb.h"
#include "txn-coordinator/driver.h"
#include "txn-coordinator/executor.h"
#include "txn-coordinator/group_commit.h"
#include "txn-coordinator/log_store.h"
#include "txn-coordinator/participants.h"
#include "txn-coordinator/waiters.h"

namespace turnstile::coordinator {

struct ServiceOptions {
  ParticipantMap participants;
  // Fault injection for crash tests: the driver waits this long after a
  // Commit/Abort decision is durable before its first delivery.
  std::chrono::milliseconds pause_after_decision{0};
  // Longest wait=true blocks when the client set no deadline.
  std::chrono::milliseconds max_wait{60000};
  // The stuck and overdue definitions (--stuck_after_ms,
  // --overdue_horizon_ms), as the recovery loop's gauges use them: for
  // ListTransactions' stuck filter and GetSummary.
  std::chrono::milliseconds stuck_after{300000};
  std::chrono::milliseconds overdue_horizon{600000};
};

class CoordinatorService final : public v1::Coordinator::CallbackService {
 public:
  CoordinatorService(ServiceOptions options, LogStore* log, GroupCommit* writer,
                     Executor* executor, Driver* driver, Waiters* waiters);

  grpc::ServerUnaryReactor* Begin(grpc::CallbackServerContext* ctx,
                                  const v1::BeginRequest* req,
                                  v1::BeginResponse* resp) override;
  grpc::ServerUnaryReactor* RegisterBranch(
      grpc::CallbackServerContext* ctx, const v1::RegisterBranchRequest* req,
      v1::RegisterBranchResponse* resp) override;
  grpc::ServerUnaryReactor* Commit(grpc::CallbackServerContext* ctx,
                                   const v1::CommitRequest* req,
                                   v1::CommitResponse* resp) override;
  grpc::ServerUnaryReactor* Abort(grpc::CallbackServerContext* ctx,
                                  const v1::AbortRequest* req,
                                  v1::AbortResponse* resp) override;
  grpc::ServerUnaryReactor* GetTransaction(grpc::CallbackServerContext* ctx,
                                           const v1::GetTransactionRequest* req,
                                           v1::Transaction* resp) override;
  grpc::ServerUnaryReactor* ListTransactions(
      grpc::CallbackServerContext* ctx, const v1::ListTransactionsRequest* req,
      v1::ListTransactionsResponse* resp) override;
  grpc::ServerUnaryReactor* RetryTransaction(
      grpc::CallbackServerContext* ctx, const v1::RetryTransactionRequest* req,
      v1::Transaction* resp) override;
  grpc::ServerUnaryReactor* GetSummary(grpc::CallbackServerContext* ctx,
                                       const v1::GetSummaryRequest* req,
                                       v1::TransactionSummary* resp) override;

 private:
  class Reactor;
  // Answers with `state` once the transaction is final or the client's
  // deadline is near; `set_state` writes it into the response.
  void Park(Reactor* reactor, grpc::CallbackServerContext* ctx,
            const std::string& gid, TxnState state,
            std::function<void(TxnState)> set_state);
  // Runs `work` (which blocks on the database and replies) on the executor;
  // answers RESOURCE_EXHAUSTED if its queue is full, UNAVAILABLE if it is
  // shutting down.
  void Offload(Reactor* reactor, std::function<void()> work);

  const ServiceOptions options_;
  LogStore* log_;
  GroupCommit* writer_;
  Executor* executor_;
  Driver* driver_;
  Waiters* waiters_;
};

// Conversions between the log's states and the API's.
v1::TxnState ToProto(TxnState state);
v1::BranchState ToProto(BranchState state);
void FillTransaction(const TxnRecord& record, v1::Transaction* out);

}  // namespace turnstile::coordinator
