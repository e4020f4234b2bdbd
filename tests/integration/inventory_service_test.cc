// Integration tests of the inventory service: the real turnstile-inventory
// binary as a child process on a private PostgreSQL, called over gRPC/TCP.
// Every test gets a fresh database and process and checks the rows, not only
// the status codes: happy paths, the TCC barrier, business refusals, and bad
// input that must leave the database untouched.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "services/common/uuid.h"
#include "tests/support/inventory_harness.h"
#include "tests/support/mesh_test.h"
#include "tests/support/try_deadline.h"
#include "turnstile/v1/inventory.grpc.pb.h"

namespace turnstile {
namespace {

using testing::Outcome;
using testing::ReserveRequest;
using testing::SharedPg;
using testing::SharedRedis;
using testing::SkuRequest;
namespace v1 = turnstile::v1;

class InventoryServiceTest : public testing::InventoryHarness {
 protected:
  InventoryServiceTest() : InventoryHarness("inventory_svc", 40) {}

  void SetUp() override {
    InventoryHarness::SetUp();
    Start();
  }

  // Starts the binary on a fresh port and waits until it serves.
  void Start() {
    Launch({"--metrics_listen=", RedisFlag(), "--pg_pool_size=8"});
  }
};

constexpr auto OK = grpc::StatusCode::OK;

TEST_F(InventoryServiceTest, CreateGetAndListSkus) {
  v1::Sku sku;
  ASSERT_EQ(CreateSku(SkuRequest("tee", 10, 1999, 2), &sku).code, OK);
  EXPECT_EQ(sku.sku_id(), "tee");
  EXPECT_EQ(sku.name(), "Item tee");
  EXPECT_EQ(sku.price().currency(), "EUR");
  EXPECT_EQ(sku.price().minor_units(), 1999);
  EXPECT_EQ(sku.per_user_limit(), 2);
  EXPECT_EQ(sku.total(), 10);
  EXPECT_EQ(sku.available(), 10);
  EXPECT_EQ(sku.locked(), 0);
  EXPECT_EQ(sku.sold(), 0);
  EXPECT_EQ(Stock("tee"), "10/0/0/10");

  v1::Sku got;
  ASSERT_EQ(GetSku("tee", &got).code, OK);
  EXPECT_EQ(got.SerializeAsString(), sku.SerializeAsString());

  // A taken id is refused and the original is untouched.
  const std::string before = Snapshot();
  const Outcome again = CreateSku(SkuRequest("tee", 99, 1));
  EXPECT_EQ(again.code, grpc::StatusCode::ALREADY_EXISTS) << again;
  EXPECT_EQ(Snapshot(), before);

  EXPECT_EQ(GetSku("nope").code, grpc::StatusCode::NOT_FOUND);

  // Keyset paging in byte order of the id.
  for (const char* id : {"b", "a", "e", "C", "d"}) {
    ASSERT_EQ(CreateSku(SkuRequest(id, 1)).code, OK);
  }
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListSkusResponse page;
    ASSERT_EQ(List(2, token, &page).code, OK);
    ASSERT_LE(page.skus_size(), 2);
    for (const auto& s : page.skus()) seen.push_back(s.sku_id());
    token = page.next_page_token();
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"C", "a", "b", "d", "e", "tee"}));
  EXPECT_EQ(pages, 3);
  v1::ListSkusResponse all;
  ASSERT_EQ(List(0, "", &all).code, OK);
  EXPECT_EQ(all.skus_size(), 6);
  EXPECT_TRUE(all.next_page_token().empty());
  EXPECT_EQ(all.skus(5).total(), 10);
  v1::ListSkusResponse tail;
  ASSERT_EQ(List(10, "d", &tail).code, OK);
  ASSERT_EQ(tail.skus_size(), 2);
  EXPECT_EQ(tail.skus(0).sku_id(), "e");
}

