#include "services/gateway/waiting_room/waiting_room.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/common/status.h"
#include "services/gateway/waiting_room/queue_rules.h"
#include "turnstile/v1/order.pb.h"
#include "turnstile/v1/waiting_room.pb.h"

namespace turnstile::gateway {
namespace {

constexpr absl::string_view kService = "/turnstile.v1.WaitingRoom/";

absl::Status BadMessage() {
  return Error(absl::StatusCode::kInvalidArgument, "BAD_MESSAGE",
               "the request message does not parse");
}

absl::Status PoolFull() {
  return Overloaded("GATEWAY_OVERLOADED",
                    "too many waiting-room calls at the gateway",
                    std::chrono::milliseconds(1000));
}

// turnstile_gateway_queue_order_checks_total{source}.
prometheus::Counter& OrderChecks(prometheus::Registry& metrics,
                                 const char* source) {
  return prometheus::BuildCounter()
      .Name("turnstile_gateway_queue_order_checks_total")
      .Help(
          "PlaceOrder waiting-room checks, by where they were decided "
          "(local: no queueable line, or all recently seen unqueued; "
          "redis)")
      .Register(metrics)
      .Add({{"source", source}});
}

}  // namespace

WaitingRoom::WaitingRoom(std::shared_ptr<RedisClient> redis,
                         std::unique_ptr<PassSigner> signer,
                         WaitingRoomOptions options,
                         prometheus::Registry& metrics)
    : store_(std::move(redis), options.place_ttl, options.redis_timeout),
      signer_(std::move(signer)),
      pool_(options.threads, options.max_pending),
      waiting_(prometheus::BuildGauge()
                   .Name("turnstile_gateway_queue_waiting")
                   .Help("Buyers waiting in a product's waiting room (as "
                         "last seen by this gateway)")
                   .Register(metrics)),
      admitted_(prometheus::BuildGauge()
                    .Name("turnstile_gateway_queue_admitted")
                    .Help("Passes a product's waiting room has issued (as "
                          "last seen by this gateway)")
                    .Register(metrics)),
      refused_(prometheus::BuildCounter()
                   .Name("turnstile_gateway_queue_refused_total")
                   .Help("Waiting-room refusals, by reason")
                   .Register(metrics)),
      passes_accepted_(
          prometheus::BuildCounter()
              .Name("turnstile_gateway_queue_passes_accepted_total")
              .Help("PlaceOrder calls of queued products let through on a "
                    "valid pass")
              .Register(metrics)
              .Add({})),
      checks_local_(OrderChecks(metrics, "local")),
      checks_redis_(OrderChecks(metrics, "redis")),
      unqueued_(options.unqueued_cache) {
  for (const char* reason :
       {"QUEUE_FULL", "NOT_QUEUED", "NOT_IN_QUEUE", "NOT_ADMITTED"}) {
    refused_.Add({{"reason", reason}});
  }
}

void WaitingRoom::Serve(const Route& route, std::string message,
                        const Caller& caller, Done done) {
  auto shared = std::make_shared<Done>(std::move(done));
  const bool queued = pool_.Submit(
      [this, method = std::string(route.method), message = std::move(message),
       caller, shared] { (*shared)(Run(method, message, caller)); });
  if (!queued) (*shared)(PoolFull());
}

void WaitingRoom::CheckPlaceOrder(std::string message, const Caller& caller,
                                  std::vector<std::string> passes,
                                  Checked done) {
  // Parsed here (a few microseconds) so that an order of unqueued products
  // goes on without a thread hop.
  v1::PlaceOrderRequest request;
  if (!request.ParseFromArray(message.data(), message.size())) {
    return done(BadMessage());
  }
  auto products = OrderedProducts(request);
  if (!products.ok()) return done(products.status());
  if (unqueued_.AllUnqueued(*products, UnqueuedCache::Clock::now())) {
    checks_local_.Increment();
    return done(absl::OkStatus());
  }
  auto shared = std::make_shared<Checked>(std::move(done));
  const bool queued =
      pool_.Submit([this, products = *std::move(products), caller,
                    passes = std::move(passes),
                    shared] { (*shared)(Check(products, caller, passes)); });
  if (!queued) (*shared)(PoolFull());
}

void WaitingRoom::CountRefusal(const absl::Status& status) {
  const std::string reason = ReasonOf(status);
  if (reason == "QUEUE_FULL" || reason == "NOT_QUEUED" ||
      reason == "NOT_IN_QUEUE" || reason == "NOT_ADMITTED") {
    refused_.Add({{"reason", reason}}).Increment();
  }
}

void WaitingRoom::Observe(const QueueProduct& product,
                          const QueueState& state) {
  std::lock_guard<std::mutex> lock(labels_mu_);
  std::string name = product.Name();
  auto it = labels_.find(name);
  if (it == labels_.end()) {
    if (labels_.size() >= kMaxProductLabels) name = "other";
    it = labels_.find(name);
    if (it == labels_.end()) {
      it = labels_
               .emplace(name,
                        std::make_pair(&waiting_.Add({{"product", name}}),
                                       &admitted_.Add({{"product", name}})))
               .first;
    }
  }
  it->second.first->Set(static_cast<double>(state.waiting));
  it->second.second->Set(static_cast<double>(state.admitted));
}

absl::StatusOr<std::string> WaitingRoom::Run(absl::string_view method,
                                             absl::string_view message,
                                             const Caller& caller) {
  if (method.substr(0, kService.size()) != kService) {
    return Error(absl::StatusCode::kUnimplemented, "NOT_ROUTED",
                 "this method is not part of the public API");
  }
  const absl::string_view name = method.substr(kService.size());
  absl::StatusOr<std::string> out;
  if (name == "ConfigureQueue") {
    v1::ConfigureQueueRequest request;
    if (!request.ParseFromArray(message.data(), message.size())) {
      return BadMessage();
    }
    auto settings = CheckConfigure(request);
    if (!settings.ok()) return settings.status();
    // This gateway checks the product in Redis again from now on.
    unqueued_.Forget(settings->product);
    QueueState state;
    if (settings->enabled) {
      auto configured =
          store_.Configure(settings->product, settings->rate_milli,
                           settings->max_length, settings->pass_ttl_ms);
      if (!configured.ok()) return configured.status();
      state = *configured;
    } else if (auto s = store_.Remove(settings->product); !s.ok()) {
      return s;
    }
    Observe(settings->product, state);
    return ConfigMessage(settings->product, state).SerializeAsString();
  }
  if (name == "GetQueue") {
    v1::GetQueueRequest request;
    if (!request.ParseFromArray(message.data(), message.size())) {
      return BadMessage();
    }
    auto product = ProductOf(request.product());
    if (!product.ok()) return product.status();
    auto state = store_.Read(*product);
    if (!state.ok()) return state.status();
    // Only queues get gauges: anyone may ask about any id.
    if (state->queued) Observe(*product, *state);
    return ConfigMessage(*product, *state).SerializeAsString();
  }
  if (name == "JoinQueue" || name == "GetTicket") {
    // Both messages are {QueuedProduct product = 1}.
    v1::JoinQueueRequest request;
    if (!request.ParseFromArray(message.data(), message.size())) {
      return BadMessage();
    }
    auto product = ProductOf(request.product());
    if (!product.ok()) return product.status();
    auto reply = name == "JoinQueue" ? store_.Join(*product, caller.user)
                                     : store_.Ticket(*product, caller.user);
    if (!reply.ok()) return reply.status();
    auto ticket = TicketMessage(*product, caller.user, *reply, *signer_);
    if (!ticket.ok()) {
      CountRefusal(ticket.status());
      return ticket.status();
    }
    return ticket->SerializeAsString();
  }
  return Error(absl::StatusCode::kUnimplemented, "NOT_ROUTED",
               "this method is not part of the public API");
}

absl::Status WaitingRoom::Check(const std::vector<QueueProduct>& products,
                                const Caller& caller,
                                const std::vector<std::string>& passes) {
  checks_redis_.Increment();
  std::vector<int64_t> expiry;
  for (const auto& product : products) {
    int64_t best = 0;
    for (const auto& pass : passes) {
      best = std::max(best, signer_->ExpiryFor(pass, product, caller.user));
    }
    expiry.push_back(best);
  }
  const uint64_t generation = unqueued_.generation();
  auto replies = store_.Use(products, caller.user, expiry);
  if (!replies.ok()) return replies.status();
  const auto now = UnqueuedCache::Clock::now();
  for (size_t i = 0; i < replies->size(); ++i) {
    if ((*replies)[i].kind == UseReply::kNotQueued) {
      unqueued_.NoteUnqueued(products[i], now, generation);
    }
  }
  bool used = false;
  for (size_t i = 0; i < replies->size(); ++i) {
    const UseReply& r = (*replies)[i];
    if (r.kind == UseReply::kNotAdmitted) {
      const absl::Status refused = NotAdmitted(products[i], r.why);
      CountRefusal(refused);
      return refused;
    }
    used |= r.kind == UseReply::kOk;
  }
  if (used) passes_accepted_.Increment();
  return absl::OkStatus();
}

}  // namespace turnstile::gateway
