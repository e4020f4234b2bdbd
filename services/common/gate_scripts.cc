#include "services/common/gate_scripts.h"

#include <array>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "services/common/gate_reply.h"
#include "services/common/status.h"

namespace turnstile {
namespace {

constexpr std::array<std::pair<GateStatus, absl::string_view>, 15>
    kStatusNames = {{
        {GateStatus::kOk, "OK"},
        {GateStatus::kDuplicate, "DUPLICATE"},
        {GateStatus::kCancelled, "CANCELLED"},
        {GateStatus::kCommitted, "COMMITTED"},
        {GateStatus::kNotFound, "NOT_FOUND"},
        {GateStatus::kSoldOut, "SOLD_OUT"},
        {GateStatus::kUserLimit, "USER_LIMIT"},
        {GateStatus::kSeatTaken, "SEAT_TAKEN"},
        {GateStatus::kNotOwner, "NOT_OWNER"},
        {GateStatus::kTaken, "TAKEN"},
        {GateStatus::kExpired, "EXPIRED"},
        {GateStatus::kNotInitialized, "NOT_INITIALIZED"},
        {GateStatus::kExists, "EXISTS"},
        {GateStatus::kConflict, "CONFLICT"},
        {GateStatus::kInvalidArgument, "INVALID_ARGUMENT"},
    }};

struct Scripts {
  const LuaScript& stock_init = RequiredLuaScript("stock_init");
  const LuaScript& stock_reserve = RequiredLuaScript("stock_reserve");
  const LuaScript& stock_release = RequiredLuaScript("stock_release");
  const LuaScript& stock_commit = RequiredLuaScript("stock_commit");
  const LuaScript& stock_read = RequiredLuaScript("stock_read");
  const LuaScript& seat_init = RequiredLuaScript("seat_init");
  const LuaScript& seat_hold = RequiredLuaScript("seat_hold");
  const LuaScript& seat_release = RequiredLuaScript("seat_release");
  const LuaScript& seat_commit = RequiredLuaScript("seat_commit");
  const LuaScript& seat_read = RequiredLuaScript("seat_read");
};

const Scripts& S() {
  static const Scripts scripts;
  return scripts;
}

using gate_internal::AddKey;
using gate_internal::AddOwner;
using gate_internal::InitModeName;
using gate_internal::ReadHead;
using gate_internal::ReadSeats;
using gate_internal::ReplyReader;
using gate_internal::Run;
using gate_internal::ThreadArgs;

}  // namespace

absl::string_view GateStatusName(GateStatus status) {
  for (const auto& [s, name] : kStatusNames) {
    if (s == status) return name;
  }
  return "UNKNOWN";
}

bool ParseGateStatus(absl::string_view name, GateStatus* status) {
  for (const auto& [s, n] : kStatusNames) {
    if (n == name) {
      *status = s;
      return true;
    }
  }
  return false;
}

absl::Status TryStatus(GateStatus status, absl::string_view message) {
  switch (status) {
    case GateStatus::kOk:
    case GateStatus::kDuplicate:
      return absl::OkStatus();
    case GateStatus::kSoldOut:
      return Refused("SOLD_OUT", message.empty() ? "sold out" : message);
    case GateStatus::kUserLimit:
      return Refused("USER_LIMIT",
                     message.empty() ? "per-user limit reached" : message);
    case GateStatus::kSeatTaken:
      return Refused("SEAT_TAKEN",
                     message.empty() ? "seat already taken" : message);
    case GateStatus::kCancelled:
      return Error(absl::StatusCode::kAborted, "BRANCH_CANCELLED",
                   message.empty() ? "branch already cancelled" : message);
    case GateStatus::kExpired:
      return Error(absl::StatusCode::kAborted, "TXN_DEADLINE",
                   message.empty() ? "hold expiry already passed" : message);
    case GateStatus::kNotInitialized:
      return Error(absl::StatusCode::kUnavailable, "GATE_NOT_INITIALIZED",
                   message.empty() ? "redis gate not initialized" : message);
    case GateStatus::kInvalidArgument:
      return InvalidArgument(message);
    default:
      return Error(
          absl::StatusCode::kInternal, "GATE_UNEXPECTED",
          absl::StrCat("unexpected gate answer ", GateStatusName(status)));
  }
}

std::string OwnerString(const GateOwner& owner) {
  return absl::StrCat(owner.gid, ":", owner.branch_id);
}

// --- parsers ------------------------------------------------------------

absl::StatusOr<StockGateResult> ParseStockReply(const redisReply& reply) {
  ReplyReader in(reply);
  StockGateResult out;
  if (!ReadHead(in, out)) {
    out.remaining = in.Int();
    out.user_units = in.Int();
    out.quantity = in.Int();
  }
  if (auto s = in.Done("a stock script"); !s.ok()) return s;
  return out;
}

absl::StatusOr<StockInitResult> ParseStockInitReply(const redisReply& reply) {
  ReplyReader in(reply);
  StockInitResult out;
  if (!ReadHead(in, out)) {
    out.remaining = in.Int();
    out.per_user_limit = in.Int();
    out.ver = in.Int();
  }
  if (auto s = in.Done("stock_init"); !s.ok()) return s;
  return out;
}

absl::StatusOr<StockSnapshot> ParseStockReadReply(const redisReply& reply) {
  ReplyReader in(reply);
  StockSnapshot out;
  if (!ReadHead(in, out)) {
    out.remaining = in.Int();
    out.per_user_limit = in.Int();
    out.ver = in.Int();
    out.now_ms = in.Int();
    const size_t n_users = in.Count(2);
    out.user_units.reserve(n_users);
    for (size_t i = 0; i < n_users; ++i) {
      std::string user(in.Str());
      out.user_units.emplace_back(std::move(user), in.Int());
    }
    const size_t n_res = in.Count(4);
    out.reservations.reserve(n_res);
    for (size_t i = 0; i < n_res; ++i) {
      GateReservation r;
      r.owner = std::string(in.Str());
      r.quantity = in.Int();
      r.user_id = std::string(in.Str());
      r.created_ms = in.Int();
      out.reservations.push_back(std::move(r));
    }
  }
  if (auto s = in.Done("stock_read"); !s.ok()) return s;
  return out;
}

absl::StatusOr<SeatGateResult> ParseSeatHoldReply(const redisReply& reply) {
  ReplyReader in(reply);
  SeatGateResult out;
  if (!ReadHead(in, out)) {
    if (out.status == GateStatus::kSeatTaken) {
      out.conflicts = ReadSeats(in, in.Count(1));
    } else {
      out.seats = in.Int();
      out.expiry_ms = in.Int();
    }
  }
  if (auto s = in.Done("seat_hold"); !s.ok()) return s;
  return out;
}

absl::StatusOr<SeatGateResult> ParseSeatReleaseReply(const redisReply& reply) {
  ReplyReader in(reply);
  SeatGateResult out;
  if (!ReadHead(in, out)) {
    out.seats = in.Int();
    out.conflicts = ReadSeats(in, in.Count(1));
  }
  if (auto s = in.Done("seat_release"); !s.ok()) return s;
  return out;
}

absl::StatusOr<SeatGateResult> ParseSeatCommitReply(const redisReply& reply) {
  ReplyReader in(reply);
  SeatGateResult out;
  if (!ReadHead(in, out)) {
    out.seats = in.Int();
    out.reclaimed = in.Int();
    out.conflicts = ReadSeats(in, in.Count(1));
  }
  if (auto s = in.Done("seat_commit"); !s.ok()) return s;
  return out;
}

absl::StatusOr<SeatInitResult> ParseSeatInitReply(const redisReply& reply) {
  ReplyReader in(reply);
  SeatInitResult out;
  if (!ReadHead(in, out)) {
    out.ver = in.Int();
    out.seats = in.Int();
  }
  if (auto s = in.Done("seat_init"); !s.ok()) return s;
  return out;
}

absl::StatusOr<SeatSnapshot> ParseSeatReadReply(const redisReply& reply) {
  ReplyReader in(reply);
  SeatSnapshot out;
  if (!ReadHead(in, out)) {
    out.ver = in.Int();
    out.now_ms = in.Int();
    const size_t n = in.Count(4);
    out.seats.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      GateSeat seat;
      seat.seat_id = std::string(in.Str());
      const absl::string_view state = in.Str();
      if (state == "H") {
        seat.state = GateSeatState::kHeld;
      } else if (state == "S") {
        seat.state = GateSeatState::kSold;
      } else {
        return Error(absl::StatusCode::kInternal, "REDIS_BAD_REPLY",
                     "unexpected seat state in seat_read reply");
      }
      seat.owner = std::string(in.Str());
      seat.expiry_ms = in.Int();
      out.seats.push_back(std::move(seat));
    }
  }
  if (auto s = in.Done("seat_read"); !s.ok()) return s;
  return out;
}