TEST_F(InventoryServiceTest, TryThenConfirm) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10, 250)).code, OK);
  ASSERT_EQ(CreateSku(SkuRequest("b", 5, 1000)).code, OK);
  const std::string gid = NewUuidV7();
  v1::ReserveStockResponse response;
  // Given out of order on purpose.
  ASSERT_EQ(
      Reserve(ReserveRequest(gid, "alice", {{"b", 2}, {"a", 3}}), &response)
          .code,
      OK);
  ASSERT_EQ(response.items_size(), 2);
  EXPECT_EQ(response.items(0).sku_id(), "a");
  EXPECT_EQ(response.items(0).quantity(), 3);
  EXPECT_EQ(response.items(0).unit_price().minor_units(), 250);
  EXPECT_EQ(response.items(0).unit_price().currency(), "EUR");
  EXPECT_EQ(response.items(1).sku_id(), "b");
  EXPECT_EQ(response.total().minor_units(), 3 * 250 + 2 * 1000);
  EXPECT_EQ(response.total().currency(), "EUR");
  EXPECT_EQ(Stock("a"), "7/3/0/10");
  EXPECT_EQ(Stock("b"), "3/2/0/5");
  EXPECT_EQ(Reservations(gid), "a:LOCKED:3,b:LOCKED:2");
  EXPECT_EQ(Purchased("alice", "a"), 3);
  EXPECT_EQ(Barrier(gid), "try");
  v1::Sku sku;
  ASSERT_EQ(GetSku("a", &sku).code, OK);
  EXPECT_EQ(sku.locked(), 3);

  bool applied = false;
  ASSERT_EQ(Confirm(gid, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(Stock("a"), "7/0/3/10");
  EXPECT_EQ(Stock("b"), "3/0/2/5");
  EXPECT_EQ(Reservations(gid), "a:SOLD:3,b:SOLD:2");
  EXPECT_EQ(Purchased("alice", "a"), 3);  // bought units still count
  EXPECT_EQ(Barrier(gid), "confirm,try");
}

TEST_F(InventoryServiceTest, TryThenCancel) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10, 250, 5)).code, OK);
  const std::string gid = NewUuidV7();
  ASSERT_EQ(Reserve(ReserveRequest(gid, "bob", {{"a", 4}})).code, OK);
  EXPECT_EQ(Stock("a"), "6/4/0/10");
  EXPECT_EQ(Purchased("bob", "a"), 4);
  bool applied = false;
  ASSERT_EQ(Cancel(gid, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(Stock("a"), "10/0/0/10");
  EXPECT_EQ(Reservations(gid), "a:RELEASED:4");
  EXPECT_EQ(Purchased("bob", "a"), 0);
  EXPECT_EQ(Barrier(gid), "cancel,try");
  // The released units count for the limit no more.
  ASSERT_EQ(Reserve(ReserveRequest(NewUuidV7(), "bob", {{"a", 5}})).code, OK);
  EXPECT_EQ(Stock("a"), "5/5/0/10");
}

TEST_F(InventoryServiceTest, DuplicateTryReservesOnce) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10, 300)).code, OK);
  const std::string gid = NewUuidV7();
  v1::ReserveStockResponse first, second, third;
  ASSERT_EQ(Reserve(ReserveRequest(gid, "carol", {{"a", 2}}), &first).code, OK);
  ASSERT_EQ(Reserve(ReserveRequest(gid, "carol", {{"a", 2}}), &second).code,
            OK);
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  // A repeat asking for something else is refused and changes nothing:
  // other quantity, other items, other user.
  ASSERT_EQ(CreateSku(SkuRequest("b", 10, 100)).code, OK);
  const std::string before = Snapshot();
  for (const auto& other : {ReserveRequest(gid, "carol", {{"a", 7}}),
                            ReserveRequest(gid, "carol", {{"a", 2}, {"b", 1}}),
                            ReserveRequest(gid, "dave", {{"a", 2}})}) {
    const Outcome o = Reserve(other, &third);
    EXPECT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION) << o;
    EXPECT_EQ(o.reason, "TRY_MISMATCH");
  }
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Stock("b"), "10/0/0/10");
  EXPECT_EQ(second.total().minor_units(), 600);
  EXPECT_EQ(Stock("a"), "8/2/0/10");
  EXPECT_EQ(Reservations(gid), "a:LOCKED:2");
  EXPECT_EQ(Purchased("carol", "a"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier"), 1);
}

TEST_F(InventoryServiceTest, TryAfterItsDeadlineIsRefusedAndChangesNothing) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10, 300)).code, OK);
  const std::string before = Snapshot();
  v1::ReserveStockRequest late =
      ReserveRequest(NewUuidV7(), "carol", {{"a", 2}});
  testing::SetTryDeadline(late.mutable_deadline(), std::chrono::seconds(-5));
  const Outcome o = Reserve(late);
  EXPECT_EQ(o.code, grpc::StatusCode::ABORTED) << o;
  EXPECT_EQ(o.reason, "TXN_DEADLINE");
  v1::ReserveStockRequest bare =
      ReserveRequest(NewUuidV7(), "carol", {{"a", 2}});
  bare.clear_deadline();
  EXPECT_EQ(Reserve(bare).code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier"), 0);
  // In time: the deadline is stored on the reservation line.
  const std::string gid = NewUuidV7();
  ASSERT_EQ(Reserve(ReserveRequest(gid, "carol", {{"a", 2}})).code, OK);
  EXPECT_EQ(Count("SELECT count(*) FROM reservation WHERE deadline > now() + "
                  "interval '14 minutes'"),
            1);
}

