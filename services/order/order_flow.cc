#include "services/order/order_flow.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/common/time_util.h"
#include "services/common/trace_scope.h"
#include "services/order/branch_tries.h"

namespace turnstile::order {
namespace {

prometheus::Family<prometheus::Counter>& TryRetries() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_order_try_retries_total")
                            .Help(
                                "Try attempts repeated after a transient "
                                "failure, by branch")
                            .Register(Metrics());
  return family;
}

prometheus::Family<prometheus::Counter>& Aborts() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_order_aborts_total")
                            .Help(
                                "Transactions aborted by the order service, "
                                "by failing branch and reason")
                            .Register(Metrics());
  return family;
}

Deadline FromMicros(int64_t micros) {
  return Deadline(std::chrono::duration_cast<Clock::duration>(
      std::chrono::microseconds(micros)));
}

int64_t MicrosOf(Deadline t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             t.time_since_epoch())
      .count();
}

const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// Repeats an idempotent blocking call while it fails transiently and the
// next attempt would start before `until` (one attempt at least).
template <typename F>
auto Retry(const RetryPolicy& policy, Deadline until, F&& call)
    -> decltype(call(Deadline())) {
  for (int attempt = 1;; ++attempt) {
    auto result = call(Clock::now() + policy.call_timeout);
    const absl::Status status = StatusOf(result);
    if (status.ok() || !IsRetryable(status)) return result;
    const Deadline next = Clock::now() + BackoffDelay(policy.backoff, attempt);
    if (next >= until) return result;
    std::this_thread::sleep_until(next);
  }
}

// The same status prefixed with where it came from, details kept.
absl::Status From(const std::string& where, const absl::Status& status) {
  return FromBranch(where, status);
}

// Printable, bounded, valid UTF-8 text for the coordinator's detail field.
std::string Detail(const std::string& text) {
  std::string out;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  if (out.size() > 500) {
    size_t cut = 500;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    out.resize(cut);
  }
  return out;
}

}  // namespace

absl::Status FromBranch(const std::string& where, const absl::Status& status) {
  // Reason, facts, retry delay and correlation id travel on unchanged.
  return WithMessage(status, absl::StrCat(where, ": ", status.message()));
}

void SetTryDeadline(google::protobuf::Message& request, Deadline deadline) {
  using google::protobuf::FieldDescriptor;
  const FieldDescriptor* field =
      request.GetDescriptor()->FindFieldByName("deadline");
  if (field == nullptr || field->is_repeated() ||
      field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
      field->message_type()->full_name() != "google.protobuf.Timestamp") {
    return;
  }
  auto* ts = dynamic_cast<google::protobuf::Timestamp*>(
      request.GetReflection()->MutableMessage(&request, field));
  if (ts != nullptr) SetMicros(ts, MicrosOf(deadline));
}

OrderFlow::OrderFlow(Peers& peers, OrderRepo& repo, FlowOptions options,
                     GatePrecheck* precheck)
    : peers_(peers),
      repo_(repo),
      options_(options),
      policy_{options.backoff, options.rpc_timeout},
      precheck_(precheck) {}

absl::StatusOr<OrderRecord> OrderFlow::Load(const std::string& order_id) {
  auto row = repo_.Get(order_id);
  if (!row.ok()) return row.status();
  if (!row->has_value()) {
    return Error(absl::StatusCode::kInternal, "ORDER_MISSING",
                 absl::StrCat("order ", order_id, " has no row"));
  }
  return std::move(**row);
}

absl::StatusOr<OrderRecord> OrderFlow::LoadOwned(const std::string& order_id,
                                                 const std::string& user_id) {
  auto row = repo_.Get(order_id);
  if (!row.ok()) return row.status();
  // Someone else's order is reported exactly like a missing one.
  if (!row->has_value() || (**row).user_id != user_id) {
    return NotFound(absl::StrCat("order ", order_id, " not found"));
  }
  return std::move(**row);
}

