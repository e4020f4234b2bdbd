#include "services/common/pg_pool.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/common/status.h"

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
  if (dynamic_cast<const pqxx::broken_connection*>(&e) ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e)) {
    return Error(absl::StatusCode::kUnavailable, "DB_UNAVAILABLE", e.what());
  }
  if (dynamic_cast<const pqxx::serialization_failure*>(&e) ||
      dynamic_cast<const pqxx::deadlock_detected*>(&e)) {
    return Error(absl::StatusCode::kUnavailable, "DB_CONFLICT", e.what());
  }
  if (dynamic_cast<const pqxx::check_violation*>(&e)) {
    return Error(absl::StatusCode::kFailedPrecondition, "CONSTRAINT", e.what());
  }
  if (dynamic_cast<const pqxx::unique_violation*>(&e)) {
    return Error(absl::StatusCode::kAlreadyExists, "ALREADY_EXISTS", e.what());
  }
  return Error(absl::StatusCode::kInternal, "DB_ERROR", e.what());
}

PgPool::PgPool(std::string conninfo, int size, Prepare prepare)
    : conninfo_(std::move(conninfo)),
      size_(size),
      prepare_(std::move(prepare)) {}

PgPool::Lease::Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn)
    : pool_(pool), conn_(std::move(conn)) {}

PgPool::Lease::~Lease() {
  if (pool_ && conn_) pool_->Release(std::move(conn_));
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, wait,
                    [&] { return !idle_.empty() || open_ < size_; })) {
    return Error(absl::StatusCode::kUnavailable, "DB_POOL_EXHAUSTED",
                 "no database connection free");
  }
  if (!idle_.empty()) {
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
    cv_.notify_one();
    spdlog::warn("event=db_connect_failed error=\"{}\"", e.what());
    return Error(absl::StatusCode::kUnavailable, "DB_UNAVAILABLE",
                 absl::StrCat("cannot connect to database: ", e.what()));
  }
}

void PgPool::Release(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard lock(mu_);
  if (conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;  // dropped; a new one is made on demand
  }
  cv_.notify_one();
}

}  // namespace turnstile
