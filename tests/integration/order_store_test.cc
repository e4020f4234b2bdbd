// The order store (services/order/store.h) on a real PostgreSQL: the order
// branch's Try through the barrier (rows, items, first log row; repeats;
// Try after Cancel), reads, keyset paging with ties, and the second phases
// under concurrency, each checked on the tables.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "services/common/migrate.h"
#include "services/common/status.h"
#include "services/common/time_util.h"
#include "services/common/uuid.h"
#include "services/order/store.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_process.h"

namespace turnstile::order {
namespace {

using turnstile::testing::SharedPg;

class OrderStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::TestDatabaseName("ostore");
    SharedPg().CreateDatabase(db_, "order");
    auto migrated =
        Migrate(SharedPg().OwnerConninfo(db_, "order"), MigrationDir("order"));
    ASSERT_TRUE(migrated.ok()) << migrated.status();
    ASSERT_EQ(*migrated, testing::MigrationCount("order"));
    pool_ = std::make_unique<PgPool>(SharedPg().OwnerConninfo(db_, "order"), 8,
                                     &OrderStore::Prepare);
    store_ = std::make_unique<OrderStore>(*pool_);
  }

  std::string Q(const std::string& sql) { return SharedPg().Query(db_, sql); }
  int64_t N(const std::string& sql) { return std::stoll(Q(sql)); }

  static OrderRecord Order(const std::string& user, const std::string& req,
                           OrderState state = OrderState::kPendingPayment) {
    OrderRecord o;
    o.order_id = NewUuidV7();
    o.user_id = user;
    o.request_id = req;
    o.state = state;
    o.pay_now = state == OrderState::kPending;
    o.currency = "EUR";
    o.expires_at_us = o.pay_now ? 0 : 1'900'000'000'123'456;
    o.items = {{"sku", "sku-a", "", "", 3, 100},
               {"seat", "", "ev-1", "A-1-2", 1, 2500},
               {"seat", "", "ev-1", "A-1-1", 1, 2500}};
    o.total_minor = 5300;
    return o;
  }

  std::string db_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<OrderStore> store_;
};

TEST_F(OrderStoreTest, TryCreateWritesOrderItemsLogAndBarrierOnce) {
  const OrderRecord o = Order("u1", "r1");
  ASSERT_TRUE(store_->TryCreate(o, "placed (payment window 900s)").ok());
  const std::string id = "'" + o.order_id + "'";
  EXPECT_EQ(Q("SELECT user_id || '/' || request_id || '/' || state || '/' || "
              "pay_now || '/' || total_minor || '/' || currency FROM orders"),
            "u1/r1/PENDING_PAYMENT/false/5300/EUR");
  EXPECT_EQ(Q("SELECT " TS_MICROS("expires_at") " FROM orders"),
            "1900000000123456");
  EXPECT_EQ(Q("SELECT string_agg(line_no || ':' || kind || ':' || "
              "coalesce(sku_id, '-') || ':' || coalesce(event_id, '-') || ':' "
              "|| coalesce(seat_id, '-') || ':' || quantity || ':' || "
              "unit_price_minor, ',' ORDER BY line_no) FROM order_item"),
            "1:sku:sku-a:-:-:3:100,2:seat:-:ev-1:A-1-2:1:2500,"
            "3:seat:-:ev-1:A-1-1:1:2500");
  EXPECT_EQ(Q("SELECT coalesce(from_state, 'NULL') || '>' || to_state || '/' "
              "|| reason FROM order_status_log"),
            "NULL>PENDING_PAYMENT/placed (payment window 900s)");
  EXPECT_EQ(
      Q("SELECT branch_id || '/' || phase FROM tcc_barrier WHERE gid = " + id),
      "order/try");

  // A repeat changes nothing.
  ASSERT_TRUE(store_->TryCreate(o, "again").ok());
  EXPECT_EQ(N("SELECT count(*) FROM orders"), 1);
  EXPECT_EQ(N("SELECT count(*) FROM order_item"), 3);
  EXPECT_EQ(N("SELECT count(*) FROM order_status_log"), 1);
  EXPECT_EQ(N("SELECT count(*) FROM tcc_barrier"), 1);
}

