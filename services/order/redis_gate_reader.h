// The real StockGateReader (flow_ports.h): two plain HGETs on the stock
// gate's keys (layout in lua/README.md) through the shared RedisClient. Reads
// need no script: the pre-check only refuses, and the Try path re-checks
// atomically in stock_reserve.
#pragma once

#include "services/common/redis_client.h"
#include "services/order/flow_ports.h"

namespace turnstile::order {

class RedisGateReader final : public StockGateReader {
 public:
  explicit RedisGateReader(RedisClient& redis) : redis_(redis) {}

  absl::StatusOr<std::optional<int64_t>> Remaining(
      const std::string& sku_id) override;
  absl::StatusOr<int64_t> UserUnits(const std::string& sku_id,
                                    const std::string& user_id) override;

 private:
  RedisClient& redis_;
};

// Parses the reply of one HGET: nullopt for nil, INTERNAL for anything that
// is not a decimal integer (exposed for unit tests).
absl::StatusOr<std::optional<int64_t>> ParseHgetInt(const redisReply& reply);

}  // namespace turnstile::order
