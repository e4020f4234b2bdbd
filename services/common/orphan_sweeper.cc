#include "services/common/orphan_sweeper.h"

#include <spdlog/spdlog.h>

#include "prometheus/counter.h"
#include "services/common/clients.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/common/trace_grpc.h"

namespace turnstile {
namespace {

prometheus::Family<prometheus::Counter>& Released() {
  static auto& family =
      prometheus::BuildCounter()
          .Name("turnstile_orphans_released_total")
          .Help(
              "Holds released by the orphan sweep because the coordinator "
              "does not know or has cancelled their transaction")
          .Register(Metrics());
  return family;
}

}  // namespace

OrphanSweeper::OrphanSweeper(std::string participant,
                             OrphanSweepOptions options, Hooks hooks)
    : participant_(std::move(participant)),
      options_(std::move(options)),
      hooks_(std::move(hooks)) {
  if (!options_.coordinator.empty()) {
    coordinator_ = v1::Coordinator::NewStub(
        MakeChannel(options_.coordinator, "coordinator"));
  }
}

OrphanSweeper::~OrphanSweeper() { Stop(); }

absl::StatusOr<int> OrphanSweeper::SweepOnce() {
  if (!coordinator_) return 0;
  auto holds = hooks_.list_overdue(options_.margin, options_.batch);
  if (!holds.ok()) return holds.status();
  int released = 0;
  for (const OverdueHold& hold : *holds) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    v1::GetTransactionRequest req;
    req.set_gid(hold.gid);
    v1::Transaction txn;
    auto ctx = CallContext(options_.rpc_timeout);
    const TraceContext check = NewTrace();  // each check is its own request
    PropagateTrace(ctx.get(), check);
    const grpc::Status s = coordinator_->GetTransaction(ctx.get(), req, &txn);
    absl::StatusOr<v1::Transaction> answer =
        s.ok() ? absl::StatusOr<v1::Transaction>(std::move(txn)) : FromGrpc(s);
    // What follows is about the transaction: logged in its trace if the
    // coordinator knows it, else in the check's.
    const TraceContext in_txn =
        answer.ok() ? SpanInTrace(answer->trace_id()) : TraceContext();
    const TraceScope scope(in_txn.valid() ? in_txn : check, hold.gid);
    const std::string state = CoordinatorStateOf(answer);
    switch (Decide(answer)) {
      case OrphanAction::kLeave:
        break;
      case OrphanAction::kRetryLater:
        spdlog::warn(
            "event=orphan_check_failed gid={} branch={} "
            "coordinator_state={} error=\"{}\"",
            hold.gid, hold.branch_id, state,
            std::string(answer.status().message()));
        break;
      case OrphanAction::kRelease:
        if (auto r = hooks_.release(hold); !r.ok()) {
          spdlog::error(
              "event=orphan_release_failed gid={} branch={} "
              "coordinator_state={} error=\"{}\"",
              hold.gid, hold.branch_id, state, r.ToString());
          break;
        }
        ++released;
        Released().Add({{"participant", participant_}}).Increment();
        spdlog::info(
            "event=orphan_released gid={} branch={} coordinator_state={}",
            hold.gid, hold.branch_id, state);
        break;
    }
  }
  return released;
}

void OrphanSweeper::Start() {
  if (!coordinator_ || options_.interval.count() <= 0 || thread_.joinable()) {
    return;
  }
  spdlog::info(
      "event=orphan_sweep_started coordinator={} interval_s={} margin_s={} "
      "batch={}",
      options_.coordinator, options_.interval.count(), options_.margin.count(),
      options_.batch);
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, options_.interval, [this] { return stop_; })) {
      // Unlocked while sweeping so that Stop() is not held up by a slow
      // coordinator for longer than the current call.
      lock.unlock();
      auto released = SweepOnce();
      if (!released.ok()) {
        spdlog::warn("event=orphan_sweep_failed error=\"{}\"",
                     released.status().ToString());
      }
      lock.lock();
    }
  });
}

void OrphanSweeper::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::function<absl::Status(const OverdueHold&)> ReleaseThroughCancel(
    v1::Participant::Service* participant) {
  return [participant](const OverdueHold& hold) {
    v1::CancelRequest req;
    req.mutable_txn()->set_gid(hold.gid);
    req.mutable_txn()->set_branch_id(hold.branch_id);
    req.set_reason(v1::CANCEL_REASON_DEADLINE);
    v1::CancelResponse resp;
    grpc::ServerContext context;
    return FromGrpc(participant->Cancel(&context, &req, &resp));
  };
}

}  // namespace turnstile