TEST_F(OrderStoreTest, ReadsBackExactlyWhatWasWritten) {
  OrderRecord o = Order("u1", "r1");
  ASSERT_TRUE(store_->TryCreate(o, "placed").ok());
  auto got = store_->Get(o.order_id);
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  const OrderRecord& r = **got;
  EXPECT_EQ(r.order_id, o.order_id);
  EXPECT_EQ(r.user_id, "u1");
  EXPECT_EQ(r.request_id, "r1");
  EXPECT_EQ(r.state, OrderState::kPendingPayment);
  EXPECT_FALSE(r.pay_now);
  EXPECT_EQ(r.total_minor, 5300);
  EXPECT_EQ(r.currency, "EUR");
  EXPECT_EQ(r.expires_at_us, o.expires_at_us);
  EXPECT_GT(r.created_at_us, 1'700'000'000'000'000);
  EXPECT_EQ(r.updated_at_us, r.created_at_us);
  EXPECT_EQ(r.items, o.items);

  auto by_request = store_->FindByRequest("u1", "r1");
  ASSERT_TRUE(by_request.ok() && by_request->has_value());
  EXPECT_EQ((**by_request).order_id, o.order_id);
  EXPECT_FALSE(store_->FindByRequest("u2", "r1")->has_value());
  EXPECT_FALSE(store_->FindByRequest("u1", "r2")->has_value());
  EXPECT_FALSE(store_->Get(NewUuidV7())->has_value());

  // A pay_now order has no expiry.
  OrderRecord now = Order("u1", "r2", OrderState::kPending);
  ASSERT_TRUE(store_->TryCreate(now, "placed (pay_now)").ok());
  auto got_now = store_->Get(now.order_id);
  EXPECT_EQ((**got_now).expires_at_us, 0);
  EXPECT_TRUE((**got_now).pay_now);
  EXPECT_EQ(Q("SELECT count(*) FROM orders WHERE expires_at IS NULL"), "1");
}

TEST_F(OrderStoreTest, BookingItemsAndTheBookingLineRoundTrip) {
  OrderRecord o = Order("u1", "rb");
  OrderItem slot{"slot", "", "", "", 1, 3000};
  slot.booking = {"cafe-1",
                  "pc-7",
                  "2026-12-24",
                  1'798'135'200'000'000,
                  1'798'149'600'000'000,
                  "",
                  "",
                  "",
                  2,
                  10};
  OrderItem leg{"leg", "", "", "", 1, 12000};
  leg.booking.run_id = "G1:2026-12-24";
  leg.booking.seat_id = "5-1";
  leg.booking.doc_id = "ID-1";
  leg.booking.from_unit = 0;
  leg.booking.to_unit = 3;
  o.items = {o.items[0], slot, leg};
  o.total_minor = 300 + 3000 + 12000;
  o.booking_line = "{\"slot\":{\"venue_id\":\"cafe-1\",\"machines\":1}}";
  ASSERT_TRUE(store_->TryCreate(o, "placed").ok());
  auto got = store_->Get(o.order_id);
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((**got).items, o.items);
  // jsonb keeps the content, not the spelling.
  EXPECT_EQ(Q("SELECT booking_line->'slot'->>'venue_id' FROM orders"),
            "cafe-1");
  EXPECT_NE((**got).booking_line.find("\"machines\": 1"), std::string::npos)
      << (**got).booking_line;
  auto listed = store_->List("u1", 10, std::nullopt);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].items, o.items);
  EXPECT_EQ((*listed)[0].booking_line, (**got).booking_line);
  EXPECT_EQ(Q("SELECT string_agg(kind || ':' || coalesce(venue_id, '-') || "
              "':' || coalesce(machine_id, '-') || ':' || coalesce(run_id, "
              "'-') || ':' || coalesce(run_seat_id, '-') || ':' || "
              "coalesce(from_unit::text, '-') || '-' || "
              "coalesce(to_unit::text, '-'), ',' ORDER BY line_no) "
              "FROM order_item"),
            "sku:-:-:-:-:---,slot:cafe-1:pc-7:-:-:2-10,"
            "leg:-:-:G1:2026-12-24:5-1:0-3");
  // A repeat is a duplicate; other booking content under the gid is not.
  ASSERT_TRUE(store_->TryCreate(o, "again").ok());
  OrderRecord other = o;
  other.items[1].booking.machine_id = "pc-8";
  EXPECT_EQ(ReasonOf(store_->TryCreate(other, "again")), "TRY_MISMATCH");
  // An order without a booking line stores NULL.
  const OrderRecord plain = Order("u1", "rp");
  ASSERT_TRUE(store_->TryCreate(plain, "placed").ok());
  EXPECT_EQ(Q("SELECT count(*) FROM orders WHERE booking_line IS NULL"), "1");
  EXPECT_EQ((**store_->Get(plain.order_id)).booking_line, "");
}

