#include "services/common/pg_pool.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/internal_error.h"
#include "services/common/overload.h"
#include "services/common/status.h"

ABSL_FLAG(int, pg_pool_max_waiters, 256,
          "Callers that may wait for a free PostgreSQL connection of a pool; "
          "one more is refused at once with RESOURCE_EXHAUSTED (the default "
          "matches --grpc_max_threads, 0 = never wait)");
ABSL_FLAG(int, pg_pool_max_wait_ms, 500,
          "Longest wait for a free PostgreSQL connection before the call is "
          "refused with RESOURCE_EXHAUSTED");

namespace turnstile {

namespace {

// A RAISE EXCEPTION (SQLSTATE P0001) whose primary message is
// 'turnstile:<CODE>:<REASON>:<message>' (libpq prefixes "ERROR:  " and
// appends CONTEXT lines). Only the first line counts: values quoted in
// other errors' DETAIL lines (a user id, say) cannot pose as one.
std::optional<absl::Status> RaisedByFunction(const pqxx::sql_error& e) {
  if (e.sqlstate() != "P0001") return std::nullopt;
  absl::string_view what = e.what();
  what = what.substr(0, what.find('\n'));
  const size_t at = what.find("turnstile:");
  if (at == absl::string_view::npos || at > 8) return std::nullopt;
  const absl::string_view rest = what.substr(at + 10);
  const std::vector<absl::string_view> parts =
      absl::StrSplit(rest, absl::MaxSplits(':', 2));
  if (parts.size() != 3) return std::nullopt;
  for (int c = 1; c <= 16; ++c) {
    const auto code = static_cast<absl::StatusCode>(c);
    if (absl::StatusCodeToString(code) == parts[0]) {
      return Error(code, std::string(parts[1]), parts[2]);
    }
  }
  return std::nullopt;
}

}  // namespace

absl::Status StatusFromException(const std::exception& e) {
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    if (auto raised = RaisedByFunction(*sql)) return *raised;
  }
  // The database's text (it names tables, constraints, key values, hosts)
  // goes to the log only.
  if (dynamic_cast<const pqxx::broken_connection*>(&e) ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e)) {
    return Concealed(absl::StatusCode::kUnavailable, "DB_UNAVAILABLE",
                     "storage temporarily unavailable; retry", "pg", e.what());
  }
  if (dynamic_cast<const pqxx::serialization_failure*>(&e) ||
      dynamic_cast<const pqxx::deadlock_detected*>(&e)) {
    // Routine under contention and retried; the text says nothing more.
    return Error(absl::StatusCode::kUnavailable, "DB_CONFLICT",
                 "conflicting concurrent update; retry");
  }
  if (dynamic_cast<const pqxx::check_violation*>(&e)) {
    return Concealed(absl::StatusCode::kFailedPrecondition, "CONSTRAINT",
                     "the request violates a stored constraint", "pg",
                     e.what());
  }
  if (dynamic_cast<const pqxx::unique_violation*>(&e)) {
    return Concealed(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS",
                     "already exists", "pg", e.what());
  }
  return InternalError("pg", e);
}

PgPoolLimits PgPoolLimits::FromFlags(std::string name) {
  PgPoolLimits limits;
  limits.name = std::move(name);
  limits.max_waiters = std::max(0, absl::GetFlag(FLAGS_pg_pool_max_waiters));
  limits.max_wait = std::chrono::milliseconds(
      std::max(0, absl::GetFlag(FLAGS_pg_pool_max_wait_ms)));
  return limits;
}

PgPool::PgPool(std::string conninfo, int size, Prepare prepare,
               PgPoolLimits limits)
    : conninfo_(std::move(conninfo)),
      size_(size),
      prepare_(std::move(prepare)),
      limits_(std::move(limits)),
      metrics_(PgPoolMetrics::For(limits_.name)) {
  metrics_.size.Increment(size_);
}

PgPool::~PgPool() {
  std::lock_guard lock(mu_);
  metrics_.size.Decrement(size_);
  metrics_.idle.Decrement(static_cast<double>(idle_.size()));
  // Leases must not outlive their pool; any left are counted out here.
  metrics_.in_use.Decrement(open_ - static_cast<double>(idle_.size()));
}

PgPool::Lease::Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn)
    : pool_(pool), conn_(std::move(conn)) {}

PgPool::Lease::~Lease() {
  if (pool_ && conn_) pool_->Release(std::move(conn_));
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire() {
  return Acquire(limits_.max_wait);
}

namespace {

// Observes a caller's wait when it leaves Acquire: declared before the lock,
// so it runs after the lock is released (the histogram takes its own).
struct WaitObserver {
  prometheus::Histogram& histogram;
  double seconds = -1;  // < 0: did not wait
  ~WaitObserver() {
    if (seconds >= 0) histogram.Observe(seconds);
  }
};

}  // namespace

absl::StatusOr<PgPool::Lease> PgPool::Acquire(std::chrono::milliseconds wait) {
  WaitObserver observer{metrics_.wait_seconds};
  std::unique_lock lock(mu_);
  auto counts = [&] {
    return PoolCounts{static_cast<int>(idle_.size()), open_, size_, waiting_};
  };
  PoolStep step = NextPoolStep(counts(), limits_.max_waiters);
  if (step == PoolStep::kRefuse) {
    lock.unlock();
    metrics_.refused_max_waiters.Increment();
    return RefuseOverload("pg_pool",
                          "too many calls waiting for storage; retry");
  }
  if (step == PoolStep::kWait) {
    ++waiting_;
    metrics_.waiters.Increment();
    const auto started = std::chrono::steady_clock::now();
    const bool freed = cv_.wait_for(
        lock, wait, [&] { return !idle_.empty() || open_ < size_; });
    --waiting_;
    metrics_.waiters.Decrement();
    observer.seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - started)
                           .count();
    if (!freed) {
      lock.unlock();
      metrics_.refused_max_wait.Increment();
      return RefuseOverload("pg_pool",
                            "no storage connection became free "
                            "in time; retry");
    }
    step = idle_.empty() ? PoolStep::kConnect : PoolStep::kUseIdle;
  }
  metrics_.in_use.Increment();
  if (step == PoolStep::kUseIdle) {
    metrics_.idle.Decrement();
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(conn));
  }
  ++open_;
  lock.unlock();
  try {
    auto conn = std::make_unique<pqxx::connection>(conninfo_);
    if (prepare_) prepare_(*conn);
    return Lease(this, std::move(conn));
  } catch (const std::exception& e) {
    lock.lock();
    --open_;
    metrics_.in_use.Decrement();
    cv_.notify_one();
    lock.unlock();
    return Concealed(absl::StatusCode::kUnavailable, "DB_UNAVAILABLE",
                     "storage temporarily unavailable; retry", "pg_connect",
                     e.what());
  }
}

void PgPool::Release(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard lock(mu_);
  metrics_.in_use.Decrement();
  if (conn->is_open()) {
    idle_.push_back(std::move(conn));
    metrics_.idle.Increment();
  } else {
    --open_;  // dropped; a new one is made on demand
  }
  cv_.notify_one();
}

}  // namespace turnstile