TEST_F(InventoryServiceTest, DuplicateConfirmAndCancelApplyOnce) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10)).code, OK);
  const std::string sold = NewUuidV7(), released = NewUuidV7();
  ASSERT_EQ(Reserve(ReserveRequest(sold, "dan", {{"a", 3}})).code, OK);
  ASSERT_EQ(Reserve(ReserveRequest(released, "dan", {{"a", 2}})).code, OK);
  EXPECT_EQ(Stock("a"), "5/5/0/10");

  bool applied = false;
  ASSERT_EQ(Confirm(sold, &applied).code, OK);
  EXPECT_TRUE(applied);
  ASSERT_EQ(Confirm(sold, &applied).code, OK);
  EXPECT_FALSE(applied);
  ASSERT_EQ(Cancel(released, &applied).code, OK);
  EXPECT_TRUE(applied);
  ASSERT_EQ(Cancel(released, &applied).code, OK);
  EXPECT_FALSE(applied);
  EXPECT_EQ(Stock("a"), "7/0/3/10");
  EXPECT_EQ(Reservations(sold), "a:SOLD:3");
  EXPECT_EQ(Reservations(released), "a:RELEASED:2");
  EXPECT_EQ(Purchased("dan", "a"), 3);
  EXPECT_EQ(Barrier(sold), "confirm,try");
  EXPECT_EQ(Barrier(released), "cancel,try");
  // A repeated Try of either branch changes nothing: OK for the confirmed
  // one, ABORTED for the cancelled one.
  ASSERT_EQ(Reserve(ReserveRequest(sold, "dan", {{"a", 3}})).code, OK);
  EXPECT_EQ(Reserve(ReserveRequest(released, "dan", {{"a", 2}})).code,
            grpc::StatusCode::ABORTED);
  EXPECT_EQ(Stock("a"), "7/0/3/10");
}

TEST_F(InventoryServiceTest, CancelBeforeTryIsEmptyRollbackAndBlocksTry) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10, 100, 3)).code, OK);
  const std::string gid = NewUuidV7();
  const std::string before = Snapshot();
  bool applied = true;
  ASSERT_EQ(Cancel(gid, &applied).code, OK);
  EXPECT_FALSE(applied);
  EXPECT_EQ(Stock("a"), "10/0/0/10");
  EXPECT_EQ(Barrier(gid), "cancel,try");
  EXPECT_EQ(Reservations(gid), "");

  // The late (hanging) Try is refused and reserves nothing.
  const std::string after_cancel = Snapshot();
  const Outcome late = Reserve(ReserveRequest(gid, "erin", {{"a", 1}}));
  EXPECT_EQ(late.code, grpc::StatusCode::ABORTED) << late;
  EXPECT_EQ(late.reason, "BRANCH_CANCELLED");
  EXPECT_EQ(Snapshot(), after_cancel);
  EXPECT_EQ(Purchased("erin", "a"), -1);
  EXPECT_NE(before, after_cancel);  // only the two barrier rows differ
  EXPECT_EQ(Count("SELECT count(*) FROM tcc_barrier"), 2);
}