TEST_F(OrderStoreTest, BookingItemsOfTheWrongShapeAreRefused) {
  OrderRecord o = Order("u1", "rb");
  OrderItem slot{"slot", "", "", "", 1, 3000};
  slot.booking.venue_id = "cafe-1";
  slot.booking.machine_id = "pc-7";
  slot.booking.venue_day = "2026-12-24";
  slot.booking.from_unit = 5;
  slot.booking.to_unit = 5;  // empty range
  o.items = {slot};
  EXPECT_FALSE(store_->TryCreate(o, "placed").ok());
  o.items[0].booking.to_unit = 6;
  o.items[0].booking.run_id = "G1:2026-12-24";  // a slot item on a run
  EXPECT_FALSE(store_->TryCreate(o, "placed").ok());
  o.items[0].kind = "ticket";
  o.items[0].booking.run_id = "";
  EXPECT_FALSE(store_->TryCreate(o, "placed").ok());
  EXPECT_EQ(N("SELECT count(*) FROM orders"), 0);
  EXPECT_EQ(N("SELECT count(*) FROM tcc_barrier"), 0);
}

TEST_F(OrderStoreTest, SameRequestUnderAnotherGidIsRefusedWithoutTrace) {
  const OrderRecord a = Order("u1", "r1");
  ASSERT_TRUE(store_->TryCreate(a, "placed").ok());
  const OrderRecord b = Order("u1", "r1");
  auto s = store_->TryCreate(b, "placed");
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(N("SELECT count(*) FROM orders"), 1);
  EXPECT_EQ(
      N("SELECT count(*) FROM tcc_barrier WHERE gid = '" + b.order_id + "'"),
      0);
}

TEST_F(OrderStoreTest, CancelBeforeTryIsEmptyRollbackAndRefusesTheTry) {
  const OrderRecord o = Order("u1", "r1");
  auto cancelled = store_->Cancel(o.order_id, "order",
                                  CancelTargetFor(v1::CANCEL_REASON_DEADLINE));
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_FALSE(cancelled->applied);
  EXPECT_EQ(cancelled->note, "empty rollback");
  auto s = store_->TryCreate(o, "placed");
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(s), "BRANCH_CANCELLED");
  EXPECT_EQ(N("SELECT count(*) FROM orders"), 0);
  EXPECT_EQ(N("SELECT count(*) FROM order_item"), 0);
  EXPECT_EQ(N("SELECT count(*) FROM order_status_log"), 0);
  EXPECT_EQ(Q("SELECT string_agg(phase, ',' ORDER BY phase) FROM tcc_barrier"),
            "cancel,try");
}

