#include "txn-coordinator/service.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "services/common/caller.h"
#include "services/common/status.h"
#include "services/common/time_util.h"
#include "services/common/trace_grpc.h"
#include "services/common/uuid.h"
#include "txn-coordinator/metrics.h"
#include "txn-coordinator/txn_ops.h"
#include "txn-coordinator/validation.h"

namespace turnstile::coordinator {
namespace {
constexpr char kDomain[] = "coordinator.turnstile";
}  // namespace

// A unary call's reactor: deletes itself when done and lets a parked call
// be released when the client cancels (or the server shuts down).
class CoordinatorService::Reactor : public grpc::ServerUnaryReactor {
 public:
  void Reply(const absl::Status& status) { Finish(ToGrpc(status, kDomain)); }

  // Runs `fn` on cancellation (at once if the call was already cancelled).
  void SetOnCancel(std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      if (!cancelled_) {
        on_cancel_ = std::move(fn);
        return;
      }
    }
    fn();
  }

  void OnCancel() override {
    std::function<void()> fn;
    {
      std::lock_guard lock(mu_);
      cancelled_ = true;
      fn = std::move(on_cancel_);
    }
    if (fn) fn();
  }

  void OnDone() override { delete this; }

 private:
  std::mutex mu_;
  bool cancelled_ = false;
  std::function<void()> on_cancel_;
};

namespace {

// A call answered at once (a refused request), on gRPC's own reactor.
grpc::ServerUnaryReactor* Answered(grpc::CallbackServerContext* ctx,
                                   const absl::Status& status) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpc(status, kDomain));
  return reactor;
}

}  // namespace

v1::TxnState ToProto(TxnState state) {
  switch (state) {
    case TxnState::kTrying:
      return v1::TXN_STATE_TRYING;
    case TxnState::kConfirming:
      return v1::TXN_STATE_CONFIRMING;
    case TxnState::kConfirmed:
      return v1::TXN_STATE_CONFIRMED;
    case TxnState::kCancelling:
      return v1::TXN_STATE_CANCELLING;
    case TxnState::kCancelled:
      return v1::TXN_STATE_CANCELLED;
  }
  return v1::TXN_STATE_UNSPECIFIED;
}

v1::BranchState ToProto(BranchState state) {
  switch (state) {
    case BranchState::kRegistered:
      return v1::BRANCH_STATE_REGISTERED;
    case BranchState::kConfirmed:
      return v1::BRANCH_STATE_CONFIRMED;
    case BranchState::kCancelled:
      return v1::BRANCH_STATE_CANCELLED;
  }
  return v1::BRANCH_STATE_UNSPECIFIED;
}

namespace {
std::optional<TxnState> FromProto(v1::TxnState state) {
  switch (state) {
    case v1::TXN_STATE_TRYING:
      return TxnState::kTrying;
    case v1::TXN_STATE_CONFIRMING:
      return TxnState::kConfirming;
    case v1::TXN_STATE_CONFIRMED:
      return TxnState::kConfirmed;
    case v1::TXN_STATE_CANCELLING:
      return TxnState::kCancelling;
    case v1::TXN_STATE_CANCELLED:
      return TxnState::kCancelled;
    default:
      return std::nullopt;
  }
}
}  // namespace

void FillTransaction(const TxnRecord& t, v1::Transaction* out) {
  out->set_gid(t.gid);
  out->set_request_id(t.request_id);
  out->set_state(ToProto(t.state));
  SetMicros(out->mutable_deadline(), t.deadline_us);
  SetMicros(out->mutable_created_at(), t.created_us);
  SetMicros(out->mutable_updated_at(), t.updated_us);
  out->set_cancel_reason(static_cast<v1::CancelReason>(t.cancel_reason));
  out->set_detail(t.detail);
  out->set_trace_id(t.trace_id);
  if (t.next_attempt_us != 0) {
    SetMicros(out->mutable_next_attempt_at(), t.next_attempt_us);
  }
  for (const auto& b : t.branches) {
    auto* pb = out->add_branches();
    pb->set_branch_id(b.branch_id);
    pb->set_participant(b.participant);
    pb->set_state(ToProto(b.state));
    pb->set_attempts(b.attempts);
    pb->set_last_error(b.last_error);
    if (b.next_attempt_us != 0) {
      SetMicros(pb->mutable_next_attempt_at(), b.next_attempt_us);
    }
  }
}