absl::StatusOr<OrderRecord> OrderFlow::PlaceOrder(const PlaceOrderInput& input,
                                                  Deadline client_deadline) {
  if (auto s = CheckBookingServed(input, options_.serve_booking_lines);
      !s.ok()) {
    return s;
  }
  // Sold out according to the gate: refused before any SQL or coordinator
  // write (the lookup of an earlier request below is SQL too).
  if (precheck_ != nullptr) {
    if (auto s = precheck_->Check(input); !s.ok()) return s;
  }
  auto existing = repo_.FindByRequest(input.user_id, input.request_id);
  if (!existing.ok()) return existing.status();
  PlaceOrderInput in = input;
  if (existing->has_value()) {
    const OrderRecord& row = **existing;
    if (row.state != OrderState::kPending) return row;
    // A pay_now order still in flight (or whose initiator died): drive it
    // again with what was stored; every step is idempotent.
    auto stored = InputFromRecord(row);
    if (!stored.ok()) return stored.status();
    in = std::move(*stored);
    spdlog::info("event=order_redrive gid={} user={}", row.order_id,
                 row.user_id);
  }

  const int window_s = PaymentWindowSeconds(in, options_.windows);
  const std::chrono::milliseconds timeout =
      in.pay_now ? options_.pay_now_timeout
                 : std::chrono::milliseconds(int64_t{window_s} * 1000);

  // 1. Begin, all branches declared up front (one log write).
  v1::BeginRequest begin;
  begin.set_request_id(absl::StrCat(in.user_id, "/", in.request_id));
  begin.set_timeout_ms(timeout.count());
  for (const std::string& branch : OrderBranches(in)) {
    auto* spec = begin.add_branches();
    spec->set_branch_id(branch);
    spec->set_participant(branch);
  }
  auto begun = Retry(
      policy_,
      std::min({client_deadline, Clock::now() + timeout, CoordinatorBudget()}),
      [&](Deadline d) { return peers_.Begin(begin, d); });
  if (!begun.ok()) return From("coordinator Begin", begun.status());
  const std::string gid = begun->gid();
  const GidScope gid_scope(gid);  // lines below without gid= get it
  const Deadline txn_deadline = begun->has_deadline()
                                    ? FromMicros(ToMicros(begun->deadline()))
                                    : Clock::now() + timeout;
  if (existing->has_value() &&
      !absl::EqualsIgnoreCase(gid, (**existing).order_id)) {
    // The coordinator no longer knows the transaction (retention): nothing
    // left to drive; its deadline has long passed.
    spdlog::warn("event=order_redrive_unknown_txn order={} gid={}",
                 (**existing).order_id, gid);
    return **existing;
  }
  if (begun->state() != v1::TXN_STATE_TRYING) {
    return Settle(gid, begun->state());
  }
  const Deadline try_until = std::min(txn_deadline, client_deadline);
  const RetryObserver on_retry = [&gid](const std::string& branch,
                                        const absl::Status& status,
                                        int attempt) {
    TryRetries().Add({{"branch", branch}}).Increment();
    spdlog::info("event=try_retry gid={} branch={} attempt={} error=\"{}\"",
                 gid, branch, attempt, status.ToString());
  };

  // 2. Stock, seats and bookings in parallel.
  StockAndSeatTries first;
  BuildStockAndSeatTries(peers_, in, gid, txn_deadline, first);
  auto results = RunTries(first.tasks, policy_, try_until, on_retry);
  if (auto failed = FirstFailure(results)) {
    return AbortAfter(gid, first.tasks[*failed].branch,
                      results[*failed].status);
  }

  // 3. Price, then the order row and (pay_now) the payment in parallel.
  auto priced = PriceOrder(in, first.stock, first.seats, first.bookings);
  if (!priced.ok()) return AbortAfter(gid, "pricing", priced.status());
  const OrderRecord order = NewOrderRecord(
      gid, in, *priced,
      in.pay_now ? OrderState::kPending : OrderState::kPendingPayment,
      in.pay_now ? 0 : MicrosOf(txn_deadline));
  const std::string reason =
      in.pay_now ? std::string("placed (pay_now)")
                 : absl::StrCat("placed (payment window ", window_s, "s)");

  v1::AuthorizePaymentRequest pay_req;
  v1::AuthorizePaymentResponse paid;
  std::vector<TryTask> tasks;
  // A free order has nothing to authorize; its payment branch confirms as
  // a no-op. Started first so that it is in flight while the local Try runs.
  if (in.pay_now && order.total_minor > 0) {
    tasks.push_back(PaymentTry(peers_, gid, in.user_id, order.currency,
                               order.total_minor, txn_deadline, pay_req, paid));
  }
  tasks.push_back(TryTask{
      kOrderBranch, [&](Deadline, std::function<void(absl::Status)> done) {
        if (auto s = CheckOrderTryDeadline(txn_deadline); !s.ok()) {
          return done(s);
        }
        done(repo_.TryCreate(order, reason));
      }});
  results = RunTries(tasks, policy_, try_until, on_retry);
  if (auto failed = FirstFailure(results)) {
    return AbortAfter(gid, tasks[*failed].branch, results[*failed].status);
  }
  if (!in.pay_now) {
    spdlog::info(
        "event=order_reserved gid={} user={} total={} {} "
        "window_s={}",
        gid, in.user_id, order.total_minor, order.currency, window_s);
    return Load(gid);
  }
  // 4. pay_now: decide.
  return CommitAndLoad(gid, txn_deadline, client_deadline);
}

