// The order service's sold-out pre-check (services/order/gate_precheck.h)
// against a fake stock gate: refuses SOLD_OUT only when the gate says fewer
// units are left than asked and the buyer holds none of the SKU; lets
// everything else through (no gate, possible repeat, Redis errors, seat-only
// orders); pauses after Redis is unreachable. OrderFlow consults it before
// anything else: a refused order reads and writes nothing (no request
// lookup, no Begin). Also the HGET reply parser of the Redis reader.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "services/common/status.h"
#include "services/order/gate_precheck.h"
#include "services/order/order_flow.h"
#include "services/order/redis_gate_reader.h"

namespace turnstile::order {
namespace {

using std::chrono::milliseconds;

class FakeGate : public StockGateReader {
 public:
  absl::StatusOr<std::optional<int64_t>> Remaining(
      const std::string& sku_id) override {
    std::lock_guard lock(mu);
    ++remaining_reads;
    if (!error.ok()) return error;
    auto it = remaining.find(sku_id);
    if (it == remaining.end()) return std::optional<int64_t>();
    return std::optional<int64_t>(it->second);
  }
  absl::StatusOr<int64_t> UserUnits(const std::string& sku_id,
                                    const std::string& user_id) override {
    std::lock_guard lock(mu);
    ++user_reads;
    if (!user_error.ok()) return user_error;
    auto it = users.find(sku_id + "/" + user_id);
    return it == users.end() ? 0 : it->second;
  }

  std::mutex mu;
  std::map<std::string, int64_t> remaining;
  std::map<std::string, int64_t> users;  // "sku/user" -> units
  absl::Status error;                    // Remaining fails with this
  absl::Status user_error;               // UserUnits fails with this
  int remaining_reads = 0;
  int user_reads = 0;
};

PlaceOrderInput Order(const std::string& user,
                      std::vector<std::pair<std::string, int64_t>> skus,
                      bool seat_line = false) {
  PlaceOrderInput in;
  in.user_id = user;
  in.request_id = "r1";
  in.pay_now = true;
  for (auto& [sku, qty] : skus) in.lines.push_back(LineInput{sku, qty, "", {}});
  if (seat_line) in.lines.push_back(LineInput{"", 1, "gig", {"A-1-1"}});
  return in;
}

absl::Status Down() {
  return Error(absl::StatusCode::kUnavailable, "REDIS_UNAVAILABLE",
               "connection refused");
}

TEST(GatePrecheck, PassesWhenEnoughUnitsAreLeft) {
  FakeGate gate;
  gate.remaining = {{"tee", 3}};
  GatePrecheck check(gate);
  PrecheckOutcome outcome;
  EXPECT_TRUE(check.Check(Order("ann", {{"tee", 3}}), &outcome).ok());
  EXPECT_EQ(outcome, PrecheckOutcome::kPass);
  EXPECT_EQ(gate.user_reads, 0);  // one read on the passing path
}

TEST(GatePrecheck, RefusesSoldOutWithReason) {
  FakeGate gate;
  gate.remaining = {{"tee", 0}};
  GatePrecheck check(gate);
  PrecheckOutcome outcome;
  absl::Status s = check.Check(Order("ann", {{"tee", 1}}), &outcome);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), "SOLD_OUT");
  EXPECT_NE(s.message().find("tee"), absl::string_view::npos);
  EXPECT_EQ(outcome, PrecheckOutcome::kSoldOut);
}

TEST(GatePrecheck, RefusesWhenFewerUnitsThanAskedAreLeft) {
  FakeGate gate;
  gate.remaining = {{"tee", 2}};
  GatePrecheck check(gate);
  EXPECT_EQ(ReasonOf(check.Check(Order("ann", {{"tee", 3}}))), "SOLD_OUT");
  EXPECT_TRUE(check.Check(Order("ann", {{"tee", 2}})).ok());
}

TEST(GatePrecheck, AnySoldOutLineRefusesTheOrder) {
  FakeGate gate;
  gate.remaining = {{"a", 10}, {"b", 0}};
  GatePrecheck check(gate);
  EXPECT_EQ(ReasonOf(check.Check(Order("ann", {{"a", 1}, {"b", 1}}))),
            "SOLD_OUT");
}

