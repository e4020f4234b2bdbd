// Unit tests of the pure parts of services/common: ids, validation, backoff
// bounds and the status <-> gRPC mapping with machine-readable reasons.
#include <gtest/gtest.h>

#include <set>

#include "services/common/backoff.h"
#include "services/common/pg_array.h"
#include "services/common/pg_pool.h"
#include "services/common/status.h"
#include "services/common/uuid.h"
#include "services/common/validate.h"

namespace turnstile {
namespace {

TEST(Uuid, V7IsCanonicalTimeOrderedAndUnique) {
  std::set<std::string> seen;
  std::string last;
  for (int i = 0; i < 2000; ++i) {
    const std::string id = NewUuidV7();
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '7');
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' ||
                id[19] == 'b');
    EXPECT_GE(id.substr(0, 13),
              last.substr(0, std::min<size_t>(13, last.size())));
    last = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(Uuid, RejectsMalformed) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("018f0000-0000-7000-8000-00000000000"));
  EXPECT_FALSE(IsUuid("018f0000-0000-7000-8000-00000000000g"));
  EXPECT_FALSE(IsUuid("018f0000x0000-7000-8000-000000000000"));
  EXPECT_TRUE(IsUuid("018F0000-0000-7000-8000-000000000000"));
}

TEST(Validate, Ids) {
  EXPECT_TRUE(CheckId("f", "sku-1.a:b@c_d").ok());
  EXPECT_EQ(CheckId("f", "").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckId("f", std::string(65, 'a')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckId("f", std::string(64, 'a')).ok());
  EXPECT_FALSE(CheckId("f", "a b").ok());
  EXPECT_FALSE(CheckId("f", "a'b").ok());
  EXPECT_FALSE(CheckId("f", "ä").ok());
  EXPECT_TRUE(CheckBranchId("f", "order").ok());
  EXPECT_FALSE(CheckBranchId("f", "Order").ok());
  EXPECT_FALSE(CheckBranchId("f", "").ok());
}

TEST(Validate, TextCurrencyRange) {
  EXPECT_TRUE(CheckText("n", "Konzert in Köln", 200).ok());
  EXPECT_FALSE(CheckText("n", "a\nb", 200).ok());
  EXPECT_FALSE(CheckText("n", std::string(201, 'x'), 200).ok());
  EXPECT_TRUE(CheckCurrency("c", "EUR").ok());
  EXPECT_FALSE(CheckCurrency("c", "eur").ok());
  EXPECT_FALSE(CheckCurrency("c", "EURO").ok());
  EXPECT_TRUE(CheckRange("q", 1, 1, 10).ok());
  EXPECT_FALSE(CheckRange("q", 0, 1, 10).ok());
  EXPECT_FALSE(CheckRange("q", 11, 1, 10).ok());
  EXPECT_NE(CheckRange("quantity", -1, 1, 10).message().find("quantity"),
            absl::string_view::npos);
}

TEST(Backoff, FullJitterWithinCappedExponentialBound) {
  const BackoffPolicy policy{std::chrono::milliseconds(100),
                             std::chrono::milliseconds(2000)};
  for (int attempt = 1; attempt <= 40; ++attempt) {
    const int64_t cap =
        std::min<int64_t>(2000, 100LL << std::min(attempt - 1, 30));
    int64_t max_seen = 0;
    for (int i = 0; i < 200; ++i) {
      const auto d = BackoffDelay(policy, attempt).count();
      ASSERT_GE(d, 0);
      ASSERT_LE(d, cap);
      max_seen = std::max(max_seen, d);
    }
    EXPECT_GT(max_seen, cap / 2) << "jitter should span the range";
  }
}

TEST(Status, ReasonSurvivesTheGrpcEdge) {
  const absl::Status refused = Refused("SOLD_OUT", "sku-1 is sold out");
  EXPECT_EQ(ReasonOf(refused), "SOLD_OUT");
  const grpc::Status wire = ToGrpc(refused, "inventory.turnstile");
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(wire.error_message(), "sku-1 is sold out");
  const absl::Status back = FromGrpc(wire);
  EXPECT_EQ(back.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(back), "SOLD_OUT");
  EXPECT_TRUE(ToGrpc(absl::OkStatus(), "x").ok());
  EXPECT_TRUE(IsTransient(absl::UnavailableError("down")));
  EXPECT_TRUE(IsTransient(absl::DeadlineExceededError("slow")));
  EXPECT_FALSE(IsTransient(refused));
  EXPECT_FALSE(IsTransient(absl::AbortedError("cancelled")));
}

}  // namespace
TEST(PgErrors, RaisedByOurFunctionsBecomeTheirStatusAndReason) {
  const absl::Status s = StatusFromException(pqxx::sql_error(
      "ERROR:  turnstile:FAILED_PRECONDITION:SOLD_OUT:fewer than 1 units of "
      "tee: none left\nCONTEXT:  PL/pgSQL function inv_try_gate line 9\n",
      "SELECT ...", "P0001"));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(s), "SOLD_OUT");
  EXPECT_EQ(s.message(), "fewer than 1 units of tee: none left");
}

TEST(PgErrors, OnlyTheFirstLineOfARaiseIsParsed) {
  // A user id quoted in a constraint violation must not pose as a raise.
  const absl::Status dup = StatusFromException(pqxx::unique_violation(
      "ERROR:  duplicate key value violates unique constraint\nDETAIL:  Key "
      "(user_id)=(turnstile:OK:X:y) already exists.\n",
      "INSERT ...", "23505"));
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(dup), "ALREADY_EXISTS");
  const absl::Status late = StatusFromException(pqxx::sql_error(
      "ERROR:  something else turnstile:ABORTED:X:y\n", "", "P0001"));
  EXPECT_EQ(late.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReasonOf(late), "DB_ERROR");
  const absl::Status unknown = StatusFromException(
      pqxx::sql_error("ERROR:  turnstile:NO_SUCH_CODE:X:y\n", "", "P0001"));
  EXPECT_EQ(ReasonOf(unknown), "DB_ERROR");
}

TEST(PgArrays, TextElementsAreQuotedAndEscaped) {
  EXPECT_EQ(TextArray({}), "{}");
  EXPECT_EQ(TextArray({"a", "", "NULL", "x\"y\\z"}),
            "{\"a\",\"\",\"NULL\",\"x\\\"y\\\\z\"}");
  EXPECT_EQ(BigintArray({1, -2, 3}), "{1,-2,3}");
}

}  // namespace turnstile