absl::StatusOr<OrderRecord> OrderFlow::Settle(const std::string& gid,
                                              v1::TxnState state) {
  if (state == v1::TXN_STATE_CONFIRMING) {
    // Wait (bounded) for the confirmation that is already decided.
    v1::CommitRequest commit;
    commit.set_gid(gid);
    commit.set_wait(true);
    (void)peers_.Commit(commit, Clock::now() + options_.rpc_timeout);
  }
  auto row = repo_.Get(gid);
  if (!row.ok()) return row.status();
  if (row->has_value()) return std::move(**row);
  if (state == v1::TXN_STATE_CONFIRMING || state == v1::TXN_STATE_CONFIRMED) {
    return Error(
        absl::StatusCode::kInternal, "ORDER_MISSING",
        absl::StrCat("transaction ", gid, " committed without its order row"));
  }
  return Error(absl::StatusCode::kAborted, "REQUEST_ABORTED",
               "an earlier attempt with this request_id was aborted; place "
               "the order again with a new request_id");
}

absl::Status OrderFlow::AbortAfter(const std::string& gid,
                                   const std::string& branch,
                                   const absl::Status& status) {
  const std::string reason = ReasonOf(status);
  Aborts()
      .Add({{"branch", branch}, {"reason", reason.empty() ? "OTHER" : reason}})
      .Increment();
  v1::AbortRequest abort;
  abort.set_gid(gid);
  abort.set_reason(v1::CANCEL_REASON_TRY_FAILED);
  abort.set_detail(
      Detail(absl::StrCat(branch, ": ", absl::StatusCodeToString(status.code()),
                          " ", reason, ": ", status.message())));
  abort.set_wait(false);
  // Best effort: if the coordinator cannot be reached the deadline cancels
  // the transaction anyway.
  auto aborted = Retry(policy_, Clock::now() + 3 * options_.rpc_timeout,
                       [&](Deadline d) { return peers_.Abort(abort, d); });
  spdlog::info(
      "event=order_aborted gid={} branch={} code={} reason={} "
      "abort_ok={}",
      gid, branch, absl::StatusCodeToString(status.code()), reason,
      aborted.ok());
  if (!aborted.ok()) {
    spdlog::warn("event=abort_failed gid={} error=\"{}\"", gid,
                 aborted.status().ToString());
  }
  return From(branch, status);
}

