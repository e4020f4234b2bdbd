// The Tries of an order's participant branches (inventory, seat, booking,
// payment),
// built the same way by the coordinated flow (order_flow.cc) and the
// coordinator-bypass flow (bypass_flow.cc), and the order row both write.
#pragma once

#include <string>
#include <vector>

#include "services/order/fanout.h"
#include "services/order/flow_ports.h"
#include "services/order/model.h"
#include "services/order/order_flow.h"
#include "services/order/validation.h"

namespace turnstile::order {

inline constexpr char kInventoryBranch[] = "inventory";
inline constexpr char kSeatBranch[] = "seat";
// Range bookings (net-cafe slots, train legs): the turnstile-booking
// participant; one branch per transaction, hence one booking line per order.
inline constexpr char kBookingBranch[] = "booking";
inline constexpr char kPaymentBranch[] = "payment";

// The branches of an order's transaction: "order", then "inventory",
// "seat" and/or "booking" as its lines need, then "payment" for pay_now.
std::vector<std::string> OrderBranches(const PlaceOrderInput& in);

// INVALID_ARGUMENT naming the line if `in` has a booking line and this
// order service serves none (`served` false: no --booking address).
absl::Status CheckBookingServed(const PlaceOrderInput& in, bool served);

// The first step of an order: its stock, seat and booking Tries (whichever
// its lines need), as fan-out tasks that write the answers into this struct.
// The tasks point into it: keep it in place until RunTries returns.
struct StockAndSeatTries {
  v1::ReserveStockRequest stock_req;
  v1::HoldSeatsRequest seat_req;
  v1::HoldBookingsRequest booking_req;
  v1::ReserveStockResponse stock;
  v1::HoldSeatsResponse seats;
  v1::HoldBookingsResponse bookings;
  std::vector<TryTask> tasks;
};

// Fills `out` for transaction `gid`; every Try carries `txn_deadline` (the
// participants refuse it after that) and the caller's user id (in.user_id,
// never a request field).
void BuildStockAndSeatTries(Peers& peers, const PlaceOrderInput& in,
                            const std::string& gid, Deadline txn_deadline,
                            StockAndSeatTries& out);

// The payment Try freezing `total_minor` of `currency` from `user_id`'s
// wallet, refused by payment after `txn_deadline`; `req` and `resp` must
// outlive RunTries.
TryTask PaymentTry(Peers& peers, const std::string& gid,
                   const std::string& user_id, const std::string& currency,
                   int64_t total_minor, Deadline txn_deadline,
                   v1::AuthorizePaymentRequest& req,
                   v1::AuthorizePaymentResponse& resp);

// The order branch's own Try is local: the same deadline rule as the
// participants' (services/common/try_deadline.h), ABORTED (TXN_DEADLINE)
// once `txn_deadline` has passed.
absl::Status CheckOrderTryDeadline(Deadline txn_deadline);

// The order row of transaction `gid` as priced from the first step's
// answers, with its booking line as asked (booked_items.h).
OrderRecord NewOrderRecord(const std::string& gid, const PlaceOrderInput& in,
                           const PricedOrder& priced, OrderState state,
                           int64_t expires_at_us);

}  // namespace turnstile::order
