// The waiting room's pure decisions, apart from Redis and threads so that
// tests call them directly: ConfigureQueue's input checked and defaulted
// (waiting_room.proto's ranges), the queued products an Order.PlaceOrder
// touches (its lines' sku_id and leg.run_id), the passes of the
// x-turnstile-pass metadata, and the store's replies as the API's
// messages and refusals (reasons NOT_QUEUED, QUEUE_FULL with RetryInfo,
// NOT_IN_QUEUE, NOT_ADMITTED; domain gateway.turnstile).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/waiting_room/queue_pass.h"
#include "services/gateway/waiting_room/queue_product.h"
#include "services/gateway/waiting_room/queue_store.h"
#include "turnstile/v1/order.pb.h"
#include "turnstile/v1/waiting_room.pb.h"

namespace turnstile::gateway {

// Passes one PlaceOrder may carry (one per queued product it orders).
inline constexpr size_t kMaxPasses = 8;

struct QueueSettings {
  QueueProduct product;
  bool enabled = false;
  int64_t rate_milli = 0;  // admissions per 1000 s
  int64_t max_length = 0;
  int64_t pass_ttl_ms = 0;
};

// INVALID_ARGUMENT (reason BAD_PRODUCT or BAD_QUEUE_CONFIG) for a bad
// product or a number out of range; defaults applied (max_length 0 =
// 100000, pass_ttl_seconds 0 = 120). A disabled queue needs only its
// product.
absl::StatusOr<QueueSettings> CheckConfigure(
    const v1::ConfigureQueueRequest& request);

// The distinct products of the order's stock and leg lines, in line order.
// INVALID_ARGUMENT if an id is outside the product alphabet (the order
// service would refuse it too; refusing here keeps the check closed).
absl::StatusOr<std::vector<QueueProduct>> OrderedProducts(
    const v1::PlaceOrderRequest& request);

// The passes in x-turnstile-pass values (repeated headers and/or
// comma-separated), blanks trimmed, at most kMaxPasses (more: the first).
std::vector<std::string> SplitPasses(const std::vector<std::string>& values);

v1::QueueConfig ConfigMessage(const QueueProduct& product,
                              const QueueState& state);

// A ticket reply of Join or Ticket as the caller's QueueTicket (with a pass
// signed for them once admitted), or the refusal it stands for.
absl::StatusOr<v1::QueueTicket> TicketMessage(const QueueProduct& product,
                                              absl::string_view user,
                                              const TicketReply& reply,
                                              const PassSigner& signer);

// FAILED_PRECONDITION NOT_ADMITTED for `product` (`why` a fact).
absl::Status NotAdmitted(const QueueProduct& product, absl::string_view why);

}  // namespace turnstile::gateway