TEST_F(OrderStoreTest, ConcurrentConfirmsApplyOnce) {
  const OrderRecord o = Order("u1", "r1");
  ASSERT_TRUE(store_->TryCreate(o, "placed").ok());
  std::atomic<int> applied{0}, ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = store_->Confirm(o.order_id, "order");
      if (r.ok()) {
        ++ok;
        if (r->applied) ++applied;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(applied, 1);
  EXPECT_EQ(Q("SELECT state FROM orders"), "PAID");
  EXPECT_EQ(Q("SELECT string_agg(coalesce(from_state, 'NULL') || '>' || "
              "to_state || '/' || reason, ',' ORDER BY id) FROM "
              "order_status_log"),
            "NULL>PENDING_PAYMENT/placed,PENDING_PAYMENT>PAID/confirmed");
  EXPECT_GT(N("SELECT " TS_MICROS("updated_at") " - " TS_MICROS(
                "created_at") " FROM orders"),
            0);
}

TEST_F(OrderStoreTest, CancelAndConfirmNeverBothWin) {
  // The coordinator never sends both; if it did, the loser is refused and
  // the order keeps a single outcome.
  const OrderRecord o = Order("u1", "r1");
  ASSERT_TRUE(store_->TryCreate(o, "placed").ok());
  auto cancel = store_->Cancel(o.order_id, "order",
                               CancelTargetFor(v1::CANCEL_REASON_USER));
  ASSERT_TRUE(cancel.ok());
  EXPECT_TRUE(cancel->applied);
  EXPECT_EQ(cancel->from, OrderState::kPendingPayment);
  auto confirm = store_->Confirm(o.order_id, "order");
  EXPECT_EQ(confirm.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Q("SELECT state FROM orders"), "CANCELLED");
  EXPECT_EQ(N("SELECT count(*) FROM tcc_barrier WHERE phase = 'confirm'"), 0);
  EXPECT_EQ(N("SELECT count(*) FROM order_status_log"), 2);
}

TEST_F(OrderStoreTest, ListPagesNewestFirstThroughTies) {
  // Seven orders of u1, created in three transactions' timestamps with
  // ties, and two of u2.
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    OrderRecord o = Order("u1", "r" + std::to_string(i));
    ASSERT_TRUE(store_->TryCreate(o, "placed").ok());
    ids.push_back(o.order_id);
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(
        store_->TryCreate(Order("u2", "r" + std::to_string(i)), "p").ok());
  }
  Q("UPDATE orders SET created_at = '2030-01-01 00:00:00+00' WHERE "
    "request_id IN ('r0', 'r1', 'r2') AND user_id = 'u1'");
  Q("UPDATE orders SET created_at = '2030-01-02 00:00:00.000001+00' WHERE "
    "request_id IN ('r3', 'r4') AND user_id = 'u1'");
  const std::vector<std::string> expected = [&] {
    pqxx::connection conn(SharedPg().Conninfo(db_));
    pqxx::nontransaction tx(conn);
    std::vector<std::string> out;
    for (const auto& r :
         tx.exec("SELECT order_id::text FROM orders WHERE user_id = 'u1' "
                 "ORDER BY created_at DESC, order_id DESC")) {
      out.push_back(r[0].c_str());
    }
    return out;
  }();
  ASSERT_EQ(expected.size(), 7u);

  std::vector<std::string> seen;
  std::optional<PageCursor> after;
  for (int page = 0; page < 10; ++page) {
    auto rows = store_->List("u1", 3, after);
    ASSERT_TRUE(rows.ok()) << rows.status();
    for (const auto& o : *rows) {
      seen.push_back(o.order_id);
      EXPECT_EQ(o.items.size(), 3u);
      EXPECT_EQ(o.user_id, "u1");
    }
    if (rows->size() < 3) break;
    after = PageCursor{rows->back().created_at_us, rows->back().order_id};
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(store_->List("nobody", 10, std::nullopt)->size(), 0u);
}

}  // namespace
}  // namespace turnstile::order