// --- StockGate ------------------------------------------------------------

StockGate::StockGate(RedisClient* redis, GateOptions options)
    : redis_(redis), options_(options) {}

namespace {
// KEYS of the per-owner stock scripts.
void AddStockKeys(RedisArgs& args, absl::string_view sku_id,
                  const GateOwner& owner) {
  AddKey(args, "sku", sku_id, "stock");
  AddKey(args, "sku", sku_id, "users");
  AddKey(args, "sku", sku_id, "res");
  AddKey(args, "sku", sku_id, "done:", owner.gid, owner.branch_id);
}
}  // namespace

absl::StatusOr<StockInitResult> StockGate::Init(absl::string_view sku_id,
                                                const StockInitSpec& spec) {
  RedisArgs args;  // bulk call: its own buffer, freed afterwards
  args.StartEval(S().stock_init, 3);
  AddKey(args, "sku", sku_id, "stock");
  AddKey(args, "sku", sku_id, "users");
  AddKey(args, "sku", sku_id, "res");
  args.Add(InitModeName(spec.mode))
      .AddInt(spec.expected_ver)
      .AddInt(spec.remaining)
      .AddInt(spec.per_user_limit)
      .AddInt(static_cast<int64_t>(spec.user_units.size()));
  for (const auto& [user, units] : spec.user_units)
    args.Add(user).AddInt(units);
  args.AddInt(static_cast<int64_t>(spec.reservations.size()));
  for (const GateReservation& r : spec.reservations) {
    args.Add(r.owner).AddInt(r.quantity).Add(r.user_id);
  }
  return Run<StockInitResult>(redis_, S().stock_init, args,
                              &ParseStockInitReply, options_.bulk_timeout);
}