TEST(GatePrecheck, MissingGateLeavesTheDecisionToTheTry) {
  FakeGate gate;  // no keys: Redis restarted empty, or a SKU without gate
  GatePrecheck check(gate);
  PrecheckOutcome outcome;
  EXPECT_TRUE(check.Check(Order("ann", {{"tee", 1}}), &outcome).ok());
  EXPECT_EQ(outcome, PrecheckOutcome::kNoGate);
  // A later sold-out line still refuses.
  gate.remaining = {{"b", 0}};
  EXPECT_EQ(ReasonOf(check.Check(Order("ann", {{"tee", 1}, {"b", 1}}))),
            "SOLD_OUT");
}

TEST(GatePrecheck, BuyerWhoHoldsTheSkuMayBeRepeatingARequest) {
  FakeGate gate;
  gate.remaining = {{"tee", 0}};
  gate.users = {{"tee/ann", 1}};
  GatePrecheck check(gate);
  PrecheckOutcome outcome;
  EXPECT_TRUE(check.Check(Order("ann", {{"tee", 1}}), &outcome).ok());
  EXPECT_EQ(outcome, PrecheckOutcome::kPossibleRepeat);
  EXPECT_EQ(ReasonOf(check.Check(Order("bob", {{"tee", 1}}))), "SOLD_OUT");
}

TEST(GatePrecheck, SeatOnlyOrdersReadNothing) {
  FakeGate gate;
  GatePrecheck check(gate);
  EXPECT_TRUE(check.Check(Order("ann", {}, true)).ok());
  EXPECT_EQ(gate.remaining_reads, 0);
}

TEST(GatePrecheck, RedisDownSkipsAndPauses) {
  FakeGate gate;
  gate.remaining = {{"tee", 0}};
  gate.error = Down();
  GatePrecheck check(gate, PrecheckOptions{milliseconds(200)});
  PrecheckOutcome outcome;
  EXPECT_TRUE(check.Check(Order("ann", {{"tee", 1}}), &outcome).ok());
  EXPECT_EQ(outcome, PrecheckOutcome::kSkippedError);
  EXPECT_EQ(gate.remaining_reads, 1);
  // Paused: no read at all, the Try path decides.
  EXPECT_TRUE(check.Check(Order("bob", {{"tee", 1}}), &outcome).ok());
  EXPECT_EQ(outcome, PrecheckOutcome::kSkippedPaused);
  EXPECT_EQ(gate.remaining_reads, 1);
  // Redis back and the pause over: refuses again.
  gate.error = absl::OkStatus();
  std::this_thread::sleep_for(milliseconds(250));
  EXPECT_EQ(ReasonOf(check.Check(Order("cyd", {{"tee", 1}}), &outcome)),
            "SOLD_OUT");
  EXPECT_EQ(gate.remaining_reads, 2);
}

TEST(GatePrecheck, UserReadFailureSkips) {
  FakeGate gate;
  gate.remaining = {{"tee", 0}};
  gate.user_error = Down();
  GatePrecheck check(gate, PrecheckOptions{milliseconds(10000)});
  PrecheckOutcome outcome;
  EXPECT_TRUE(check.Check(Order("ann", {{"tee", 1}}), &outcome).ok());
  EXPECT_EQ(outcome, PrecheckOutcome::kSkippedError);
}

TEST(GatePrecheck, OtherErrorsSkipWithoutPausing) {
  FakeGate gate;
  gate.remaining = {{"tee", 0}};
  gate.error = Error(absl::StatusCode::kInternal, "REDIS_ERROR", "WRONGTYPE");
  GatePrecheck check(gate, PrecheckOptions{milliseconds(10000)});
  EXPECT_TRUE(check.Check(Order("ann", {{"tee", 1}})).ok());
  EXPECT_TRUE(check.Check(Order("ann", {{"tee", 1}})).ok());
  EXPECT_EQ(gate.remaining_reads, 2);
}

