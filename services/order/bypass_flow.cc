#include "services/order/bypass_flow.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "services/common/process.h"
#include "services/common/status.h"
#include "services/common/uuid.h"

namespace turnstile::order {
namespace {

constexpr char kInventory[] = "inventory";
constexpr char kSeat[] = "seat";
constexpr char kPayment[] = "payment";

prometheus::Family<prometheus::Counter>& Outcomes() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_order_bypass_total")
                            .Help(
                                "pay_now orders placed WITHOUT the coordinator "
                                "(--unsafe_bypass_coordinator), by outcome")
                            .Register(Metrics());
  return family;
}

void Count(const char* outcome) {
  Outcomes().Add({{"outcome", outcome}}).Increment();
}

void SetTxn(v1::TxnRef* txn, const std::string& gid, const char* branch) {
  txn->set_gid(gid);
  txn->set_branch_id(branch);
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
  if (precheck_ != nullptr) {
    if (auto s = precheck_->Check(in); !s.ok()) {
      Count("refused");
      return s;
    }
  }
  auto existing = repo_.FindByRequest(in.user_id, in.request_id);
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) return **existing;

  bool has_stock = false, has_seat = false;
  for (const auto& line : in.lines) {
    (line.is_seat() ? has_seat : has_stock) = true;
  }
  const std::string gid = NewUuidV7();
  const Deadline txn_deadline = Clock::now() + options_.pay_now_timeout;
  const Deadline try_until = std::min(txn_deadline, client_deadline);
  std::vector<std::string> branches = {kOrderBranch};
  if (has_stock) branches.push_back(kInventory);
  if (has_seat) branches.push_back(kSeat);
  branches.push_back(kPayment);

  // 1. Stock and seats in parallel.
  v1::ReserveStockRequest stock_req;
  v1::HoldSeatsRequest seat_req;
  v1::ReserveStockResponse stock;
  v1::HoldSeatsResponse seats;
  std::vector<TryTask> tasks;
  if (has_stock) {
    SetTxn(stock_req.mutable_txn(), gid, kInventory);
    stock_req.set_user_id(in.user_id);
    for (const auto& line : in.lines) {
      if (line.is_seat()) continue;
      auto* item = stock_req.add_items();
      item->set_sku_id(line.sku_id);
      item->set_quantity(line.quantity);
    }
    tasks.push_back(
        MakeTryTask(kInventory, stock_req, stock,
                    [this](auto&&... a) { peers_.ReserveStock(a...); }));
  }
  if (has_seat) {
    SetTxn(seat_req.mutable_txn(), gid, kSeat);
    seat_req.set_user_id(in.user_id);
    for (const auto& line : in.lines) {
      if (!line.is_seat()) continue;
      seat_req.set_event_id(line.event_id);
      for (const auto& seat : line.seat_ids) seat_req.add_seat_ids(seat);
    }
    SetTryDeadline(seat_req, txn_deadline);
    tasks.push_back(MakeTryTask(kSeat, seat_req, seats, [this](auto&&... a) {
      peers_.HoldSeats(a...);
    }));
  }
  auto results = RunTries(tasks, policy_, try_until);
  if (auto failed = FirstFailure(results)) {
    return CancelAfter(gid, branches, tasks[*failed].branch,
                       results[*failed].status);
  }

  // 2. Price, then the order row and the payment in parallel.
  auto priced = PriceOrder(in, stock, seats);
  if (!priced.ok()) {
    return CancelAfter(gid, branches, "pricing", priced.status());
  }
  OrderRecord order;
  order.order_id = gid;
  order.user_id = in.user_id;
  order.request_id = in.request_id;
  order.state = OrderState::kPending;
  order.pay_now = true;
  order.total_minor = priced->total_minor;
  order.currency = priced->currency;
  order.items = priced->items;
  v1::AuthorizePaymentRequest pay_req;
  v1::AuthorizePaymentResponse paid;
  tasks.clear();
  if (order.total_minor > 0) {
    SetTxn(pay_req.mutable_txn(), gid, kPayment);
    pay_req.set_user_id(in.user_id);
    pay_req.mutable_amount()->set_currency(order.currency);
    pay_req.mutable_amount()->set_minor_units(order.total_minor);
    tasks.push_back(MakeTryTask(kPayment, pay_req, paid, [this](auto&&... a) {
      peers_.AuthorizePayment(a...);
    }));
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
