// turnstilectl: the operator's admin CLI. Reads transactions, stock and orders
// through the services' gRPC APIs, makes waiting transactions due now, runs
// migrations, and checks the invariants of DESIGN.md §4 on the databases
// (exit code 1 on any violation). `token` mints an HS256 bearer token for
// the gateway from the local secret file, with no server involved.
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "services/common/clients.h"
#include "services/common/migrate.h"
#include "services/common/pg_password.h"
#include "services/common/process.h"
#include "services/common/range_gate.h"
#include "services/common/redis_client.h"
#include "services/common/redis_flags.h"
#include "services/common/status.h"
#include "services/gateway/jwt/jwt_flags.h"
#include "services/gateway/jwt/jwt_mint.h"
#include "tools/format.h"
#include "tools/invariants.h"
#include "tools/limit_gate_check.h"
#include "tools/range_gate_check.h"
#include "turnstile/v1/booking.grpc.pb.h"
#include "turnstile/v1/coordinator.grpc.pb.h"
#include "turnstile/v1/inventory.grpc.pb.h"
#include "turnstile/v1/order.grpc.pb.h"
#include "turnstile/v1/seat.grpc.pb.h"

ABSL_FLAG(std::string, coordinator, "127.0.0.1:50050", "coordinator address");
ABSL_FLAG(std::string, inventory, "127.0.0.1:50051", "inventory address");
ABSL_FLAG(std::string, order, "127.0.0.1:50054", "order address");
ABSL_FLAG(std::string, seat, "127.0.0.1:50052", "seat address");
ABSL_FLAG(std::string, booking, "127.0.0.1:50056", "booking address");
ABSL_FLAG(bool, check_gates, false,
          "check: also compare every range gate in Redis (--redis) with the "
          "booking database; run it on a quiet system after `reconcile`");
ABSL_FLAG(std::string, pg_base, "host=127.0.0.1 port=5432 user=postgres",
          "libpq conninfo without dbname, for check and migrate, of a "
          "superuser; its password comes from --pg_password_file");
ABSL_FLAG(std::string, db_prefix, "turnstile",
          "databases are <prefix>_<service>");
ABSL_FLAG(std::string, state, "", "txn list: only this state (e.g. TRYING)");
ABSL_FLAG(std::string, participant, "", "txn list: only this participant");
ABSL_FLAG(int, limit, 50, "txn list: at most this many");
ABSL_FLAG(bool, stuck, false,
          "txn list: only transactions with a stuck branch (as the gauge "
          "turnstile_coordinator_stuck_branches counts them)");
ABSL_FLAG(int, horizon_s, 60,
          "check: a transaction still open this long after its deadline "
          "is a violation");
ABSL_FLAG(int, timeout_ms, 5000, "per-call timeout");
ABSL_FLAG(std::string, user, "", "token: the user id (sub) of the token");
ABSL_FLAG(bool, admin, false, "token: give the token the admin role");
ABSL_FLAG(absl::Duration, ttl, absl::Hours(1),
          "token: lifetime (e.g. 1h, 15m)");