TEST(GatePrecheck, SoldOutReadingIsReusedBriefly) {
  FakeGate gate;
  gate.remaining = {{"tee", 0}};
  GatePrecheck check(gate,
                     PrecheckOptions{milliseconds(1000), milliseconds(300)});
  EXPECT_EQ(ReasonOf(check.Check(Order("ann", {{"tee", 1}}))), "SOLD_OUT");
  EXPECT_EQ(gate.remaining_reads, 1);
  // Losers now cost one read each: their own units only.
  EXPECT_EQ(ReasonOf(check.Check(Order("bob", {{"tee", 1}}))), "SOLD_OUT");
  EXPECT_EQ(ReasonOf(check.Check(Order("cyd", {{"tee", 1}}))), "SOLD_OUT");
  EXPECT_EQ(gate.remaining_reads, 1);
  EXPECT_EQ(gate.user_reads, 3);
  // The repeat check still reads the buyer's units.
  gate.users = {{"tee/dan", 1}};
  EXPECT_TRUE(check.Check(Order("dan", {{"tee", 1}})).ok());
  // A unit released: visible once the reading is stale.
  gate.remaining = {{"tee", 1}};
  EXPECT_EQ(ReasonOf(check.Check(Order("eve", {{"tee", 1}}))), "SOLD_OUT");
  std::this_thread::sleep_for(milliseconds(350));
  EXPECT_TRUE(check.Check(Order("eve", {{"tee", 1}})).ok());
  EXPECT_EQ(gate.remaining_reads, 2);
  // Other SKUs are not affected by the reading.
  gate.remaining["cap"] = 5;
  EXPECT_TRUE(check.Check(Order("eve", {{"cap", 1}})).ok());
}

TEST(GatePrecheck, BusySaleStillRereadsAfterTheCachePeriod) {
  FakeGate gate;
  gate.remaining = {{"tee", 0}};
  GatePrecheck check(gate,
                     PrecheckOptions{milliseconds(1000), milliseconds(200)});
  EXPECT_EQ(ReasonOf(check.Check(Order("ann", {{"tee", 1}}))), "SOLD_OUT");
  gate.remaining = {{"tee", 1}};  // a unit released
  // Losers keep arriving faster than the cache period; the cached reading
  // must still age out (it once refreshed itself on every refusal).
  bool passed = false;
  for (int i = 0; i < 20 && !passed; ++i) {
    passed = check.Check(Order("u" + std::to_string(i), {{"tee", 1}})).ok();
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(passed);
  EXPECT_EQ(gate.remaining_reads, 2);
}

TEST(GatePrecheck, CachedReadingStillComparesQuantities) {
  FakeGate gate;
  gate.remaining = {{"tee", 2}};
  GatePrecheck check(gate,
                     PrecheckOptions{milliseconds(1000), milliseconds(10000)});
  EXPECT_EQ(ReasonOf(check.Check(Order("ann", {{"tee", 3}}))), "SOLD_OUT");
  EXPECT_TRUE(check.Check(Order("bob", {{"tee", 2}})).ok());
  EXPECT_EQ(gate.remaining_reads, 1);
}

TEST(GatePrecheck, NoCacheReadsEveryTime) {
  FakeGate gate;
  gate.remaining = {{"tee", 0}};
  GatePrecheck check(gate,
                     PrecheckOptions{milliseconds(1000), milliseconds(0)});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ReasonOf(check.Check(Order("ann", {{"tee", 1}}))), "SOLD_OUT");
  }
  EXPECT_EQ(gate.remaining_reads, 3);
}

// Peers and repository that only count: a refused order must touch neither.
class CountingPeers : public Peers {
 public:
  absl::StatusOr<v1::BeginResponse> Begin(const v1::BeginRequest&,
                                          Deadline) override {
    ++begins;
    return absl::UnavailableError("coordinator down");
  }
  absl::Status RegisterBranch(const v1::RegisterBranchRequest&,
                              Deadline) override {
    ++other;
    return absl::UnavailableError("down");
  }
  absl::StatusOr<v1::CommitResponse> Commit(const v1::CommitRequest&,
                                            Deadline) override {
    ++other;
    return absl::UnavailableError("down");
  }
  absl::StatusOr<v1::AbortResponse> Abort(const v1::AbortRequest&,
                                          Deadline) override {
    ++other;
    return absl::UnavailableError("down");
  }
  absl::StatusOr<v1::Transaction> GetTransaction(
      const v1::GetTransactionRequest&, Deadline) override {
    ++other;
    return absl::UnavailableError("down");
  }
  void ReserveStock(const v1::ReserveStockRequest&, Deadline,
                    Done<v1::ReserveStockResponse> done) override {
    ++other;
    done(absl::UnavailableError("down"));
  }
  void HoldSeats(const v1::HoldSeatsRequest&, Deadline,
                 Done<v1::HoldSeatsResponse> done) override {
    ++other;
    done(absl::UnavailableError("down"));
  }
  void HoldBookings(const v1::HoldBookingsRequest&, Deadline,
                    Done<v1::HoldBookingsResponse> done) override {
    ++other;
    done(absl::UnavailableError("down"));
  }
  void AuthorizePayment(const v1::AuthorizePaymentRequest&, Deadline,
                        Done<v1::AuthorizePaymentResponse> done) override {
    ++other;
    done(absl::UnavailableError("down"));
  }
  int begins = 0;
  int other = 0;
};