TEST_F(InventoryServiceTest, TryAfterCancelIsRefused) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10)).code, OK);
  const std::string gid = NewUuidV7();
  ASSERT_EQ(Reserve(ReserveRequest(gid, "finn", {{"a", 2}})).code, OK);
  ASSERT_EQ(Cancel(gid).code, OK);
  const std::string before = Snapshot();
  const Outcome again = Reserve(ReserveRequest(gid, "finn", {{"a", 2}}));
  EXPECT_EQ(again.code, grpc::StatusCode::ABORTED) << again;
  EXPECT_EQ(again.reason, "BRANCH_CANCELLED");
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Stock("a"), "10/0/0/10");
}

TEST_F(InventoryServiceTest, ConfirmWithoutTryIsRefusedVisibly) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10)).code, OK);
  const std::string gid = NewUuidV7();
  const std::string before = Snapshot();
  const Outcome outcome = Confirm(gid);
  EXPECT_EQ(outcome.code, grpc::StatusCode::FAILED_PRECONDITION) << outcome;
  EXPECT_EQ(outcome.reason, "BRANCH_NOT_TRIED");
  EXPECT_EQ(Snapshot(), before);  // not even a barrier row
  // And after a Cancel, a Confirm cannot sell what was released.
  ASSERT_EQ(Reserve(ReserveRequest(gid, "gus", {{"a", 1}})).code, OK);
  ASSERT_EQ(Cancel(gid).code, OK);
  EXPECT_EQ(Confirm(gid).code, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Stock("a"), "10/0/0/10");
  EXPECT_EQ(Reservations(gid), "a:RELEASED:1");
}

TEST_F(InventoryServiceTest, BranchesOfOneGidAreIndependent) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10)).code, OK);
  const std::string gid = NewUuidV7();
  ASSERT_EQ(Reserve(ReserveRequest(gid, "hal", {{"a", 1}}, "inv-1")).code, OK);
  ASSERT_EQ(Reserve(ReserveRequest(gid, "hal", {{"a", 2}}, "inv-2")).code, OK);
  ASSERT_EQ(Confirm(gid, nullptr, "inv-1").code, OK);
  ASSERT_EQ(Cancel(gid, nullptr, "inv-2").code, OK);
  EXPECT_EQ(Reservations(gid, "inv-1"), "a:SOLD:1");
  EXPECT_EQ(Reservations(gid, "inv-2"), "a:RELEASED:2");
  EXPECT_EQ(Stock("a"), "9/0/1/10");
}

TEST_F(InventoryServiceTest, SoldOutIsAllOrNothing) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10)).code, OK);
  ASSERT_EQ(CreateSku(SkuRequest("b", 1)).code, OK);
  const std::string before = Snapshot();
  const std::string gid = NewUuidV7();
  // "a" fits and is locked first, then "b" is short: both roll back.
  const Outcome outcome =
      Reserve(ReserveRequest(gid, "ivy", {{"a", 5}, {"b", 2}}));
  EXPECT_EQ(outcome.code, grpc::StatusCode::FAILED_PRECONDITION) << outcome;
  EXPECT_EQ(outcome.reason, "SOLD_OUT");
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Barrier(gid), "");  // the barrier row rolled back as well
  // The refused branch can still be cancelled (empty rollback).
  bool applied = true;
  ASSERT_EQ(Cancel(gid, &applied).code, OK);
  EXPECT_FALSE(applied);
  EXPECT_EQ(Stock("a"), "10/0/0/10");

  // Exactly the remaining stock can be reserved, then nothing more.
  ASSERT_EQ(Reserve(ReserveRequest(NewUuidV7(), "ivy", {{"a", 10}})).code, OK);
  const Outcome empty = Reserve(ReserveRequest(NewUuidV7(), "jo", {{"a", 1}}));
  EXPECT_EQ(empty.reason, "SOLD_OUT");
  EXPECT_EQ(Stock("a"), "0/10/0/10");
}

