#include "txn-coordinator/driver.h"

#include <spdlog/spdlog.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "services/common/trace_grpc.h"
#include "txn-coordinator/metrics.h"

namespace turnstile::coordinator {

std::chrono::milliseconds RetryDelay(const BackoffPolicy& policy,
                                     int attempts) {
  return BackoffDelay(policy, std::max(1, attempts));
}

// One delivery round: a call per due branch, all in flight together.
struct Driver::Round {
  std::string gid;
  // The transaction's trace (stored at Begin; a new one if none was): the
  // round's log lines carry it, every call sends it on as a new span.
  TraceContext trace;
  TxnState deciding = TxnState::kConfirming;
  int cancel_reason = 0;
  struct Call {
    std::string branch_id;
    std::string participant;
    int attempts = 0;  // before this call
    grpc::ClientContext ctx;
    v1::ConfirmRequest confirm_req;
    v1::ConfirmResponse confirm_resp;
    v1::CancelRequest cancel_req;
    v1::CancelResponse cancel_resp;
  };
  std::vector<std::unique_ptr<Call>> calls;
  std::vector<Delivery> results;
  std::atomic<int> remaining{0};
  RoundResult outcome;
};

Driver::Driver(DriverOptions options, LogStore* log, GroupCommit* writer,
               Executor* executor, Waiters* waiters, Stubs stubs)
    : options_(options),
      log_(log),
      writer_(writer),
      executor_(executor),
      waiters_(waiters),
      stubs_(std::move(stubs)) {}

Driver::~Driver() { Stop(options_.rpc_timeout + std::chrono::seconds(2)); }

void Driver::Drive(const std::string& gid, std::chrono::milliseconds delay) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !active_.insert(gid).second) return;
  }
  const bool posted = executor_->PostAfter(delay, [this, gid] {
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        active_.erase(gid);
        return;
      }
      ++in_flight_;
    }
    StartRound(gid);
  });
  if (!posted) {
    std::lock_guard lock(mu_);
    active_.erase(gid);
  }
}

int Driver::Capacity() const {
  std::lock_guard lock(mu_);
  return std::max(0, options_.max_active - static_cast<int>(active_.size()));
}

void Driver::Stop(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  stopping_ = true;
  if (!idle_.wait_for(lock, wait, [&] { return in_flight_ == 0; })) {
    spdlog::warn("event=driver_stop_timeout in_flight={}", in_flight_);
  }
}

void Driver::Finish(const std::string& gid) {
  std::lock_guard lock(mu_);
  active_.erase(gid);
  --in_flight_;
  idle_.notify_all();
}

void Driver::StartRound(const std::string& gid) {
  auto snap = log_->LoadForDrive(gid);
  TraceContext trace = SpanInTrace(snap.ok() ? snap->trace_id : "");
  if (!trace.valid()) trace = NewTrace();
  const TraceScope scope(trace, gid);
  if (!snap.ok()) {
    // Left to recovery: the lease runs out and the loop claims it again.
    spdlog::warn("event=drive_load_failed gid={} error=\"{}\"", gid,
                 std::string(snap.status().message()));
    Finish(gid);
    return;
  }
  if (!snap->found || snap->state == TxnState::kTrying) {
    Finish(gid);
    return;
  }
  if (IsFinal(snap->state)) {
    waiters_->Notify(gid, snap->state);
    Finish(gid);
    return;
  }
  auto round = std::make_shared<Round>();
  round->gid = gid;
  round->trace = trace;
  round->deciding = snap->state;
  round->cancel_reason = snap->cancel_reason;
  for (const auto& p : snap->pending) {
    if (!p.due) continue;  // backing off; Reschedule keeps it in view
    auto call = std::make_unique<Round::Call>();
    call->branch_id = p.branch_id;
    call->participant = p.participant;
    call->attempts = p.attempts;
    round->calls.push_back(std::move(call));
  }
  round->results.resize(round->calls.size());
  spdlog::debug("event=drive_round gid={} state={} due={} pending={}", gid,
                StateName(round->deciding), round->calls.size(),
                snap->pending.size());
  if (round->calls.empty()) {
    // Nothing due: finish (no branch left) or reschedule.
    Record(round);
    return;
  }
  round->remaining = static_cast<int>(round->calls.size());
  const bool confirm = IsConfirmSide(round->deciding);
  // Collect the calls first: a callback may complete the round (and free
  // nothing we still use, since `round` is shared) while we are still
  // issuing the others.
  for (size_t i = 0; i < round->calls.size(); ++i) {
    auto* call = round->calls[i].get();
    auto stub = stubs_.find(call->participant);
    if (stub == stubs_.end()) {
      OnDelivered(round, i,
                  grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                               absl::StrCat("participant ", call->participant,
                                            " is not configured")));
      continue;
    }
    call->ctx.set_deadline(std::chrono::system_clock::now() +
                           options_.rpc_timeout);
    PropagateTrace(&call->ctx, round->trace);
    auto done = [this, round, i](grpc::Status status) {
      OnDelivered(round, i, status);
    };
    if (confirm) {
      call->confirm_req.mutable_txn()->set_gid(gid);
      call->confirm_req.mutable_txn()->set_branch_id(call->branch_id);
      stub->second->async()->Confirm(&call->ctx, &call->confirm_req,
                                     &call->confirm_resp, std::move(done));
    } else {
      call->cancel_req.mutable_txn()->set_gid(gid);
      call->cancel_req.mutable_txn()->set_branch_id(call->branch_id);
      call->cancel_req.set_reason(
          static_cast<v1::CancelReason>(round->cancel_reason));
      stub->second->async()->Cancel(&call->ctx, &call->cancel_req,
                                    &call->cancel_resp, std::move(done));
    }
  }
}