CoordinatorService::CoordinatorService(ServiceOptions options, LogStore* log,
                                       GroupCommit* writer, Executor* executor,
                                       Driver* driver, Waiters* waiters)
    : options_(std::move(options)),
      log_(log),
      writer_(writer),
      executor_(executor),
      driver_(driver),
      waiters_(waiters) {}

void CoordinatorService::Park(Reactor* reactor,
                              grpc::CallbackServerContext* ctx,
                              const std::string& gid, TxnState state,
                              std::function<void(TxnState)> set_state) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  auto deadline = ctx->deadline();
  if (deadline > now + options_.max_wait) deadline = now + options_.max_wait;
  // Answer a little before the client gives up, so it gets the state.
  const auto margin =
      std::min<system_clock::duration>(milliseconds(500), (deadline - now) / 5);
  const auto until = deadline - margin;
  auto id = std::make_shared<std::atomic<uint64_t>>(0);
  // Registered before the waiter exists: once Add returns the waiter may
  // already have finished (and freed) the reactor.
  reactor->SetOnCancel([this, id] {
    if (const uint64_t v = id->load()) waiters_->Cancel(v);
  });
  id->store(waiters_->Add(gid, state, until,
                          [reactor, set_state](TxnState final_state) {
                            set_state(final_state);
                            reactor->Reply(absl::OkStatus());
                          }));
}

