// The gRPC standard error model at the edge (DESIGN.md §6), read back the
// way any client library reads it: grpc-status-details-bin parsed with the
// generated google::rpc::Status class and its details unpacked with
// google::protobuf::Any::UnpackTo, not with our own helpers. Also the round
// trip through FromGrpc (a reason, its facts and a retry delay survive a hop)
// and the concealment of database, host and library text behind a
// correlation id.
#include <gtest/gtest.h>

#include <chrono>
#include <pqxx/pqxx>
#include <regex>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/internal_error.h"
#include "services/common/pg_pool.h"
#include "services/common/status.h"

namespace turnstile {
namespace {

using std::chrono::milliseconds;

// What a generic client decodes from a grpc::Status.
struct Decoded {
  google::rpc::Status status;
  bool parsed = false;
  bool has_info = false;
  google::rpc::ErrorInfo info;
  bool has_retry = false;
  google::rpc::RetryInfo retry;
  bool has_request = false;
  google::rpc::RequestInfo request;
};

Decoded Decode(const grpc::Status& wire) {
  Decoded d;
  d.parsed = d.status.ParseFromString(wire.error_details());
  for (const google::protobuf::Any& any : d.status.details()) {
    if (any.Is<google::rpc::ErrorInfo>()) {
      d.has_info = any.UnpackTo(&d.info);
    } else if (any.Is<google::rpc::RetryInfo>()) {
      d.has_retry = any.UnpackTo(&d.retry);
    } else if (any.Is<google::rpc::RequestInfo>()) {
      d.has_request = any.UnpackTo(&d.request);
    }
  }
  return d;
}

// The "(ref <id>)" of a concealed message, or "".
std::string RefIn(const std::string& message) {
  std::smatch m;
  static const std::regex kRef("\\(ref ([0-9a-f]{16})\\)$");
  return std::regex_search(message, m, kRef) ? m[1].str() : "";
}

TEST(ErrorDetails, RefusalIsAGoogleRpcStatusWithErrorInfo) {
  const absl::Status refused =
      Error(absl::StatusCode::kFailedPrecondition, "SOLD_OUT",
            "fewer than 2 units of tee are left",
            {{"skuId", "tee"}, {"quantity", "2"}});
  const grpc::Status wire = ToGrpc(refused, "inventory.turnstile");
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  const Decoded d = Decode(wire);
  ASSERT_TRUE(d.parsed);
  EXPECT_EQ(d.status.code(),
            static_cast<int>(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_EQ(d.status.message(), wire.error_message());
  EXPECT_EQ(d.status.message(), "fewer than 2 units of tee are left");
  ASSERT_TRUE(d.has_info);
  EXPECT_EQ(d.info.reason(), "SOLD_OUT");
  EXPECT_EQ(d.info.domain(), "inventory.turnstile");
  ASSERT_EQ(d.info.metadata().size(), 2u);
  EXPECT_EQ(d.info.metadata().at("skuId"), "tee");
  EXPECT_EQ(d.info.metadata().at("quantity"), "2");
  EXPECT_FALSE(d.has_retry) << "RetryInfo only on RESOURCE_EXHAUSTED";
  EXPECT_FALSE(d.has_request);
}

TEST(ErrorDetails, OverloadCarriesRetryInfo) {
  const absl::Status busy =
      Overloaded("OVERLOADED", "the coordinator log is overloaded; retry",
                 milliseconds(1250));
  EXPECT_EQ(busy.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryDelayOf(busy), milliseconds(1250));
  const Decoded d = Decode(ToGrpc(busy, "coordinator.turnstile"));
  ASSERT_TRUE(d.parsed);
  ASSERT_TRUE(d.has_info);
  EXPECT_EQ(d.info.reason(), "OVERLOADED");
  EXPECT_EQ(d.info.domain(), "coordinator.turnstile");
  ASSERT_TRUE(d.has_retry);
  EXPECT_EQ(d.retry.retry_delay().seconds(), 1);
  EXPECT_EQ(d.retry.retry_delay().nanos(), 250000000);
}

TEST(ErrorDetails, EveryResourceExhaustedHasRetryInfo) {
  const Decoded d = Decode(
      ToGrpc(Error(absl::StatusCode::kResourceExhausted, "", "busy"), "x"));
  ASSERT_TRUE(d.has_retry);
  EXPECT_GT(d.retry.retry_delay().seconds() * 1000 +
                d.retry.retry_delay().nanos() / 1000000,
            0);
  // And a status without a reason is named by its code.
  ASSERT_TRUE(d.has_info);
  EXPECT_EQ(d.info.reason(), "RESOURCE_EXHAUSTED");
}

TEST(ErrorDetails, RoundTripThroughFromGrpcKeepsReasonFactsAndDelay) {
  const absl::Status original = WithMetadata(
      Overloaded("OVERLOADED", "busy", milliseconds(40)), {{"queue", "gc"}});
  const absl::Status back = FromGrpc(ToGrpc(original, "coordinator.turnstile"));
  EXPECT_EQ(back.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(back.message(), "busy");
  EXPECT_EQ(ReasonOf(back), "OVERLOADED");
  EXPECT_EQ(MetadataOf(back).at("queue"), "gc");
  EXPECT_EQ(RetryDelayOf(back), milliseconds(40));

  // A participant's refusal forwarded by the order service: reason and facts
  // unchanged, the domain is the forwarding edge's, the message prefixed.
  const absl::Status refused = FromGrpc(
      ToGrpc(Refused("SOLD_OUT", "tee is sold out"), "inventory.turnstile"));
  const absl::Status forwarded = WithMetadata(
      WithMessage(refused, absl::StrCat("inventory: ", refused.message())),
      {{"skuId", "tee"}});
  const Decoded d = Decode(ToGrpc(forwarded, "order.turnstile"));
  EXPECT_EQ(d.status.message(), "inventory: tee is sold out");
  EXPECT_EQ(d.info.reason(), "SOLD_OUT");
  EXPECT_EQ(d.info.domain(), "order.turnstile");
  EXPECT_EQ(d.info.metadata().at("skuId"), "tee");
  EXPECT_EQ(ReasonOf(FromGrpc(ToGrpc(forwarded, "order.turnstile"))),
            "SOLD_OUT");
}

TEST(ErrorDetails, WithMessageKeepsEverythingElse) {
  const absl::Status s = WithCorrelationId(
      WithMetadata(Overloaded("OVERLOADED", "a", milliseconds(7)),
                   {{"k", "v"}}),
      "00000000000000aa");
  const absl::Status t = WithMessage(s, "b");
  EXPECT_EQ(t.message(), "b");
  EXPECT_EQ(t.code(), s.code());
  EXPECT_EQ(ReasonOf(t), "OVERLOADED");
  EXPECT_EQ(MetadataOf(t).at("k"), "v");
  EXPECT_EQ(RetryDelayOf(t), milliseconds(7));
  EXPECT_EQ(CorrelationIdOf(t), "00000000000000aa");
  EXPECT_TRUE(WithMessage(absl::OkStatus(), "x").ok());
  EXPECT_TRUE(WithMetadata(absl::OkStatus(), {{"a", "b"}}).ok());
}

TEST(ErrorDetails, DatabaseErrorsReachTheClientAsGenericTextWithARef) {
  const absl::Status s = StatusFromException(pqxx::sql_error(
      "ERROR:  relation \"wallet\" does not exist\nLINE 1: SELECT balance "
      "FROM wallet\n",
      "SELECT balance FROM wallet WHERE user_id = $1", "42P01"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ReasonOf(s), "DB_ERROR");
  const grpc::Status wire = ToGrpc(s, "payment.turnstile");
  const std::string message = wire.error_message();
  for (const char* leak : {"wallet", "ERROR", "relation", "42P01", "SELECT"}) {
    EXPECT_EQ(message.find(leak), std::string::npos) << message;
  }
  const std::string ref = RefIn(message);
  ASSERT_FALSE(ref.empty()) << message;
  EXPECT_EQ(CorrelationIdOf(s), ref);
  const Decoded d = Decode(wire);
  ASSERT_TRUE(d.has_request);
  EXPECT_EQ(d.request.request_id(), ref);
  EXPECT_EQ(d.info.reason(), "DB_ERROR");
  // A forwarded INTERNAL keeps its ref: it is not concealed twice.
  const absl::Status hop = FromGrpc(wire);
  EXPECT_EQ(ToGrpc(WithMessage(hop, absl::StrCat("payment: ", hop.message())),
                   "order.turnstile")
                .error_message(),
            absl::StrCat("payment: ", message));
}

TEST(ErrorDetails, ConnectionFailuresNameNoHost) {
  const absl::Status s = StatusFromException(pqxx::broken_connection(
      "connection to server at \"10.1.2.3\", port 5432 failed: Connection "
      "refused"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(s), "DB_UNAVAILABLE");
  EXPECT_EQ(std::string(s.message()).find("10.1.2.3"), std::string::npos);
  EXPECT_FALSE(RefIn(std::string(s.message())).empty()) << s.message();
  const absl::Status dup = StatusFromException(pqxx::unique_violation(
      "ERROR:  duplicate key value violates unique constraint \"sku_pkey\"\n"
      "DETAIL:  Key (sku_id)=(tee) already exists.\n",
      "INSERT ...", "23505"));
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(std::string(dup.message()).find("sku_pkey"), std::string::npos);
}

TEST(ErrorDetails, RawInternalTextIsConcealedAtTheEdge) {
  const grpc::Status wire =
      ToGrpc(absl::InternalError("could not open /var/lib/secret on db-7"),
             "seat.turnstile");
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(wire.error_message().find("db-7"), std::string::npos);
  const std::string ref = RefIn(wire.error_message());
  ASSERT_FALSE(ref.empty()) << wire.error_message();
  EXPECT_EQ(Decode(wire).request.request_id(), ref);
  // Our own reasoned INTERNALs are written to be read and stay as they are.
  EXPECT_EQ(ToGrpc(Error(absl::StatusCode::kInternal, "ORDER_MISSING",
                         "transaction x committed without its order row"),
                   "order.turnstile")
                .error_message(),
            "transaction x committed without its order row");
}

TEST(ErrorDetails, GrpcLibraryTextIsConcealedByFromGrpc) {
  // What a channel to a stopped peer reports: no details, a host in the text.
  const absl::Status s =
      FromGrpc(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "failed to connect to all addresses; last error: "
                            "ipv4:10.9.8.7:50051: Connection refused"));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(std::string(s.message()).find("10.9.8.7"), std::string::npos);
  EXPECT_FALSE(CorrelationIdOf(s).empty());
  EXPECT_TRUE(IsTransient(s));
}

}  // namespace
}  // namespace turnstile
