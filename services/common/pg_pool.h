// A bounded pool of PostgreSQL connections (libpqxx) plus the helper that runs
// one local transaction on a pooled connection and turns libpqxx exceptions
// into absl statuses. Stores use it; nothing else talks to PostgreSQL. The
// wait for a connection is bounded twice (DESIGN.md §7): at most
// --pg_pool_max_waiters callers wait, one more is refused at once, and none
// waits longer than --pg_pool_max_wait_ms; both refusals are
// RESOURCE_EXHAUSTED with a retry delay (services/common/overload.h).
// Each pool reports its use under its name (pg_pool_metrics.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/pg_pool_metrics.h"

namespace turnstile {

// Maps a libpqxx/std exception to a status: broken connection and
// serialization/deadlock failures -> UNAVAILABLE (retryable), check
// violation -> FAILED_PRECONDITION, unique violation -> ALREADY_EXISTS,
// anything else -> INTERNAL. Their messages are generic, with a correlation
// id where the log has the database's text (internal_error.h): a client never
// sees a table, a statement or a host. An error raised by one of our SQL
// functions as 'turnstile:<CODE>:<REASON>:<message>' (CODE as
// absl::StatusCodeToString prints it, e.g. FAILED_PRECONDITION) is
// deliberate and becomes that status, reason and message.
absl::Status StatusFromException(const std::exception& e);

// How long and how many callers may wait for a connection, and the name the
// pool's metrics carry (label pool=...).
struct PgPoolLimits {
  int max_waiters = 256;
  std::chrono::milliseconds max_wait{500};
  std::string name = "main";
  // --pg_pool_max_waiters and --pg_pool_max_wait_ms, under `name`.
  static PgPoolLimits FromFlags(std::string name = "main");
};

class PgPool {
 public:
  // Called once on each new connection, e.g. to prepare statements.
  using Prepare = std::function<void(pqxx::connection&)>;

  PgPool(std::string conninfo, int size, Prepare prepare = nullptr,
         PgPoolLimits limits = PgPoolLimits::FromFlags());
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;
  ~PgPool();

  // A borrowed connection, returned to the pool on destruction.
  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn);
    Lease(Lease&&) = default;
    ~Lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }

   private:
    PgPool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
  };

  // A free connection (connecting lazily), waiting up to the pool's
  // max_wait or `wait` for one; RESOURCE_EXHAUSTED (OVERLOADED) when too
  // many callers wait already or the wait runs out.
  absl::StatusOr<Lease> Acquire();
  absl::StatusOr<Lease> Acquire(std::chrono::milliseconds wait);

  // Runs `fn(pqxx::work&)` in one read-committed transaction and commits it
  // if fn returns OK (absl::Status or absl::StatusOr<T>); rolls back
  // otherwise. Exceptions become statuses.
  template <typename F>
  auto Transact(F&& fn) -> decltype(fn(std::declval<pqxx::work&>())) {
    return Run<pqxx::work>(std::forward<F>(fn));
  }

  // Runs `fn(pqxx::nontransaction&)`: every statement commits on its own.
  // For one statement, e.g. a server-side function doing a whole TCC phase,
  // that is one round trip instead of BEGIN, statement, COMMIT.
  template <typename F>
  auto Autocommit(F&& fn)
      -> decltype(fn(std::declval<pqxx::nontransaction&>())) {
    return Run<pqxx::nontransaction>(std::forward<F>(fn));
  }

  int size() const { return size_; }

 private:
  // `fn` on a pooled connection inside a Tx, committed if fn returned OK.
  template <typename Tx, typename F>
  auto Run(F&& fn) -> decltype(fn(std::declval<Tx&>())) {
    auto lease = Acquire();
    if (!lease.ok()) return lease.status();
    try {
      Tx tx(**lease);
      auto result = fn(tx);
      if (result.ok()) tx.commit();
      return result;
    } catch (const std::exception& e) {
      return StatusFromException(e);
    }
  }

  void Release(std::unique_ptr<pqxx::connection> conn);

  const std::string conninfo_;  // may hold a password: never log it
  const int size_;
  const Prepare prepare_;
  const PgPoolLimits limits_;
  const PgPoolMetrics metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;     // connections created and not discarded
  int waiting_ = 0;  // callers in Acquire waiting for a release
};

// The first column of prepared statement `statement` (with `args`) as
// strings, in one autocommit read: id lists (every event, every gate key, a
// page of SKU ids).
template <typename... Args>
absl::StatusOr<std::vector<std::string>> FirstColumn(PgPool& pool,
                                                     const char* statement,
                                                     const Args&... args) {
  return pool.Autocommit([&](pqxx::nontransaction& tx)
                             -> absl::StatusOr<std::vector<std::string>> {
    std::vector<std::string> values;
    for (const auto& row : tx.exec_prepared(statement, args...)) {
      values.push_back(row[0].template as<std::string>());
    }
    return values;
  });
}

}  // namespace turnstile
