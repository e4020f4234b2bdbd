// The small interfaces the order flows (order_flow.h, bypass_flow.h) run
// against, so that their step logic can be unit-tested with fakes: Peers (the
// coordinator and the participants' Try RPCs: inventory, seat, booking and
// payment; grpc_peers.h is the real one), OrderRepo (the order's own rows;
// store.h is the real one), Phases (second phases sent straight to a
// participant, for the unsafe coordinator-bypass measurement mode only) and
// StockGateReader (the Redis stock gate read by the sold-out pre-check,
// gate_precheck.h).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/order/model.h"
#include "turnstile/v1/booking.pb.h"
#include "turnstile/v1/coordinator.pb.h"
#include "turnstile/v1/inventory.pb.h"
#include "turnstile/v1/participant.pb.h"
#include "turnstile/v1/payment.pb.h"
#include "turnstile/v1/seat.pb.h"

namespace turnstile::order {

using Clock = std::chrono::system_clock;
using Deadline = Clock::time_point;

// Completion of an asynchronous call: runs exactly once, possibly on another
// thread (or inline), and must not block.
template <typename T>
using Done = std::function<void(absl::StatusOr<T>)>;

class Peers {
 public:
  virtual ~Peers() = default;

  // Coordinator calls block the caller until `deadline`.
  virtual absl::StatusOr<v1::BeginResponse> Begin(const v1::BeginRequest& req,
                                                  Deadline deadline) = 0;
  virtual absl::Status RegisterBranch(const v1::RegisterBranchRequest& req,
                                      Deadline deadline) = 0;
  virtual absl::StatusOr<v1::CommitResponse> Commit(
      const v1::CommitRequest& req, Deadline deadline) = 0;
  virtual absl::StatusOr<v1::AbortResponse> Abort(const v1::AbortRequest& req,
                                                  Deadline deadline) = 0;
  // Used only to explain why a transaction refused (paid, expired, ...).
  virtual absl::StatusOr<v1::Transaction> GetTransaction(
      const v1::GetTransactionRequest& req, Deadline deadline) = 0;

  // Try calls are asynchronous so that the flow runs them in parallel.
  virtual void ReserveStock(const v1::ReserveStockRequest& req,
                            Deadline deadline,
                            Done<v1::ReserveStockResponse> done) = 0;
  virtual void HoldSeats(const v1::HoldSeatsRequest& req, Deadline deadline,
                         Done<v1::HoldSeatsResponse> done) = 0;
  virtual void HoldBookings(const v1::HoldBookingsRequest& req,
                            Deadline deadline,
                            Done<v1::HoldBookingsResponse> done) = 0;
  virtual void AuthorizePayment(const v1::AuthorizePaymentRequest& req,
                                Deadline deadline,
                                Done<v1::AuthorizePaymentResponse> done) = 0;
};

class OrderRepo {
 public:
  virtual ~OrderRepo() = default;

  virtual absl::StatusOr<std::optional<OrderRecord>> FindByRequest(
      const std::string& user_id, const std::string& request_id) = 0;
  virtual absl::StatusOr<std::optional<OrderRecord>> Get(
      const std::string& order_id) = 0;
  // The order branch's Try (through the barrier): inserts the order, its
  // items and the first status-log row with `reason`. OK on a repeat;
  // ABORTED (BRANCH_CANCELLED) if the branch was already cancelled.
  virtual absl::Status TryCreate(const OrderRecord& order,
                                 const std::string& reason) = 0;

  // The order branch's own second phases, called directly only by the
  // coordinator-bypass mode (normally the coordinator calls them through
  // turnstile.v1.Participant). Default: UNIMPLEMENTED.
  virtual absl::Status ConfirmBranch(const std::string& gid) {
    return absl::UnimplementedError("ConfirmBranch");
  }
  virtual absl::Status CancelBranch(const std::string& gid,
                                    v1::CancelReason reason) {
    return absl::UnimplementedError("CancelBranch");
  }
};

// Participant.Confirm / Participant.Cancel of branch `participant` (its
// branch id is the participant name) of `gid`, sent straight to the
// participant. Only the unsafe coordinator-bypass mode uses this.
class Phases {
 public:
  virtual ~Phases() = default;

  virtual void Confirm(const std::string& participant, const std::string& gid,
                       Deadline deadline, Done<v1::ConfirmResponse> done) = 0;
  virtual void Cancel(const std::string& participant, const std::string& gid,
                      v1::CancelReason reason, Deadline deadline,
                      Done<v1::CancelResponse> done) = 0;
};

// The two reads of the Redis stock gate (lua/README.md, keys
// ts:{sku:<id>}:stock and :users) that the order service's sold-out
// pre-check needs. Transport failures are UNAVAILABLE.
class StockGateReader {
 public:
  virtual ~StockGateReader() = default;

  // Units the gate may still hand out; nullopt when the SKU has no gate
  // (never initialized, or Redis restarted empty).
  virtual absl::StatusOr<std::optional<int64_t>> Remaining(
      const std::string& sku_id) = 0;
  // Units the user holds or bought of the SKU according to the gate.
  virtual absl::StatusOr<int64_t> UserUnits(const std::string& sku_id,
                                            const std::string& user_id) = 0;
};

}  // namespace turnstile::order