absl::StatusOr<OrderRecord> OrderFlow::CommitAndLoad(const std::string& gid,
                                                     Deadline txn_deadline,
                                                     Deadline client_deadline) {
  v1::CommitRequest commit;
  commit.set_gid(gid);
  commit.set_wait(true);
  // After the deadline Commit still answers definitively (ABORTED or the
  // earlier decision), so retry a little past it.
  const Deadline until =
      std::min({client_deadline, txn_deadline + options_.rpc_timeout,
                CoordinatorBudget()});
  auto committed = Retry(policy_, until,
                         [&](Deadline d) { return peers_.Commit(commit, d); });
  if (!committed.ok()) {
    const absl::Status& s = committed.status();
    spdlog::info("event=commit_refused gid={} error=\"{}\"", gid, s.ToString());
    if (IsRetryable(s)) {
      return Error(absl::StatusCode::kUnavailable, "COMMIT_UNKNOWN",
                   absl::StrCat("the outcome of order ", gid,
                                " is not known yet; retry with the same "
                                "request_id or read the order"));
    }
    if (s.code() == absl::StatusCode::kAborted) {
      const std::string reason = ReasonOf(s);
      return Error(absl::StatusCode::kAborted,
                   reason.empty() ? "TXN_ABORTED" : reason,
                   absl::StrCat("coordinator Commit: ", s.message()));
    }
    return From("coordinator Commit", s);
  }
  spdlog::info("event=order_committed gid={} state={}", gid,
               v1::TxnState_Name(committed->state()));
  return Load(gid);
}

std::optional<absl::Status> OrderFlow::ExplainClosed(const OrderRecord& order) {
  v1::GetTransactionRequest get;
  get.set_gid(order.order_id);
  auto txn = peers_.GetTransaction(get, Clock::now() + options_.rpc_timeout);
  v1::CancelReason why = v1::CANCEL_REASON_UNSPECIFIED;
  if (txn.ok()) {
    switch (txn->state()) {
      case v1::TXN_STATE_TRYING:
        return std::nullopt;
      case v1::TXN_STATE_CONFIRMING:
      case v1::TXN_STATE_CONFIRMED:
        return Refused("ALREADY_PAID", "the order is already paid");
      default:
        why = txn->cancel_reason();
    }
  } else if (Clock::now() >= FromMicros(order.expires_at_us)) {
    why = v1::CANCEL_REASON_DEADLINE;  // best guess without the coordinator
  } else {
    return std::nullopt;
  }
  switch (why) {
    case v1::CANCEL_REASON_DEADLINE:
      return Error(absl::StatusCode::kAborted, "ORDER_EXPIRED",
                   "the payment window has closed");
    case v1::CANCEL_REASON_USER:
      return Error(absl::StatusCode::kAborted, "ORDER_CANCELLED",
                   "the order was cancelled");
    default:
      return Error(absl::StatusCode::kAborted, "ORDER_FAILED",
                   "the order's transaction was aborted");
  }
}

namespace {

// FAILED_PRECONDITION for an order that PayOrder / CancelOrder cannot act on.
absl::Status NotOpen(const OrderRecord& order, const char* action) {
  switch (order.state) {
    case OrderState::kPaid:
      return Refused("ALREADY_PAID", "the order is already paid");
    case OrderState::kExpired:
      return Refused("ORDER_EXPIRED", "the order has expired");
    case OrderState::kCancelled:
      return Refused("ORDER_CANCELLED", "the order is cancelled");
    case OrderState::kFailed:
      return Refused("ORDER_FAILED", "the order failed");
    default:
      return Refused("ORDER_NOT_PENDING_PAYMENT",
                     absl::StrCat("a pay_now order cannot be ", action));
  }
}

}  // namespace

