#include "services/gateway/waiting_room/queue_rules.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/time_util.h"
#include "services/common/status.h"

namespace turnstile::gateway {
namespace {

using google::protobuf::util::TimeUtil;

absl::Status BadConfig(absl::string_view message) {
  return Error(absl::StatusCode::kInvalidArgument, "BAD_QUEUE_CONFIG", message);
}

void SetTime(int64_t unix_ms, google::protobuf::Timestamp* out) {
  *out = TimeUtil::MillisecondsToTimestamp(unix_ms);
}

}  // namespace

absl::StatusOr<QueueSettings> CheckConfigure(
    const v1::ConfigureQueueRequest& request) {
  auto product = ProductOf(request.product());
  if (!product.ok()) return product.status();
  QueueSettings s;
  s.product = *std::move(product);
  s.enabled = request.enabled();
  if (!s.enabled) return s;
  const double rate = request.admit_per_second();
  if (!std::isfinite(rate) || rate < 0.1 || rate > 10000) {
    return BadConfig("admit_per_second must be 0.1 .. 10000");
  }
  s.rate_milli = std::llround(rate * 1000);
  const int32_t max_length =
      request.max_length() == 0 ? 100000 : request.max_length();
  if (max_length < 1 || max_length > 1000000) {
    return BadConfig("max_length must be 1 .. 1000000 (0 = 100000)");
  }
  s.max_length = max_length;
  const int32_t ttl =
      request.pass_ttl_seconds() == 0 ? 120 : request.pass_ttl_seconds();
  if (ttl < 5 || ttl > 3600) {
    return BadConfig("pass_ttl_seconds must be 5 .. 3600 (0 = 120)");
  }
  s.pass_ttl_ms = int64_t{ttl} * 1000;
  return s;
}

absl::StatusOr<std::vector<QueueProduct>> OrderedProducts(
    const v1::PlaceOrderRequest& request) {
  std::vector<QueueProduct> out;
  auto add = [&out](QueueProduct::Kind kind,
                    const std::string& id) -> absl::Status {
    if (id.empty()) return absl::OkStatus();
    if (!IsProductId(id)) {
      return Error(absl::StatusCode::kInvalidArgument, "BAD_PRODUCT",
                   "sku_id and run_id are 1-64 chars of [A-Za-z0-9_.:@-]");
    }
    QueueProduct p{kind, id};
    for (const auto& seen : out) {
      if (seen == p) return absl::OkStatus();
    }
    out.push_back(std::move(p));
    return absl::OkStatus();
  };
  // The order service allows 20 lines; more is refused there, and here
  // before any Redis call.
  if (request.lines_size() > 20) {
    return Error(absl::StatusCode::kInvalidArgument, "TOO_MANY_LINES",
                 "an order has at most 20 lines");
  }
  for (const auto& line : request.lines()) {
    if (auto s = add(QueueProduct::kSku, line.sku_id()); !s.ok()) return s;
    if (line.has_leg()) {
      if (auto s = add(QueueProduct::kRun, line.leg().run_id()); !s.ok()) {
        return s;
      }
    }
  }
  return out;
}

std::vector<std::string> SplitPasses(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& value : values) {
    for (absl::string_view part : absl::StrSplit(value, ',')) {
      part = absl::StripAsciiWhitespace(part);
      if (part.empty()) continue;
      if (out.size() == kMaxPasses) return out;
      out.emplace_back(part);
    }
  }
  return out;
}

v1::QueueConfig ConfigMessage(const QueueProduct& product,
                              const QueueState& state) {
  v1::QueueConfig c;
  product.ToProto(c.mutable_product());
  c.set_enabled(state.queued);
  if (!state.queued) return c;
  c.set_admit_per_second(static_cast<double>(state.rate_milli) / 1000);
  c.set_max_length(static_cast<int32_t>(state.max_length));
  c.set_pass_ttl_seconds(static_cast<int32_t>(state.pass_ttl_ms / 1000));
  c.set_waiting(state.waiting);
  c.set_admitted(state.admitted);
  return c;
}

absl::StatusOr<v1::QueueTicket> TicketMessage(const QueueProduct& product,
                                              absl::string_view user,
                                              const TicketReply& reply,
                                              const PassSigner& signer) {
  const std::string name = product.Name();
  switch (reply.kind) {
    case TicketReply::kNotQueued:
      return Error(absl::StatusCode::kFailedPrecondition, "NOT_QUEUED",
                   "this product has no waiting room", {{"product", name}});
    case TicketReply::kNotInQueue:
      return Error(absl::StatusCode::kNotFound, "NOT_IN_QUEUE",
                   "no place in this queue (never joined, lapsed or the pass "
                   "expired): join again",
                   {{"product", name}});
    case TicketReply::kFull:
      return WithMetadata(
          Overloaded("QUEUE_FULL", "the waiting room is full; retry later",
                     std::chrono::milliseconds(reply.retry_after_ms)),
          {{"product", name}});
    case TicketReply::kWaiting:
    case TicketReply::kAdmitted:
      break;
  }
  v1::QueueTicket t;
  product.ToProto(t.mutable_product());
  SetTime(reply.joined_ms, t.mutable_joined_at());
  if (reply.kind == TicketReply::kWaiting) {
    t.set_position(reply.position);
    t.set_estimated_wait_ms(reply.eta_ms);
    return t;
  }
  t.set_admitted(true);
  t.set_pass(signer.Sign(product, user, reply.pass_expiry_ms));
  SetTime(reply.pass_expiry_ms, t.mutable_pass_expires_at());
  return t;
}

absl::Status NotAdmitted(const QueueProduct& product, absl::string_view why) {
  return Error(absl::StatusCode::kFailedPrecondition, "NOT_ADMITTED",
               "this product sells through a waiting room: join it and send "
               "the pass as x-turnstile-pass",
               {{"product", product.Name()}, {"why", why}});
}

}  // namespace turnstile::gateway