absl::StatusOr<StockGateResult> StockGate::Reserve(absl::string_view sku_id,
                                                   const GateOwner& owner,
                                                   absl::string_view user_id,
                                                   int64_t quantity) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().stock_reserve, 4);
  AddStockKeys(args, sku_id, owner);
  AddOwner(args, owner);
  args.Add(user_id).AddInt(quantity);
  return Run<StockGateResult>(redis_, S().stock_reserve, args,
                              &ParseStockReply);
}

absl::StatusOr<StockGateResult> StockGate::Release(absl::string_view sku_id,
                                                   const GateOwner& owner) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().stock_release, 4);
  AddStockKeys(args, sku_id, owner);
  AddOwner(args, owner);
  args.AddInt(options_.record_ttl.count());
  return Run<StockGateResult>(redis_, S().stock_release, args,
                              &ParseStockReply);
}

absl::StatusOr<StockGateResult> StockGate::Commit(absl::string_view sku_id,
                                                  const GateOwner& owner) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().stock_commit, 4);
  AddStockKeys(args, sku_id, owner);
  AddOwner(args, owner);
  args.AddInt(options_.record_ttl.count());
  return Run<StockGateResult>(redis_, S().stock_commit, args, &ParseStockReply);
}

absl::StatusOr<StockSnapshot> StockGate::Read(absl::string_view sku_id) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().stock_read, 3);
  AddKey(args, "sku", sku_id, "stock");
  AddKey(args, "sku", sku_id, "users");
  AddKey(args, "sku", sku_id, "res");
  return Run<StockSnapshot>(redis_, S().stock_read, args, &ParseStockReadReply,
                            options_.bulk_timeout);
}

