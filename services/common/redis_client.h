// A small synchronous Redis client for the gate (DESIGN.md §5) on hiredis
// 0.14: a bounded pool of connections (size it like the PostgreSQL pool: the
// same request threads use both), connect and per-command timeouts,
// reconnection after any connection error, and EVALSHA of the embedded Lua
// scripts with SCRIPT LOAD and one retry on NOSCRIPT. A transport failure is
// UNAVAILABLE with reason REDIS_UNAVAILABLE, so callers treat Redis like any
// other transient dependency. Commands are built in a reusable RedisArgs so
// that the hot path allocates nothing beyond what hiredis itself needs.
// The gauge turnstile_redis_up says whether the last command could use Redis
// (1) or found it unreachable or refusing (0: connect, AUTH or I/O failure,
// or a transient error reply such as LOADING or READONLY); it is written only
// when that changes, and appears with the first command. One per process:
// with several clients the last change wins.
#pragma once

#include <hiredis/hiredis.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "services/common/lua_scripts.h"

namespace turnstile {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // Sent with AUTH on every new connection (reconnects included) if set;
  // never logged.
  std::string password;
  int pool_size = 16;
  std::chrono::milliseconds connect_timeout{500};
  std::chrono::milliseconds command_timeout{500};
  // How long a caller waits for a free connection before UNAVAILABLE.
  std::chrono::milliseconds acquire_timeout{2000};
};

// Parses "host:port" (e.g. a --redis flag) into `options`.
absl::Status ParseRedisAddress(absl::string_view address,
                               RedisOptions* options);

struct RedisReplyDeleter {
  void operator()(redisReply* reply) const;
};
using RedisReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

// The arguments of one command, kept in one buffer so that a RedisArgs reused
// across calls (e.g. thread_local) stops allocating once it has grown.
class RedisArgs {
 public:
  RedisArgs& Clear();
  // Appends one argument made of the concatenated pieces.
  RedisArgs& Add(std::initializer_list<absl::string_view> pieces);
  RedisArgs& Add(absl::string_view arg) { return Add({arg}); }
  RedisArgs& AddInt(int64_t value);
  // Clear() + "EVALSHA <sha1> <num_keys>"; add the keys, then the arguments.
  RedisArgs& StartEval(const LuaScript& script, int num_keys);

  size_t size() const { return ends_.size(); }
  absl::string_view operator[](size_t i) const;

 private:
  std::string buf_;
  std::vector<size_t> ends_;  // end offset of each argument in buf_
};

class RedisClient {
 public:
  explicit RedisClient(RedisOptions options);
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;
  ~RedisClient();

  // Runs one command. Error replies become statuses: transient ones
  // (LOADING, BUSY, OOM, READONLY, MASTERDOWN, TRYAGAIN, CLUSTERDOWN, MOVED,
  // ASK) and refused authentication (NOAUTH, WRONGPASS)
  // UNAVAILABLE/REDIS_UNAVAILABLE, others INTERNAL/REDIS_ERROR. A
  // pooled connection found dead (server restarted) is replaced and the
  // command sent once more, so use Command only for commands that are safe
  // to repeat (all gate scripts are). `timeout` 0 = options.command_timeout.
  absl::StatusOr<RedisReplyPtr> Command(
      const RedisArgs& args,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));
  absl::StatusOr<RedisReplyPtr> Command(
      std::initializer_list<absl::string_view> argv);

  // Runs `args` built with args.StartEval(script, ...). On NOSCRIPT (script
  // cache flushed, server restarted, failover) loads the script on the same
  // connection and retries once.
  absl::StatusOr<RedisReplyPtr> Eval(
      const LuaScript& script, const RedisArgs& args,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // Runs several calls of `script` (each built with StartEval) pipelined on
  // one connection: one write and one read for all of them, for callers
  // that batch many small independent calls (the gateway's rate limits).
  // One result per call, in order; a transport failure fails the calls not
  // yet answered with UNAVAILABLE (no retry: a call may have run). Calls
  // that find the script missing (NOSCRIPT) are sent again after loading
  // it, once.
  std::vector<absl::StatusOr<RedisReplyPtr>> EvalBatch(
      const LuaScript& script, absl::Span<const RedisArgs* const> calls,
      std::chrono::milliseconds timeout = std::chrono::milliseconds(0));

  // SCRIPT LOAD of every script (call at start-up; failure is not fatal,
  // Eval loads on demand). Checks that Redis computed the embedded SHA1.
  absl::Status LoadScripts(absl::Span<const LuaScript> scripts);

  // Number of NOSCRIPT reloads so far (tests and metrics).
  int64_t script_reloads() const;

  const RedisOptions& options() const { return options_; }

 private:
  struct Conn;
  struct ConnDeleter {
    void operator()(Conn* conn) const;
  };
  using ConnPtr = std::unique_ptr<Conn, ConnDeleter>;

  absl::StatusOr<ConnPtr> Acquire(bool* reused);
  absl::StatusOr<ConnPtr> Connect();
  void Release(ConnPtr conn);
  // Drops a broken connection; `server_gone` also drops the idle ones, which
  // are then most likely dead too.
  void Discard(ConnPtr conn, bool server_gone);
  // Sends args on conn; nullptr on a transport error (conn is then broken).
  RedisReplyPtr Send(Conn& conn, const RedisArgs& args, int* io_errno);
  // Appends `args` to the connection's output buffer (not sent yet).
  bool Append(Conn& conn, const RedisArgs& args);
  // An error reply as a status (transient/auth: UNAVAILABLE, else
  // INTERNAL), anything else as is.
  absl::StatusOr<RedisReplyPtr> Checked(RedisReplyPtr reply);
  absl::StatusOr<RedisReplyPtr> Execute(const RedisArgs& args,
                                        const LuaScript* script,
                                        std::chrono::milliseconds timeout);

  // Records whether Redis was usable; touches the gauge only on a change.
  void MarkUp(bool up);

  const RedisOptions options_;
  std::atomic<int> up_{-1};  // -1 unknown, 0 down, 1 up
  std::mutex up_mu_;         // taken only when up_ changes
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ConnPtr> idle_;
  int open_ = 0;  // connections created and not discarded
  std::atomic<int64_t> reloads_{0};
};

// A reply that is an error, as text ("" if it is not one).
absl::string_view RedisErrorText(const redisReply& reply);

}  // namespace turnstile