void Driver::OnDelivered(const std::shared_ptr<Round>& round, size_t index,
                         const grpc::Status& status) {
  const TraceScope scope(round->trace, round->gid);  // on a gRPC thread
  const auto& call = *round->calls[index];
  const bool confirm = IsConfirmSide(round->deciding);
  auto& m = M();
  Delivery& d = round->results[index];
  d.branch_id = call.branch_id;
  d.ok = status.ok();
  if (d.ok) {
    (confirm ? m.confirms_delivered : m.cancels_delivered).Increment();
  } else {
    (confirm ? m.confirms_failed : m.cancels_failed).Increment();
    d.error =
        absl::StrCat(absl::StatusCodeToString(
                         static_cast<absl::StatusCode>(status.error_code())),
                     ": ", status.error_message());
    d.retry_after = RetryDelay(options_.backoff, call.attempts + 1);
    spdlog::info(
        "event=delivery_failed gid={} branch={} participant={} phase={} "
        "attempt={} retry_in_ms={} error=\"{}\"",
        round->gid, call.branch_id, call.participant,
        confirm ? "confirm" : "cancel", call.attempts + 1,
        d.retry_after.count(), d.error);
  }
  if (--round->remaining == 0) Record(round);
}

void Driver::Record(const std::shared_ptr<Round>& round) {
  writer_->Submit(
      [this, round](pqxx::work& tx) {
        return RecordRound(*log_, tx, round->gid, round->deciding,
                           round->results, &round->outcome);
      },
      [this, round](absl::Status status) {
        const TraceScope scope(round->trace, round->gid);  // writer thread
        if (!status.ok()) {
          spdlog::warn("event=drive_record_failed gid={} error=\"{}\"",
                       round->gid, std::string(status.message()));
        } else {
          for (const auto& [branch_id, attempts] :
               round->outcome.failed_attempts) {
            if (attempts == kStuckAttempts + 1) {
              M().branches_became_stuck.Increment();
            }
            if (attempts > kStuckAttempts) {
              spdlog::warn(
                  "event=branch_stuck gid={} branch={} attempts={} "
                  "phase={}",
                  round->gid, branch_id, attempts,
                  IsConfirmSide(round->deciding) ? "confirm" : "cancel");
            }
          }
          if (round->outcome.finished) {
            const TxnState final_state = round->outcome.state;
            (final_state == TxnState::kConfirmed ? M().finished_confirmed
                                                 : M().finished_cancelled)
                .Increment();
            spdlog::info("event=txn_finished gid={} state={} branches={}",
                         round->gid, StateName(final_state),
                         round->calls.size());
            waiters_->Notify(round->gid, final_state);
          }
        }
        Finish(round->gid);
      },
      GroupCommit::Admit::kAlways);
}

}  // namespace turnstile::coordinator