namespace turnstile {
namespace {

constexpr char kUsage[] =
    "turnstilectl <command> [flags]\n"
    "commands:\n"
    "  txn list [--state=S] [--participant=P] [--stuck] [--limit=N]\n"
    "  txn get <gid>\n"
    "  retry <gid>          make a waiting transaction due now\n"
    "  stock <sku_id>\n"
    "  order <order_id>\n"
    "  check                verify the invariants (exit 1 on violation)\n"
    "  check --check_gates  ... and compare the range and day-limit gates with "
    "PostgreSQL\n"
    "  reconcile [sku|event|run <id> | venue <id> [<YYYY-MM-DD>]]\n"
    "                       rebuild/repair the Redis gates from PostgreSQL\n"
    "                       (every SKU, event, venue-day and run by default)\n"
    "  migrate              apply every service's migrations\n"
    "  token --user=U [--admin] [--ttl=1h]  print an HS256 bearer token for\n"
    "                       the gateway, signed with --jwt_hs256_secret_file\n"
    "                       (iss --jwt_issuer, aud --jwt_audience)\n";

std::chrono::milliseconds Timeout() {
  return std::chrono::milliseconds(absl::GetFlag(FLAGS_timeout_ms));
}

int Fail(const grpc::Status& status) {
  std::fprintf(stderr, "error: %s (%s)\n", status.error_message().c_str(),
               absl::StatusCodeToString(FromGrpc(status).code()).c_str());
  return status.error_code() == grpc::StatusCode::NOT_FOUND ? 3 : 2;
}

int TxnList(v1::Coordinator::Stub& stub) {
  v1::ListTransactionsRequest req;
  if (const auto s = absl::GetFlag(FLAGS_state); !s.empty()) {
    v1::TxnState state;
    if (!v1::TxnState_Parse("TXN_STATE_" + s, &state) &&
        !v1::TxnState_Parse(s, &state)) {
      std::fprintf(stderr, "unknown state %s\n", s.c_str());
      return 2;
    }
    req.set_state(state);
  }
  req.set_participant(absl::GetFlag(FLAGS_participant));
  req.set_stuck_only(absl::GetFlag(FLAGS_stuck));
  int remaining = absl::GetFlag(FLAGS_limit);
  int shown = 0;
  while (remaining > 0) {
    req.set_page_size(std::min(remaining, 1000));
    v1::ListTransactionsResponse resp;
    auto ctx = CallContext(Timeout());
    if (auto s = stub.ListTransactions(ctx.get(), req, &resp); !s.ok()) {
      return Fail(s);
    }
    for (const auto& t : resp.transactions()) {
      std::cout << tools::FormatTxn(t, false) << "\n";
      ++shown;
    }
    remaining -= resp.transactions_size();
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  std::cout << shown << " transaction(s)\n";
  return 0;
}

// Prints one service's reconciliation report; returns false on error.
template <typename Response>
bool PrintReconcile(const char* what, const grpc::Status& status,
                    const Response& resp, int64_t checked) {
  if (!status.ok()) {
    Fail(status);
    return false;
  }
  std::cout << what << ": " << checked << " checked, " << resp.keys_rebuilt()
            << " gate(s) rebuilt, " << resp.fixes() << " difference(s) fixed\n";
  for (const auto& d : resp.differences()) std::cout << "  " << d << "\n";
  return true;
}

// Reconcile of the booking participant's range gates.
bool ReconcileBookings(const v1::ReconcileBookingsRequest& req) {
  auto stub = v1::Booking::NewStub(
      MakeChannel(absl::GetFlag(FLAGS_booking), "booking"));
  v1::ReconcileBookingsResponse resp;
  auto ctx = CallContext(std::chrono::seconds(120));
  auto s = stub->Reconcile(ctx.get(), req, &resp);
  if (!s.ok()) {
    Fail(s);
    return false;
  }
  std::cout << "range gates: " << resp.gates_checked() << " checked, "
            << resp.gates_rebuilt() << " gate(s) rebuilt, " << resp.fixes()
            << " difference(s) fixed, " << resp.in_flight()
            << " hold(s) in flight kept\n";
  for (const auto& d : resp.differences()) std::cout << "  " << d << "\n";
  return true;
}

int Reconcile(const std::vector<std::string>& cmd) {
  const std::string what = cmd.size() >= 3 ? cmd[1] : "";
  const bool one = cmd.size() == 3 && (what == "sku" || what == "event" ||
                                       what == "run" || what == "venue");
  const bool venue_day = cmd.size() == 4 && what == "venue";
  if (cmd.size() != 1 && !one && !venue_day) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  bool ok = true;
  if (what.empty() || what == "sku") {
    auto stub = v1::Inventory::NewStub(
        MakeChannel(absl::GetFlag(FLAGS_inventory), "inventory"));
    v1::ReconcileRequest req;
    if (!what.empty()) req.set_sku_id(cmd[2]);
    v1::ReconcileResponse resp;
    auto ctx = CallContext(std::chrono::seconds(120));
    auto s = stub->Reconcile(ctx.get(), req, &resp);
    ok &= PrintReconcile("stock gates", s, resp, resp.skus_checked());
  }
  if (what.empty() || what == "event") {
    auto stub =
        v1::Seat::NewStub(MakeChannel(absl::GetFlag(FLAGS_seat), "seat"));
    v1::ReconcileSeatsRequest req;
    if (!what.empty()) req.set_event_id(cmd[2]);
    v1::ReconcileSeatsResponse resp;
    auto ctx = CallContext(std::chrono::seconds(120));
    auto s = stub->Reconcile(ctx.get(), req, &resp);
    ok &= PrintReconcile("seat gates", s, resp, resp.events_checked());
  }
  if (what.empty() || what == "run" || what == "venue") {
    v1::ReconcileBookingsRequest req;
    if (what == "run") req.set_run_id(cmd[2]);
    if (what == "venue") req.set_venue_id(cmd[2]);
    if (venue_day) req.set_venue_day(cmd[3]);
    ok &= ReconcileBookings(req);
  }
  return ok ? 0 : 2;
}

// `check --check_gates`: the range and day-limit gates against the booking
// database.
bool CheckGates(const tools::Databases& dbs) {
  auto options = RedisOptionsFromFlags();
  if (!options.ok()) {
    std::fprintf(stderr, "error: %s\n", options.status().ToString().c_str());
    return false;
  }
  RedisClient redis(*options);
  RangeGate gate(&redis);
  LimitGate limit_gate(&redis);
  auto ranges = tools::CheckRangeGates(dbs.at("booking"), gate);
  auto limits = ranges.ok()
                    ? tools::CheckLimitGates(dbs.at("booking"), limit_gate)
                    : ranges;
  if (!limits.ok()) {
    std::fprintf(stderr, "error: %s\n", limits.status().ToString().c_str());
    return false;
  }
  std::cout << tools::FormatResults({*ranges, *limits});
  return ranges->ok && limits->ok;
}

// `token`: no server, no TLS files; only the HS256 secret file.
int Token() {
  const gateway::JwtSettings settings = gateway::JwtSettingsFromFlags();
  if (settings.hs256_secret_file.empty()) {
    std::fputs("error: token needs --jwt_hs256_secret_file\n", stderr);
    return 2;
  }
  const std::string user = absl::GetFlag(FLAGS_user);
  if (user.empty()) {
    std::fputs("error: token needs --user\n", stderr);
    return 2;
  }
  const absl::Duration ttl = absl::GetFlag(FLAGS_ttl);
  if (ttl < absl::Seconds(1) || ttl > absl::Seconds(gateway::kMaxMintTtlS)) {
    std::fprintf(stderr, "error: --ttl must be 1s to %lldh\n",
                 static_cast<long long>(gateway::kMaxMintTtlS / 3600));
    return 2;
  }
  auto secret = gateway::ReadHs256Secret(settings.hs256_secret_file);
  if (!secret.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(secret.status().message()).c_str());
    return 2;
  }
  auto token = gateway::MintHs256(
      *secret, {.user = user,
                .admin = absl::GetFlag(FLAGS_admin),
                .ttl_s = absl::ToInt64Seconds(ttl),
                .issuer = settings.issuer,
                .audience = settings.audience,
                .now_s = static_cast<int64_t>(std::time(nullptr))});
  if (!token.ok()) {
    std::fprintf(stderr, "error: %s\n",
                 std::string(token.status().message()).c_str());
    return 2;
  }
  std::cout << *token << "\n";
  return 0;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args;
  if (!InitTool(argc, argv, "turnstilectl", &args)) return 2;
  std::vector<std::string> cmd(args.begin() + 1, args.end());
  if (cmd.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string& verb = cmd[0];
  if (verb == "token" && cmd.size() == 1) return Token();
  auto coordinator = [] {
    return v1::Coordinator::NewStub(
        MakeChannel(absl::GetFlag(FLAGS_coordinator), "coordinator"));
  };
  if (verb == "txn" && cmd.size() == 2 && cmd[1] == "list") {
    return TxnList(*coordinator());
  }
  if ((verb == "txn" && cmd.size() == 3 && cmd[1] == "get") ||
      (verb == "retry" && cmd.size() == 2)) {
    v1::Transaction txn;
    auto ctx = CallContext(Timeout());
    grpc::Status s;
    if (verb == "retry") {
      v1::RetryTransactionRequest req;
      req.set_gid(cmd[1]);
      s = coordinator()->RetryTransaction(ctx.get(), req, &txn);
    } else {
      v1::GetTransactionRequest req;
      req.set_gid(cmd[2]);
      s = coordinator()->GetTransaction(ctx.get(), req, &txn);
    }
    if (!s.ok()) return Fail(s);
    std::cout << tools::FormatTxn(txn, true) << "\n";
    return 0;
  }
  if (verb == "stock" && cmd.size() == 2) {
    auto stub = v1::Inventory::NewStub(
        MakeChannel(absl::GetFlag(FLAGS_inventory), "inventory"));
    v1::GetSkuRequest req;
    req.set_sku_id(cmd[1]);
    v1::Sku sku;
    auto ctx = CallContext(Timeout());
    if (auto s = stub->GetSku(ctx.get(), req, &sku); !s.ok()) return Fail(s);
    std::cout << tools::FormatSku(sku) << "\n";
    return 0;
  }
  if (verb == "order" && cmd.size() == 2) {
    auto stub =
        v1::Order::NewStub(MakeChannel(absl::GetFlag(FLAGS_order), "order"));
    v1::GetOrderRequest req;
    req.set_order_id(cmd[1]);
    v1::OrderInfo order;
    auto ctx = CallContext(Timeout());
    if (auto s = stub->GetOrder(ctx.get(), req, &order); !s.ok()) {
      return Fail(s);
    }
    std::cout << tools::FormatOrder(order) << "\n";
    return 0;
  }
  if (verb == "reconcile") return Reconcile(cmd);
  const auto pg_base = PgConninfoFromFlags(absl::GetFlag(FLAGS_pg_base));
  if (!pg_base.ok()) {
    std::fprintf(stderr, "error: %s\n", pg_base.status().ToString().c_str());
    return 2;
  }
  const auto dbs =
      tools::DatabasesFor(*pg_base, absl::GetFlag(FLAGS_db_prefix));
  if (verb == "check" && cmd.size() == 1) {
    auto results = tools::CheckInvariants(
        dbs, {.horizon_seconds = absl::GetFlag(FLAGS_horizon_s)});
    if (!results.ok()) {
      std::fprintf(stderr, "error: %s\n", results.status().ToString().c_str());
      return 2;
    }
    std::cout << tools::FormatResults(*results);
    bool ok = tools::AllOk(*results);
    if (absl::GetFlag(FLAGS_check_gates)) ok &= CheckGates(dbs);
    std::cout << (ok ? "all invariants hold\n" : "INVARIANTS VIOLATED\n");
    return ok ? 0 : 1;
  }
  if (verb == "migrate" && cmd.size() == 1) {
    for (const auto& [service, conninfo] : dbs) {
      auto applied = Migrate(conninfo, MigrationDir(service));
      if (!applied.ok()) {
        std::fprintf(stderr, "%s: %s\n", service.c_str(),
                     applied.status().ToString().c_str());
        return 2;
      }
      std::cout << service << ": " << *applied << " migration(s) applied\n";
    }
    return 0;
  }
  std::fputs(kUsage, stderr);
  return 2;
}

}  // namespace
}  // namespace turnstile

int main(int argc, char** argv) { return turnstile::Main(argc, argv); }