TEST_F(InventoryServiceTest, PerUserLimitAcrossTransactions) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 100, 100, 3)).code, OK);
  const std::string g1 = NewUuidV7(), g2 = NewUuidV7(), g3 = NewUuidV7();
  // Over the limit in one request, for a user with no purchases yet.
  std::string before = Snapshot();
  Outcome outcome = Reserve(ReserveRequest(g1, "kim", {{"a", 4}}));
  EXPECT_EQ(outcome.code, grpc::StatusCode::FAILED_PRECONDITION) << outcome;
  EXPECT_EQ(outcome.reason, "USER_LIMIT");
  EXPECT_EQ(Snapshot(), before);

  ASSERT_EQ(Reserve(ReserveRequest(g2, "kim", {{"a", 2}})).code, OK);
  // A second transaction of the same user would go over: refused.
  before = Snapshot();
  outcome = Reserve(ReserveRequest(g3, "kim", {{"a", 2}}));
  EXPECT_EQ(outcome.reason, "USER_LIMIT") << outcome;
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Purchased("kim", "a"), 2);
  // Another user is not affected; the same user may take up to the limit.
  ASSERT_EQ(Reserve(ReserveRequest(NewUuidV7(), "lee", {{"a", 3}})).code, OK);
  ASSERT_EQ(Reserve(ReserveRequest(g3, "kim", {{"a", 1}})).code, OK);
  EXPECT_EQ(Purchased("kim", "a"), 3);
  // Sold units still count after Confirm.
  ASSERT_EQ(Confirm(g2).code, OK);
  EXPECT_EQ(Reserve(ReserveRequest(NewUuidV7(), "kim", {{"a", 1}})).reason,
            "USER_LIMIT");
  EXPECT_EQ(Stock("a"), "94/4/2/100");
  EXPECT_EQ(Purchased("kim", "a"), 3);
}

TEST_F(InventoryServiceTest, UnknownSkuChangesNothing) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10)).code, OK);
  const std::string before = Snapshot();
  const Outcome outcome =
      Reserve(ReserveRequest(NewUuidV7(), "max", {{"a", 1}, {"zz", 1}}));
  EXPECT_EQ(outcome.code, grpc::StatusCode::NOT_FOUND) << outcome;
  EXPECT_EQ(outcome.reason, "SKU_NOT_FOUND");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(InventoryServiceTest, MixedCurrencyAndOverflowChangeNothing) {
  ASSERT_EQ(CreateSku(SkuRequest("eur", 10, 100, 0, "EUR")).code, OK);
  ASSERT_EQ(CreateSku(SkuRequest("usd", 10, 100, 0, "USD")).code, OK);
  std::vector<std::pair<std::string, int64_t>> huge;
  for (int i = 0; i < 10; ++i) {
    const std::string id = "big" + std::to_string(i);
    ASSERT_EQ(CreateSku(SkuRequest(id, 1'000'000, 1'000'000'000'000)).code, OK);
    huge.push_back({id, 1'000'000});
  }
  const std::string before = Snapshot();
  Outcome outcome =
      Reserve(ReserveRequest(NewUuidV7(), "ned", {{"eur", 1}, {"usd", 1}}));
  EXPECT_EQ(outcome.code, grpc::StatusCode::INVALID_ARGUMENT) << outcome;
  EXPECT_EQ(outcome.reason, "MIXED_CURRENCY");
  outcome = Reserve(ReserveRequest(NewUuidV7(), "ned", huge));
  EXPECT_EQ(outcome.code, grpc::StatusCode::INVALID_ARGUMENT) << outcome;
  EXPECT_EQ(outcome.reason, "AMOUNT_TOO_LARGE");
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(InventoryServiceTest, RestartKeepsStateAndMigratesOnce) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10)).code, OK);
  const std::string gid = NewUuidV7();
  ASSERT_EQ(Reserve(ReserveRequest(gid, "ola", {{"a", 4}})).code, OK);
  ASSERT_EQ(Stop(), 0);
  Start();
  ASSERT_FALSE(HasFatalFailure());
  // 0001_init and 0002_buckets, each applied once.
  EXPECT_EQ(Count("SELECT count(*) FROM schema_migrations"),
            testing::MigrationCount("inventory"));
  bool applied = false;
  ASSERT_EQ(Confirm(gid, &applied).code, OK);
  EXPECT_TRUE(applied);
  EXPECT_EQ(Stock("a"), "6/0/4/10");
}

