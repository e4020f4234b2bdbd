#include "services/gateway/waiting_room/queue_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/status.h"

namespace turnstile::gateway {
namespace {

const LuaScript& Script(absl::string_view name) {
  return RequiredLuaScript(name);
}

absl::Status BadReply(absl::string_view script) {
  return Error(absl::StatusCode::kInternal, "REDIS_ERROR",
               absl::StrCat("unexpected reply of ", script));
}

absl::string_view Str(const redisReply& r) {
  if (r.type != REDIS_REPLY_STRING && r.type != REDIS_REPLY_STATUS) return {};
  return absl::string_view(r.str, r.len);
}

int64_t Int(const redisReply& r) {
  if (r.type == REDIS_REPLY_INTEGER) return r.integer;
  int64_t v = 0;
  if (r.type == REDIS_REPLY_STRING) {
    (void)absl::SimpleAtoi(absl::string_view(r.str, r.len), &v);
  }
  return v;
}

// The reply's elements, or nullptr-length 0 if it is no array.
absl::Span<redisReply* const> Elements(const redisReply& r) {
  if (r.type != REDIS_REPLY_ARRAY || r.elements == 0) return {};
  return absl::Span<redisReply* const>(r.element, r.elements);
}

absl::Status InvalidFromScript(absl::Span<redisReply* const> e) {
  return Error(absl::StatusCode::kInvalidArgument, "INVALID_ARGUMENT",
               e.size() > 1 ? Str(*e[1]) : "invalid queue call");
}

absl::StatusOr<TicketReply> ParseTicket(const redisReply& reply,
                                        absl::string_view script) {
  const auto e = Elements(reply);
  if (e.empty()) return BadReply(script);
  const absl::string_view status = Str(*e[0]);
  TicketReply t{};
  if (status == "WAITING" && e.size() == 5) {
    t.kind = TicketReply::kWaiting;
    t.position = Int(*e[1]);
    t.eta_ms = Int(*e[2]);
    t.joined_ms = Int(*e[3]);
  } else if (status == "ADMITTED" && e.size() == 4) {
    t.kind = TicketReply::kAdmitted;
    t.pass_expiry_ms = Int(*e[1]);
    t.joined_ms = Int(*e[2]);
  } else if (status == "QUEUE_FULL" && e.size() == 3) {
    t.kind = TicketReply::kFull;
    t.retry_after_ms = Int(*e[1]);
  } else if (status == "NOT_IN_QUEUE") {
    t.kind = TicketReply::kNotInQueue;
  } else if (status == "NOT_QUEUED") {
    t.kind = TicketReply::kNotQueued;
  } else if (status == "INVALID_ARGUMENT") {
    return InvalidFromScript(e);
  } else {
    return BadReply(script);
  }
  return t;
}

}  // namespace

QueueStore::QueueStore(std::shared_ptr<RedisClient> redis,
                       std::chrono::milliseconds place_ttl,
                       std::chrono::milliseconds timeout)
    : redis_(std::move(redis)),
      place_ttl_ms_(std::to_string(place_ttl.count())),
      timeout_(timeout) {}

void QueueStore::StartCall(const LuaScript& script, const QueueProduct& product,
                           RedisArgs& args) const {
  args.StartEval(script, 5);
  for (const std::string& key : product.Keys()) args.Add(key);
}

absl::StatusOr<QueueState> QueueStore::Configure(const QueueProduct& product,
                                                 int64_t rate_milli,
                                                 int64_t max_length,
                                                 int64_t pass_ttl_ms) {
  const LuaScript& script = Script("queue_config");
  RedisArgs args;
  StartCall(script, product, args);
  args.Add("set").AddInt(rate_milli).AddInt(max_length).AddInt(pass_ttl_ms);
  args.Add(place_ttl_ms_);
  auto reply = redis_->Eval(script, args, timeout_);
  if (!reply.ok()) return reply.status();
  const auto e = Elements(**reply);
  if (e.empty()) return BadReply("queue_config");
  if (Str(*e[0]) == "INVALID_ARGUMENT") return InvalidFromScript(e);
  if (Str(*e[0]) != "OK" || e.size() != 4) return BadReply("queue_config");
  QueueState s;
  s.queued = true;
  s.rate_milli = rate_milli;
  s.max_length = max_length;
  s.pass_ttl_ms = pass_ttl_ms;
  s.waiting = Int(*e[1]);
  s.admitted = Int(*e[2]);
  return s;
}

absl::Status QueueStore::Remove(const QueueProduct& product) {
  const LuaScript& script = Script("queue_config");
  RedisArgs args;
  StartCall(script, product, args);
  args.Add("remove");
  auto reply = redis_->Eval(script, args, timeout_);
  if (!reply.ok()) return reply.status();
  const auto e = Elements(**reply);
  if (e.empty() || Str(*e[0]) != "OK") return BadReply("queue_config");
  return absl::OkStatus();
}

absl::StatusOr<QueueState> QueueStore::Read(const QueueProduct& product) {
  const LuaScript& script = Script("queue_read");
  RedisArgs args;
  StartCall(script, product, args);
  args.Add(place_ttl_ms_);
  auto reply = redis_->Eval(script, args, timeout_);
  if (!reply.ok()) return reply.status();
  const auto e = Elements(**reply);
  if (e.empty()) return BadReply("queue_read");
  QueueState s;
  if (Str(*e[0]) == "NOT_QUEUED") return s;
  if (Str(*e[0]) == "INVALID_ARGUMENT") return InvalidFromScript(e);
  if (Str(*e[0]) != "OK" || e.size() != 7) return BadReply("queue_read");
  s.queued = true;
  s.rate_milli = Int(*e[1]);
  s.max_length = Int(*e[2]);
  s.pass_ttl_ms = Int(*e[3]);
  s.waiting = Int(*e[4]);
  s.admitted = Int(*e[5]);
  return s;
}

absl::StatusOr<TicketReply> QueueStore::TicketCall(const LuaScript& script,
                                                   const QueueProduct& product,
                                                   absl::string_view user) {
  RedisArgs args;
  StartCall(script, product, args);
  args.Add(user).Add(place_ttl_ms_);
  auto reply = redis_->Eval(script, args, timeout_);
  if (!reply.ok()) return reply.status();
  return ParseTicket(**reply, script.name);
}

absl::StatusOr<TicketReply> QueueStore::Join(const QueueProduct& product,
                                             absl::string_view user) {
  return TicketCall(Script("queue_join"), product, user);
}

absl::StatusOr<TicketReply> QueueStore::Ticket(const QueueProduct& product,
                                               absl::string_view user) {
  return TicketCall(Script("queue_ticket"), product, user);
}

absl::StatusOr<std::vector<UseReply>> QueueStore::Use(
    absl::Span<const QueueProduct> products, absl::string_view user,
    absl::Span<const int64_t> expiry_ms) {
  const LuaScript& script = Script("queue_use");
  std::vector<RedisArgs> calls(products.size());
  std::vector<const RedisArgs*> pointers;
  for (size_t i = 0; i < products.size(); ++i) {
    StartCall(script, products[i], calls[i]);
    calls[i].Add(user).AddInt(expiry_ms[i]);
    pointers.push_back(&calls[i]);
  }
  auto replies = redis_->EvalBatch(script, pointers, timeout_);
  std::vector<UseReply> out;
  for (auto& reply : replies) {
    if (!reply.ok()) return reply.status();
    const auto e = Elements(**reply);
    if (e.empty()) return BadReply("queue_use");
    const absl::string_view status = Str(*e[0]);
    UseReply u;
    if (status == "NOT_QUEUED") {
      u.kind = UseReply::kNotQueued;
    } else if (status == "OK") {
      u.kind = UseReply::kOk;
    } else if (status == "NOT_ADMITTED" && e.size() == 2) {
      u.kind = UseReply::kNotAdmitted;
      u.why = std::string(Str(*e[1]));
    } else if (status == "INVALID_ARGUMENT") {
      return InvalidFromScript(e);
    } else {
      return BadReply("queue_use");
    }
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace turnstile::gateway