grpc::ServerUnaryReactor* CoordinatorService::Begin(
    grpc::CallbackServerContext* ctx, const v1::BeginRequest* req,
    v1::BeginResponse* resp) {
  if (auto s = ValidateBegin(*req, options_.participants); !s.ok())
    return Answered(ctx, s);
  auto* reactor = new Reactor();
  // The caller's trace becomes the transaction's: stored with it, sent on
  // with every Confirm/Cancel.
  const TraceContext trace = ServerSpan(*ctx);
  auto in = std::make_shared<BeginInput>();
  in->gid = NewUuidV7();
  in->trace_id = std::string(trace.trace_id_view());
  in->request_id = req->request_id();
  in->timeout_ms = req->timeout_ms();
  for (const auto& b : req->branches()) {
    in->branches.push_back(BranchInput{b.branch_id(), b.participant()});
  }
  auto out = std::make_shared<BeginRow>();
  writer_->Submit(
      [this, in, out](pqxx::work& tx) {
        return BeginTxn(*log_, tx, *in, out.get());
      },
      [reactor, resp, in, out, trace](absl::Status status) {
        const TraceScope scope(trace, out->gid);
        if (status.ok()) {
          resp->set_gid(out->gid);
          SetMicros(resp->mutable_deadline(), out->deadline_us);
          resp->set_state(ToProto(out->state));
          if (out->created) {
            M().begun.Increment();
            spdlog::debug("event=txn_begun gid={} branches={} timeout_ms={}",
                          out->gid, in->branches.size(), in->timeout_ms);
          }
        }
        reactor->Reply(status);
      });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::RegisterBranch(
    grpc::CallbackServerContext* ctx, const v1::RegisterBranchRequest* req,
    v1::RegisterBranchResponse* resp) {
  if (auto s = ValidateRegisterBranch(*req, options_.participants); !s.ok())
    return Answered(ctx, s);
  auto* reactor = new Reactor();
  const std::string gid = req->gid();
  const BranchInput branch{req->branch().branch_id(),
                           req->branch().participant()};
  writer_->Submit(
      [this, gid, branch](pqxx::work& tx) {
        return coordinator::RegisterBranch(*log_, tx, gid, branch);
      },
      [reactor](absl::Status status) { reactor->Reply(status); });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::Commit(
    grpc::CallbackServerContext* ctx, const v1::CommitRequest* req,
    v1::CommitResponse* resp) {
  if (auto s = ValidateGid(req->gid()); !s.ok()) return Answered(ctx, s);
  auto* reactor = new Reactor();
  const TraceContext trace = ServerSpan(*ctx);
  const std::string gid = req->gid();
  const bool wait = req->wait();
  auto out = std::make_shared<Decision>();
  writer_->Submit(
      [this, gid, out](pqxx::work& tx) {
        return coordinator::Commit(*log_, tx, gid, out.get());
      },
      [this, reactor, ctx, resp, gid, wait, out, trace](absl::Status status) {
        const TraceScope scope(trace, gid);
        if (!status.ok()) {
          reactor->Reply(status);
          return;
        }
        auto set_state = [resp](TxnState s) { resp->set_state(ToProto(s)); };
        const bool park = out->answer.ok() && wait && !IsFinal(out->state);
        // Park before starting the driver so its notification is not missed.
        if (park) Park(reactor, ctx, gid, out->state, set_state);
        if (out->decided) {
          if (out->state == TxnState::kConfirming) {
            M().committed.Increment();
            spdlog::info("event=txn_committed gid={}", gid);
          } else {
            M().aborted_deadline.Increment();
            spdlog::info("event=txn_commit_too_late gid={}", gid);
          }
          driver_->Drive(gid, options_.pause_after_decision);
        }
        if (park) return;
        set_state(out->state);
        reactor->Reply(out->answer);
      });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::Abort(
    grpc::CallbackServerContext* ctx, const v1::AbortRequest* req,
    v1::AbortResponse* resp) {
  if (auto s = ValidateAbort(*req); !s.ok()) return Answered(ctx, s);
  auto* reactor = new Reactor();
  const TraceContext trace = ServerSpan(*ctx);
  const std::string gid = req->gid();
  const int reason = req->reason();
  const std::string detail = req->detail();
  const bool wait = req->wait();
  auto out = std::make_shared<Decision>();
  writer_->Submit(
      [this, gid, reason, detail, out](pqxx::work& tx) {
        return coordinator::Abort(*log_, tx, gid, reason, detail, out.get());
      },
      [this, reactor, ctx, resp, gid, wait, reason, out,
       trace](absl::Status status) {
        const TraceScope scope(trace, gid);
        if (!status.ok()) {
          reactor->Reply(status);
          return;
        }
        auto set_state = [resp](TxnState s) { resp->set_state(ToProto(s)); };
        const bool park = out->answer.ok() && wait && !IsFinal(out->state);
        if (park) Park(reactor, ctx, gid, out->state, set_state);
        if (out->decided) {
          M().aborted_user.Increment();
          spdlog::info(
              "event=txn_aborted gid={} reason={}", gid,
              v1::CancelReason_Name(static_cast<v1::CancelReason>(reason)));
          driver_->Drive(gid, options_.pause_after_decision);
        }
        if (park) return;
        set_state(out->state);
        reactor->Reply(out->answer);
      });
  return reactor;
}

void CoordinatorService::Offload(Reactor* reactor, std::function<void()> work) {
  if (auto posted = executor_->Post(std::move(work)); !posted.ok()) {
    reactor->Reply(posted);
  }
}

grpc::ServerUnaryReactor* CoordinatorService::GetTransaction(
    grpc::CallbackServerContext* ctx, const v1::GetTransactionRequest* req,
    v1::Transaction* resp) {
  if (auto s = ValidateGid(req->gid()); !s.ok()) return Answered(ctx, s);
  auto* reactor = new Reactor();
  const std::string gid = req->gid();
  // Operators and the initiator see every branch; another participant
  // (checking a hold it still has, DESIGN.md §8) sees only its own.
  const Caller caller = CallerOf(*ctx);
  std::string only;
  if (!caller.is_operator && !caller.peer.empty() && caller.peer != "order") {
    only = caller.peer;
  }
  Offload(reactor, [this, reactor, resp, gid, only] {
    auto record = log_->Get(gid);
    if (!record.ok()) return reactor->Reply(record.status());
    const auto not_found = [&] {
      reactor->Reply(NotFound(absl::StrCat("transaction ", gid, " not found")));
    };
    if (!record->has_value()) return not_found();
    FillTransaction(**record, resp);
    if (!only.empty()) {
      auto* branches = resp->mutable_branches();
      for (int i = branches->size() - 1; i >= 0; --i) {
        if (branches->Get(i).participant() != only) {
          branches->DeleteSubrange(i, 1);
        }
      }
      if (branches->empty()) {
        resp->Clear();
        return not_found();
      }
    }
    reactor->Reply(absl::OkStatus());
  });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::ListTransactions(
    grpc::CallbackServerContext* ctx, const v1::ListTransactionsRequest* req,
    v1::ListTransactionsResponse* resp) {
  if (auto s = ValidateList(*req); !s.ok()) return Answered(ctx, s);
  auto* reactor = new Reactor();
  const int page_size =
      req->page_size() == 0 ? kDefaultPageSize : req->page_size();
  ListFilter filter;
  filter.state = FromProto(req->state());
  filter.participant = req->participant();
  filter.min_age_seconds = req->min_age_seconds();
  filter.after_gid = req->page_token();
  filter.limit = page_size + 1;  // one more tells whether a next page exists
  filter.stuck_only = req->stuck_only();
  filter.stuck_after = options_.stuck_after;
  Offload(reactor, [this, reactor, resp, filter, page_size] {
    auto rows = log_->List(filter);
    if (!rows.ok()) return reactor->Reply(rows.status());
    const bool more = static_cast<int>(rows->size()) > page_size;
    if (more) rows->resize(page_size);
    for (const auto& t : *rows) FillTransaction(t, resp->add_transactions());
    if (more) resp->set_next_page_token(rows->back().gid);
    reactor->Reply(absl::OkStatus());
  });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::RetryTransaction(
    grpc::CallbackServerContext* ctx, const v1::RetryTransactionRequest* req,
    v1::Transaction* resp) {
  if (auto s = ValidateGid(req->gid()); !s.ok()) return Answered(ctx, s);
  auto* reactor = new Reactor();
  const std::string gid = req->gid();
  const TraceContext trace = ServerSpan(*ctx);
  Offload(reactor, [this, reactor, resp, gid, trace] {
    const TraceScope scope(trace, gid);
    auto retry = log_->MakeDue(gid);
    if (!retry.ok()) return reactor->Reply(retry.status());
    if (!retry->state) {
      return reactor->Reply(
          NotFound(absl::StrCat("transaction ", gid, " not found")));
    }
    if (!retry->reset) {
      return reactor->Reply(
          Refused("NOT_DELIVERING",
                  absl::StrCat("only CONFIRMING/CANCELLING transactions can be "
                               "retried; this one is ",
                               StateName(*retry->state))));
    }
    spdlog::info("event=txn_retry_requested gid={}", gid);
    auto record = log_->Get(gid);
    if (!record.ok()) return reactor->Reply(record.status());
    if (record->has_value()) FillTransaction(**record, resp);
    reactor->Reply(absl::OkStatus());
  });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::GetSummary(
    grpc::CallbackServerContext* /*ctx*/, const v1::GetSummaryRequest* /*req*/,
    v1::TransactionSummary* resp) {
  auto* reactor = new Reactor();
  Offload(reactor, [this, reactor, resp] {
    // The gauges' own statement, so the console and the alerts agree.
    auto gauges =
        log_->ReadGauges(options_.stuck_after, options_.overdue_horizon);
    if (!gauges.ok()) return reactor->Reply(gauges.status());
    auto finished = log_->CountFinished(std::chrono::hours(1));
    if (!finished.ok()) return reactor->Reply(finished.status());
    resp->set_trying(gauges->trying);
    resp->set_confirming(gauges->confirming);
    resp->set_cancelling(gauges->cancelling);
    resp->set_confirmed_last_hour(finished->confirmed);
    resp->set_cancelled_last_hour(finished->cancelled);
    resp->set_stuck_branches(gauges->stuck_branches);
    resp->set_overdue_transactions(gauges->overdue);
    resp->set_oldest_undelivered_age_seconds(gauges->oldest_undelivered_age_s);
    const double last_pass = M().recovery_last_pass.Value();
    if (last_pass > 0) {
      SetMicros(resp->mutable_recovery_last_pass(),
                static_cast<int64_t>(last_pass * 1e6));
    }
    SetMicros(resp->mutable_read_at(),
              std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count());
    resp->set_stuck_after_ms(options_.stuck_after.count());
    resp->set_overdue_horizon_ms(options_.overdue_horizon.count());
    resp->set_stuck_attempts(kStuckAttempts);
    reactor->Reply(absl::OkStatus());
  });
  return reactor;
}

}  // namespace turnstile::coordinator