absl::StatusOr<OrderRecord> OrderFlow::PayOrder(const std::string& order_id,
                                                const std::string& user_id,
                                                Deadline client_deadline) {
  auto order = LoadOwned(order_id, user_id);
  if (!order.ok()) return order.status();
  if (order->state != OrderState::kPendingPayment) {
    return NotOpen(*order, "paid with PayOrder");
  }
  const std::string& gid = order->order_id;
  const GidScope gid_scope(gid);
  const Deadline txn_deadline = FromMicros(order->expires_at_us);
  if (Clock::now() >= txn_deadline) {
    return Error(absl::StatusCode::kAborted, "ORDER_EXPIRED",
                 "the payment window has closed");
  }
  const Deadline until = std::min(txn_deadline, client_deadline);
  // A free order has nothing to authorize: commit without a payment branch.
  if (order->total_minor > 0) {
    v1::RegisterBranchRequest reg;
    reg.set_gid(gid);
    reg.mutable_branch()->set_branch_id(kPaymentBranch);
    reg.mutable_branch()->set_participant(kPaymentBranch);
    auto registered =
        Retry(policy_, std::min(until, CoordinatorBudget()),
              [&](Deadline d) { return peers_.RegisterBranch(reg, d); });
    if (!registered.ok()) {
      if (registered.code() == absl::StatusCode::kAborted ||
          registered.code() == absl::StatusCode::kFailedPrecondition) {
        if (auto why = ExplainClosed(*order)) return *why;
      }
      return From("coordinator RegisterBranch", registered);
    }
    v1::AuthorizePaymentRequest pay_req;
    v1::AuthorizePaymentResponse paid;
    const std::vector<TryTask> tasks = {
        PaymentTry(peers_, gid, order->user_id, order->currency,
                   order->total_minor, txn_deadline, pay_req, paid)};
    auto results =
        RunTries(tasks, policy_, until,
                 [&gid](const std::string& branch, const absl::Status& status,
                        int attempt) {
                   TryRetries().Add({{"branch", branch}}).Increment();
                   spdlog::info(
                       "event=try_retry gid={} branch={} attempt={} "
                       "error=\"{}\"",
                       gid, branch, attempt, status.ToString());
                 });
    const absl::Status& s = results[0].status;
    if (!s.ok()) {
      // The transaction stays open: a later PayOrder may still succeed.
      spdlog::info("event=payment_refused gid={} code={} reason={}", gid,
                   absl::StatusCodeToString(s.code()), ReasonOf(s));
      if (s.code() == absl::StatusCode::kAborted) {
        if (auto why = ExplainClosed(*order)) return *why;
      }
      return From(kPaymentBranch, s);
    }
  }
  auto committed = CommitAndLoad(gid, txn_deadline, client_deadline);
  if (!committed.ok() &&
      committed.status().code() == absl::StatusCode::kAborted) {
    if (auto why = ExplainClosed(*order)) return *why;
    return Error(absl::StatusCode::kAborted, "ORDER_EXPIRED",
                 "the payment window has closed");
  }
  return committed;
}

absl::StatusOr<OrderRecord> OrderFlow::CancelOrder(const std::string& order_id,
                                                   const std::string& user_id,
                                                   Deadline client_deadline) {
  auto order = LoadOwned(order_id, user_id);
  if (!order.ok()) return order.status();
  if (order->state != OrderState::kPendingPayment) {
    return NotOpen(*order, "cancelled with CancelOrder");
  }
  const GidScope gid_scope(order->order_id);
  v1::AbortRequest abort;
  abort.set_gid(order->order_id);
  abort.set_reason(v1::CANCEL_REASON_USER);
  abort.set_detail("cancelled by the user");
  abort.set_wait(true);
  auto aborted = Retry(policy_, std::min(client_deadline, CoordinatorBudget()),
                       [&](Deadline d) { return peers_.Abort(abort, d); });
  if (!aborted.ok()) {
    if (aborted.status().code() == absl::StatusCode::kFailedPrecondition) {
      if (auto why = ExplainClosed(*order)) return *why;
    }
    return From("coordinator Abort", aborted.status());
  }
  spdlog::info("event=order_cancel_requested gid={} state={}", order->order_id,
               v1::TxnState_Name(aborted->state()));
  return Load(order->order_id);
}

}  // namespace turnstile::order