// --- SeatGate -------------------------------------------------------------

SeatGate::SeatGate(RedisClient* redis, GateOptions options)
    : redis_(redis), options_(options) {}

namespace {
void AddSeatKeys(RedisArgs& args, absl::string_view event_id,
                 const GateOwner& owner) {
  AddKey(args, "evt", event_id, "meta");
  AddKey(args, "evt", event_id, "seats");
  AddKey(args, "evt", event_id, "own:", owner.gid, owner.branch_id);
}

void AddSeatList(RedisArgs& args, absl::Span<const std::string> seat_ids) {
  args.AddInt(static_cast<int64_t>(seat_ids.size()));
  for (const std::string& seat : seat_ids) args.Add(seat);
}
}  // namespace

absl::StatusOr<SeatInitResult> SeatGate::Init(absl::string_view event_id,
                                              const SeatInitSpec& spec) {
  RedisArgs args;
  args.StartEval(S().seat_init, 2);
  AddKey(args, "evt", event_id, "meta");
  AddKey(args, "evt", event_id, "seats");
  args.Add(InitModeName(spec.mode))
      .AddInt(spec.expected_ver)
      .AddInt(static_cast<int64_t>(spec.seats.size()));
  for (const GateSeat& seat : spec.seats) {
    args.Add(seat.seat_id)
        .Add(seat.state == GateSeatState::kSold ? "S" : "H")
        .Add(seat.owner)
        .AddInt(seat.expiry_ms);
  }
  return Run<SeatInitResult>(redis_, S().seat_init, args, &ParseSeatInitReply,
                             options_.bulk_timeout);
}

absl::StatusOr<SeatGateResult> SeatGate::Hold(
    absl::string_view event_id, const GateOwner& owner,
    absl::Span<const std::string> seat_ids, int64_t expiry_ms) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().seat_hold, 3);
  AddSeatKeys(args, event_id, owner);
  AddOwner(args, owner);
  args.AddInt(expiry_ms).AddInt(options_.record_ttl.count());
  AddSeatList(args, seat_ids);
  return Run<SeatGateResult>(redis_, S().seat_hold, args, &ParseSeatHoldReply);
}

absl::StatusOr<SeatGateResult> SeatGate::Release(
    absl::string_view event_id, const GateOwner& owner,
    absl::Span<const std::string> seat_ids) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().seat_release, 3);
  AddSeatKeys(args, event_id, owner);
  AddOwner(args, owner);
  args.AddInt(options_.record_ttl.count());
  AddSeatList(args, seat_ids);
  return Run<SeatGateResult>(redis_, S().seat_release, args,
                             &ParseSeatReleaseReply);
}

absl::StatusOr<SeatGateResult> SeatGate::Commit(
    absl::string_view event_id, const GateOwner& owner,
    absl::Span<const std::string> seat_ids) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().seat_commit, 3);
  AddSeatKeys(args, event_id, owner);
  AddOwner(args, owner);
  args.AddInt(options_.record_ttl.count());
  AddSeatList(args, seat_ids);
  return Run<SeatGateResult>(redis_, S().seat_commit, args,
                             &ParseSeatCommitReply);
}

absl::StatusOr<SeatSnapshot> SeatGate::Read(absl::string_view event_id) {
  RedisArgs& args = ThreadArgs();
  args.StartEval(S().seat_read, 2);
  AddKey(args, "evt", event_id, "meta");
  AddKey(args, "evt", event_id, "seats");
  return Run<SeatSnapshot>(redis_, S().seat_read, args, &ParseSeatReadReply,
                           options_.bulk_timeout);
}

}  // namespace turnstile
