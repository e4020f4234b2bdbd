#include "services/order/redis_gate_reader.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile::order {
namespace {

// Per-thread argument buffer: the hot path allocates nothing once warm.
RedisArgs& ThreadArgs() {
  thread_local RedisArgs args;
  return args;
}

absl::StatusOr<std::optional<int64_t>> Hget(RedisClient& redis,
                                            const std::string& sku_id,
                                            absl::string_view suffix,
                                            absl::string_view field) {
  RedisArgs& args = ThreadArgs();
  args.Clear().Add("HGET").Add({"ts:{sku:", sku_id, "}:", suffix}).Add(field);
  auto reply = redis.Command(args);
  if (!reply.ok()) return reply.status();
  return ParseHgetInt(**reply);
}

}  // namespace

absl::StatusOr<std::optional<int64_t>> ParseHgetInt(const redisReply& reply) {
  if (reply.type == REDIS_REPLY_NIL) return std::optional<int64_t>();
  int64_t value = 0;
  if ((reply.type == REDIS_REPLY_STRING || reply.type == REDIS_REPLY_STATUS) &&
      absl::SimpleAtoi(absl::string_view(reply.str, reply.len), &value)) {
    return std::optional<int64_t>(value);
  }
  if (reply.type == REDIS_REPLY_INTEGER) {
    return std::optional<int64_t>(reply.integer);
  }
  return Error(absl::StatusCode::kInternal, "REDIS_BAD_REPLY",
               absl::StrCat("unexpected HGET reply of type ", reply.type));
}

absl::StatusOr<std::optional<int64_t>> RedisGateReader::Remaining(
    const std::string& sku_id) {
  return Hget(redis_, sku_id, "stock", "remaining");
}

absl::StatusOr<int64_t> RedisGateReader::UserUnits(const std::string& sku_id,
                                                   const std::string& user_id) {
  auto units = Hget(redis_, sku_id, "users", user_id);
  if (!units.ok()) return units.status();
  return units->value_or(0);
}

}  // namespace turnstile::order
