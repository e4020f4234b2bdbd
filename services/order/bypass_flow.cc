#include "services/order/bypass_flow.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/common/uuid.h"
#include "services/order/branch_tries.h"

namespace turnstile::order {
namespace {

prometheus::Family<prometheus::Counter>& Outcomes() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_order_bypass_total")
                            .Help(
                                "pay_now orders placed WITHOUT the coordinator "
                                "(turnstile-order-bypass), by outcome")
                            .Register(Metrics());
  return family;
}

void Count(const char* outcome) {
  Outcomes().Add({{"outcome", outcome}}).Increment();
}

}  // namespace

BypassFlow::BypassFlow(Peers& peers, Phases& phases, OrderRepo& repo,
                       FlowOptions options, GatePrecheck* precheck)
    : peers_(peers),
      phases_(phases),
      repo_(repo),
      options_(options),
      policy_{options.backoff, options.rpc_timeout},
      precheck_(precheck) {}

absl::StatusOr<OrderRecord> BypassFlow::PlaceOrder(const PlaceOrderInput& in,
                                                   Deadline client_deadline) {
  if (!in.pay_now) {
    return InvalidArgument("the coordinator bypass handles pay_now only");
  }
  if (auto s = CheckBookingServed(in, options_.serve_booking_lines); !s.ok()) {
    return s;
  }
  if (precheck_ != nullptr) {
    if (auto s = precheck_->Check(in); !s.ok()) {
      Count("refused");
      return s;
    }
  }
  auto existing = repo_.FindByRequest(in.user_id, in.request_id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return **existing;

  const std::string gid = NewUuidV7();
  const Deadline txn_deadline = Clock::now() + options_.pay_now_timeout;
  const Deadline try_until = std::min(txn_deadline, client_deadline);
  const std::vector<std::string> branches = OrderBranches(in);

  // 1. Stock, seats and bookings in parallel.
  StockAndSeatTries first;
  BuildStockAndSeatTries(peers_, in, gid, txn_deadline, first);
  auto results = RunTries(first.tasks, policy_, try_until);
  if (auto failed = FirstFailure(results)) {
    return CancelAfter(gid, branches, first.tasks[*failed].branch,
                       results[*failed].status);
  }

  // 2. Price, then the order row and the payment in parallel.
  auto priced = PriceOrder(in, first.stock, first.seats, first.bookings);
  if (!priced.ok()) {
    return CancelAfter(gid, branches, "pricing", priced.status());
  }
  const OrderRecord order =
      NewOrderRecord(gid, in, *priced, OrderState::kPending, 0);
  v1::AuthorizePaymentRequest pay_req;
  v1::AuthorizePaymentResponse paid;
  std::vector<TryTask> tasks;
  if (order.total_minor > 0) {
    tasks.push_back(PaymentTry(peers_, gid, in.user_id, order.currency,
                               order.total_minor, txn_deadline, pay_req, paid));
  }
  tasks.push_back(TryTask{
      kOrderBranch, [&](Deadline, std::function<void(absl::Status)> done) {
        done(repo_.TryCreate(order,
                             "placed (pay_now, UNSAFE coordinator "
                             "bypass)"));
      }});
  results = RunTries(tasks, policy_, try_until);
  if (auto failed = FirstFailure(results)) {
    return CancelAfter(gid, branches, tasks[*failed].branch,
                       results[*failed].status);
  }

  // 3. Confirm everything directly: there is no decision record, so this
  // must simply not fail (it retries transient failures for a while).
  const Deadline until = Clock::now() + 5 * options_.rpc_timeout;
  if (auto s =
          Finish(gid, branches, true, v1::CANCEL_REASON_UNSPECIFIED, until);
      !s.ok()) {
    Count("confirm_failed");
    spdlog::error(
        "event=bypass_confirm_failed gid={} error=\"{}\" note=\"UNSAFE mode: "
        "nothing will finish this transaction\"",
        gid, s.ToString());
    return Error(
        absl::StatusCode::kUnavailable, "COMMIT_UNKNOWN",
        absl::StrCat("bypass confirm of ", gid, " failed: ", s.message()));
  }
  Count("paid");
  auto row = repo_.Get(gid);
  if (!row.ok()) return row.status();
  if (!row->has_value()) {
    return Error(absl::StatusCode::kInternal, "ORDER_MISSING",
                 absl::StrCat("order ", gid, " has no row"));
  }
  return std::move(**row);
}

absl::Status BypassFlow::Finish(const std::string& gid,
                                const std::vector<std::string>& branches,
                                bool confirm, v1::CancelReason reason,
                                Deadline until) {
  std::vector<TryTask> tasks;
  for (const std::string& branch : branches) {
    tasks.push_back(TryTask{
        branch, [this, &gid, branch, confirm, reason](
                    Deadline deadline, std::function<void(absl::Status)> done) {
          if (branch == kOrderBranch) {
            done(confirm ? repo_.ConfirmBranch(gid)
                         : repo_.CancelBranch(gid, reason));
          } else if (confirm) {
            phases_.Confirm(branch, gid, deadline,
                            [done](absl::StatusOr<v1::ConfirmResponse> r) {
                              done(r.status());
                            });
          } else {
            phases_.Cancel(branch, gid, reason, deadline,
                           [done](absl::StatusOr<v1::CancelResponse> r) {
                             done(r.status());
                           });
          }
        }});
  }
  auto results = RunTries(tasks, policy_, until);
  if (auto failed = FirstFailure(results)) {
    return FromBranch(tasks[*failed].branch, results[*failed].status);
  }
  return absl::OkStatus();
}

absl::Status BypassFlow::CancelAfter(const std::string& gid,
                                     const std::vector<std::string>& branches,
                                     const std::string& branch,
                                     const absl::Status& status) {
  Count("refused");
  // Cancel is safe on a branch whose Try never ran (empty rollback), so
  // every branch is cancelled, whatever got that far.
  const absl::Status cancelled =
      Finish(gid, branches, false, v1::CANCEL_REASON_TRY_FAILED,
             Clock::now() + 3 * options_.rpc_timeout);
  if (!cancelled.ok()) {
    spdlog::error(
        "event=bypass_cancel_failed gid={} error=\"{}\" note=\"UNSAFE mode: "
        "nothing will release this transaction\"",
        gid, cancelled.ToString());
  }
  return FromBranch(branch, status);
}

}  // namespace turnstile::order