class CountingRepo : public OrderRepo {
 public:
  absl::StatusOr<std::optional<OrderRecord>> FindByRequest(
      const std::string&, const std::string&) override {
    ++lookups;
    return std::optional<OrderRecord>();
  }
  absl::StatusOr<std::optional<OrderRecord>> Get(const std::string&) override {
    ++lookups;
    return std::optional<OrderRecord>();
  }
  absl::Status TryCreate(const OrderRecord&, const std::string&) override {
    ++writes;
    return absl::OkStatus();
  }
  int lookups = 0;
  int writes = 0;
};

FlowOptions Fast() {
  FlowOptions options;
  options.rpc_timeout = milliseconds(20);
  options.backoff = {milliseconds(1), milliseconds(2)};
  return options;
}

TEST(OrderFlowPrecheck, SoldOutOrderTouchesNothing) {
  spdlog::set_level(spdlog::level::warn);
  FakeGate gate;
  gate.remaining = {{"tee", 0}};
  GatePrecheck check(gate);
  CountingPeers peers;
  CountingRepo repo;
  OrderFlow flow(peers, repo, Fast(), &check);
  auto placed = flow.PlaceOrder(Order("ann", {{"tee", 1}}),
                                Clock::now() + std::chrono::seconds(5));
  ASSERT_FALSE(placed.ok());
  EXPECT_EQ(placed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(placed.status()), "SOLD_OUT");
  EXPECT_EQ(peers.begins, 0);
  EXPECT_EQ(peers.other, 0);
  EXPECT_EQ(repo.lookups, 0);
  EXPECT_EQ(repo.writes, 0);
}

TEST(OrderFlowPrecheck, PassingOrderGoesOnToBegin) {
  FakeGate gate;
  gate.remaining = {{"tee", 5}};
  GatePrecheck check(gate);
  CountingPeers peers;
  CountingRepo repo;
  OrderFlow flow(peers, repo, Fast(), &check);
  auto placed = flow.PlaceOrder(Order("ann", {{"tee", 1}}),
                                Clock::now() + std::chrono::seconds(5));
  EXPECT_FALSE(placed.ok());  // the coordinator is "down"
  EXPECT_EQ(repo.lookups, 1);
  EXPECT_GE(peers.begins, 1);
}

TEST(OrderFlowPrecheck, WithoutPrecheckTheSoldOutOrderReachesBegin) {
  CountingPeers peers;
  CountingRepo repo;
  OrderFlow flow(peers, repo, Fast());
  (void)flow.PlaceOrder(Order("ann", {{"tee", 1}}),
                        Clock::now() + std::chrono::seconds(5));
  EXPECT_GE(peers.begins, 1);
}

// --- the HGET reply parser -------------------------------------------------

redisReply Reply(int type, const char* str = nullptr, long long integer = 0) {
  redisReply r{};
  r.type = type;
  r.integer = integer;
  r.str = const_cast<char*>(str);
  r.len = str ? std::strlen(str) : 0;
  return r;
}

TEST(RedisGateReader, ParsesHgetReplies) {
  auto nil = ParseHgetInt(Reply(REDIS_REPLY_NIL));
  ASSERT_TRUE(nil.ok());
  EXPECT_FALSE(nil->has_value());
  auto num = ParseHgetInt(Reply(REDIS_REPLY_STRING, "1234"));
  ASSERT_TRUE(num.ok());
  EXPECT_EQ(**num, 1234);
  auto zero = ParseHgetInt(Reply(REDIS_REPLY_STRING, "0"));
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(**zero, 0);
  auto integer = ParseHgetInt(Reply(REDIS_REPLY_INTEGER, nullptr, 7));
  ASSERT_TRUE(integer.ok());
  EXPECT_EQ(**integer, 7);
  EXPECT_EQ(ParseHgetInt(Reply(REDIS_REPLY_STRING, "12x")).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(ParseHgetInt(Reply(REDIS_REPLY_STRING, "")).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(ParseHgetInt(Reply(REDIS_REPLY_ARRAY)).status().code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace turnstile::order
