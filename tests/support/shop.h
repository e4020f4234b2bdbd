// Client-side helpers for tests over the whole mesh: create a catalog, fund
// wallets, place/pay/cancel orders, wait for states, check the invariants of
// DESIGN.md §4 with the same checker turnstilectl uses.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/mesh.h"
#include "tools/invariants.h"
#include "turnstile/v1/coordinator.grpc.pb.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/order.grpc.pb.h"
#include "turnstile/v1/payment.grpc.pb.h"
#include "turnstile/v1/seat.grpc.pb.h"

namespace turnstile::testing {

class Shop {
 public:
  explicit Shop(Mesh& mesh);

  void CreateSku(const std::string& id, int64_t stock, int limit = 0,
                 int64_t price = 1000);
  // Section "A" with rows x seats_per_row seats "A-<row>-<n>".
  void CreateEvent(const std::string& id, int rows, int seats_per_row,
                   int64_t price = 2000);
  void Deposit(const std::string& user, int64_t amount);

  grpc::Status PlaceStock(const std::string& user,
                          const std::string& request_id, const std::string& sku,
                          int64_t quantity, bool pay_now,
                          v1::OrderInfo* out = nullptr, int window_s = 0);
  grpc::Status PlaceSeats(const std::string& user,
                          const std::string& request_id,
                          const std::string& event,
                          const std::vector<std::string>& seats, bool pay_now,
                          v1::OrderInfo* out = nullptr);
  grpc::Status Place(const std::string& user, const v1::PlaceOrderRequest& req,
                     v1::OrderInfo* out = nullptr);
  grpc::Status Pay(const std::string& order_id, const std::string& user,
                   v1::OrderInfo* out = nullptr);
  grpc::Status Cancel(const std::string& order_id, const std::string& user,
                      v1::OrderInfo* out = nullptr);

  v1::OrderInfo GetOrder(const std::string& id);
  v1::Sku GetSku(const std::string& id);
  v1::SeatMap GetSeatMap(const std::string& event);
  // Wallet (zero wallet if none).
  v1::Wallet GetWallet(const std::string& user);
  v1::Transaction GetTxn(const std::string& gid);

  // Polls until the order/transaction reaches `state` or the timeout passes.
  bool WaitOrder(const std::string& id, v1::OrderState state,
                 std::chrono::milliseconds timeout);
  bool WaitTxn(const std::string& gid, v1::TxnState state,
               std::chrono::milliseconds timeout);

  // Runs the invariant checker (retrying up to `settle` while background
  // confirms/cancels finish); returns "" if all hold, else the report.
  std::string Violations(
      std::chrono::milliseconds settle = std::chrono::seconds(15));

  // Stubs as turnstilectl (operator calls and catalogue reads)...
  v1::Inventory::Stub& inventory() { return *inventory_; }
  v1::Seat::Stub& seat() { return *seat_; }
  v1::Payment::Stub& payment() { return *payment_; }
  v1::Coordinator::Stub& coordinator() { return *coordinator_; }
  v1::Order::Stub& order_admin() { return *order_admin_; }
  // ...and as loadgen, for buyer calls with BuyerCtx(user).
  v1::Order::Stub& order() { return *order_; }
  v1::Payment::Stub& payment_buyer() { return *payment_buyer_; }
  tools::Databases databases() const;

 private:
  Mesh& mesh_;
  std::unique_ptr<v1::Inventory::Stub> inventory_;
  std::unique_ptr<v1::Seat::Stub> seat_;
  std::unique_ptr<v1::Payment::Stub> payment_;
  std::unique_ptr<v1::Payment::Stub> payment_buyer_;
  std::unique_ptr<v1::Order::Stub> order_;
  std::unique_ptr<v1::Order::Stub> order_admin_;
  std::unique_ptr<v1::Coordinator::Stub> coordinator_;
};

// A context with a deadline `ms` from now.
std::unique_ptr<grpc::ClientContext> Ctx(int ms = 10000);
// The same, acting for end user `user` (send it over a loadgen channel).
std::unique_ptr<grpc::ClientContext> BuyerCtx(const std::string& user,
                                              int ms = 10000);

}  // namespace turnstile::testing