// Every RPC with bad input: INVALID_ARGUMENT (or NOT_FOUND for well-formed
// unknown ids) and the database exactly as before.
TEST_F(InventoryServiceTest, BadInputChangesNothing) {
  ASSERT_EQ(CreateSku(SkuRequest("a", 10, 100, 2)).code, OK);
  const std::string live = NewUuidV7();
  ASSERT_EQ(Reserve(ReserveRequest(live, "pat", {{"a", 1}})).code, OK);
  const std::string before = Snapshot();
  constexpr auto kInvalid = grpc::StatusCode::INVALID_ARGUMENT;
  const std::string gid = NewUuidV7();

  struct Case {
    std::string name;
    std::function<Outcome()> call;
    grpc::StatusCode want;
  };
  auto sku = [](auto mutate) {
    v1::CreateSkuRequest r = SkuRequest("new", 10);
    mutate(r);
    return r;
  };
  auto reserve = [&](auto mutate) {
    v1::ReserveStockRequest r = ReserveRequest(gid, "pat", {{"a", 1}});
    mutate(r);
    return r;
  };
  using S = v1::CreateSkuRequest;
  using R = v1::ReserveStockRequest;
  std::vector<std::pair<std::string, v1::CreateSkuRequest>> skus = {
      {"empty id", sku([](S& r) { r.set_sku_id(""); })},
      {"long id", sku([](S& r) { r.set_sku_id(std::string(65, 'x')); })},
      {"bad id chars",
       sku([](S& r) { r.set_sku_id("a'; DROP TABLE sku;--"); })},
      {"empty name", sku([](S& r) { r.set_name(""); })},
      {"long name", sku([](S& r) { r.set_name(std::string(201, 'n')); })},
      {"no currency", sku([](S& r) { r.clear_price(); })},
      {"bad currency",
       sku([](S& r) { r.mutable_price()->set_currency("eu"); })},
      {"negative price",
       sku([](S& r) { r.mutable_price()->set_minor_units(-1); })},
      {"huge price", sku([](S& r) {
         r.mutable_price()->set_minor_units(1'000'000'000'001);
       })},
      {"negative stock", sku([](S& r) { r.set_stock(-1); })},
      {"huge stock", sku([](S& r) { r.set_stock(1'000'000'001); })},
      {"negative limit", sku([](S& r) { r.set_per_user_limit(-1); })},
      {"huge limit", sku([](S& r) { r.set_per_user_limit(1'000'001); })},
  };
  std::vector<std::pair<std::string, v1::ReserveStockRequest>> reserves = {
      {"no txn", reserve([](R& r) { r.clear_txn(); })},
      {"malformed gid", reserve([](R& r) { r.mutable_txn()->set_gid("123"); })},
      {"gid with junk", reserve([&](R& r) {
         r.mutable_txn()->set_gid(gid.substr(0, 35) + "z");
       })},
      {"empty branch",
       reserve([](R& r) { r.mutable_txn()->set_branch_id(""); })},
      {"bad branch",
       reserve([](R& r) { r.mutable_txn()->set_branch_id("Inv entory"); })},
      {"long branch", reserve([](R& r) {
         r.mutable_txn()->set_branch_id(std::string(65, 'b'));
       })},
      {"empty user", reserve([](R& r) { r.set_user_id(""); })},
      {"long user", reserve([](R& r) { r.set_user_id(std::string(65, 'u')); })},
      {"no items", reserve([](R& r) { r.clear_items(); })},
      {"too many items", reserve([](R& r) {
         r.clear_items();
         for (int i = 0; i < 51; ++i) {
           auto* item = r.add_items();
           item->set_sku_id("s" + std::to_string(i));
           item->set_quantity(1);
         }
       })},
      {"duplicate items", reserve([](R& r) {
         auto* item = r.add_items();
         item->set_sku_id("a");
         item->set_quantity(1);
       })},
      {"zero quantity",
       reserve([](R& r) { r.mutable_items(0)->set_quantity(0); })},
      {"negative quantity",
       reserve([](R& r) { r.mutable_items(0)->set_quantity(-3); })},
      {"huge quantity",
       reserve([](R& r) { r.mutable_items(0)->set_quantity(1'000'001); })},
      {"empty sku", reserve([](R& r) { r.mutable_items(0)->set_sku_id(""); })},
      {"sku with quote",
       reserve([](R& r) { r.mutable_items(0)->set_sku_id("a\",\"b"); })},
  };

  std::vector<Case> cases;
  for (const auto& [name, request] : skus) {
    cases.push_back({"CreateSku " + name,
                     [&, r = request] { return CreateSku(r); }, kInvalid});
  }
  for (const auto& [name, request] : reserves) {
    cases.push_back({"ReserveStock " + name,
                     [&, r = request] { return Reserve(r); }, kInvalid});
  }
  cases.push_back({"ReserveStock unknown sku",
                   [&] {
                     return Reserve(ReserveRequest(gid, "pat", {{"zz", 1}}));
                   },
                   grpc::StatusCode::NOT_FOUND});
  cases.push_back({"GetSku empty", [&] { return GetSku(""); }, kInvalid});
  cases.push_back(
      {"GetSku long", [&] { return GetSku(std::string(65, 'x')); }, kInvalid});
  cases.push_back(
      {"GetSku bad chars", [&] { return GetSku("a b"); }, kInvalid});
  cases.push_back({"GetSku unknown", [&] { return GetSku("zz"); },
                   grpc::StatusCode::NOT_FOUND});
  cases.push_back(
      {"ListSkus negative size", [&] { return List(-1, ""); }, kInvalid});
  cases.push_back(
      {"ListSkus huge size", [&] { return List(1001, ""); }, kInvalid});
  cases.push_back(
      {"ListSkus bad token", [&] { return List(10, "a b"); }, kInvalid});
  for (const auto& [name, g, b] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"empty gid", "", "inventory"},
           {"malformed gid", "not-a-uuid", "inventory"},
           {"empty branch", live, ""},
           {"bad branch", live, "INVENTORY"},
           {"long branch", live, std::string(65, 'b')}}) {
    cases.push_back({"Confirm " + name,
                     [&, g = g, b = b] { return Confirm(g, nullptr, b); },
                     kInvalid});
    cases.push_back({"Cancel " + name,
                     [&, g = g, b = b] { return Cancel(g, nullptr, b); },
                     kInvalid});
  }

  for (const Case& c : cases) {
    const Outcome outcome = c.call();
    EXPECT_EQ(outcome.code, c.want) << c.name << ": " << outcome;
    if (outcome.code == kInvalid) {
      EXPECT_EQ(outcome.reason, "INVALID_ARGUMENT") << c.name;
    }
    EXPECT_EQ(Snapshot(), before) << c.name;
  }
  // The live reservation is still intact and confirmable.
  EXPECT_EQ(Reservations(live), "a:LOCKED:1");
  ASSERT_EQ(Confirm(live).code, OK);
  EXPECT_EQ(Stock("a"), "9/0/1/10");
}

}  // namespace
}  // namespace turnstile
