#include "services/common/redis_client.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "services/common/internal_error.h"
#include "services/common/process.h"
#include "services/common/status.h"

namespace turnstile {
namespace {

constexpr char kUnavailable[] = "REDIS_UNAVAILABLE";

prometheus::Family<prometheus::Counter>& ErrorFamily() {
  static auto& family = prometheus::BuildCounter()
                            .Name("turnstile_redis_errors_total")
                            .Help("Redis failures by kind (connect, io, reply)")
                            .Register(Metrics());
  return family;
}

void CountError(const char* kind) {
  ErrorFamily().Add({{"kind", kind}}).Increment();
}

prometheus::Gauge& UpGauge() {
  static auto& gauge =
      prometheus::BuildGauge()
          .Name("turnstile_redis_up")
          .Help(
              "1 if the last Redis command of this process could use Redis, "
              "0 if Redis was unreachable or refused it (connect, AUTH, "
              "I/O, LOADING/READONLY-like replies)")
          .Register(Metrics())
          .Add({});
  return gauge;
}

prometheus::Counter& ReloadCounter() {
  static auto& counter = prometheus::BuildCounter()
                             .Name("turnstile_redis_script_reloads_total")
                             .Help("Lua scripts loaded again after NOSCRIPT")
                             .Register(Metrics())
                             .Add({});
  return counter;
}

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv;
  tv.tv_sec = ms.count() / 1000;
  tv.tv_usec = (ms.count() % 1000) * 1000;
  return tv;
}

// The detail names the Redis host and hiredis's text: log only.
absl::Status Unavailable(absl::string_view detail) {
  return Concealed(absl::StatusCode::kUnavailable, kUnavailable,
                   "the gate is temporarily unavailable; retry", "redis",
                   detail);
}

// hiredis writes with write(2): a server that closed the socket would kill
// the process with SIGPIPE unless it is ignored. Leaves any handler the
// program installed itself alone.
void IgnoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current;
    if (sigaction(SIGPIPE, nullptr, &current) == 0 &&
        current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
  });
}

// Error replies a client should treat as "try again later".
bool IsTransientError(absl::string_view text) {
  for (const char* prefix :
       {"LOADING", "BUSY", "OOM", "READONLY", "MASTERDOWN", "TRYAGAIN",
        "CLUSTERDOWN", "MOVED", "ASK", "NOREPLICAS"}) {
    if (absl::StartsWith(text, prefix)) return true;
  }
  return false;
}

// Redis refuses this client (no or wrong --redis_password_file): to the
// caller the gate is as unusable as a Redis that is down.
bool IsAuthError(absl::string_view text) {
  return absl::StartsWith(text, "NOAUTH") ||
         absl::StartsWith(text, "WRONGPASS");
}

// A transport error that means the server closed or reset the connection:
// a pooled connection that outlived a server restart.
bool IsDeadConnection(int err, int io_errno) {
  return err == REDIS_ERR_EOF ||
         (err == REDIS_ERR_IO && (io_errno == ECONNRESET || io_errno == EPIPE ||
                                  io_errno == ENOTCONN));
}

}  // namespace

absl::Status ParseRedisAddress(absl::string_view address,
                               RedisOptions* options) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return InvalidArgument(
        absl::StrCat("redis address must be host:port, got \"", address, "\""));
  }
  options->host = std::string(address.substr(0, colon));
  options->port = port;
  return absl::OkStatus();
}

void RedisReplyDeleter::operator()(redisReply* reply) const {
  freeReplyObject(reply);
}

absl::string_view RedisErrorText(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ERROR || reply.str == nullptr) return {};
  return absl::string_view(reply.str, reply.len);
}

// --- RedisArgs ------------------------------------------------------------

RedisArgs& RedisArgs::Clear() {
  buf_.clear();
  ends_.clear();
  return *this;
}

RedisArgs& RedisArgs::Add(std::initializer_list<absl::string_view> pieces) {
  for (absl::string_view piece : pieces)
    buf_.append(piece.data(), piece.size());
  ends_.push_back(buf_.size());
  return *this;
}

RedisArgs& RedisArgs::AddInt(int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  return Add(absl::string_view(digits, end - digits));
}

RedisArgs& RedisArgs::StartEval(const LuaScript& script, int num_keys) {
  Clear();
  Add("EVALSHA");
  Add(script.sha1);
  return AddInt(num_keys);
}

absl::string_view RedisArgs::operator[](size_t i) const {
  const size_t begin = i == 0 ? 0 : ends_[i - 1];
  return absl::string_view(buf_.data() + begin, ends_[i] - begin);
}

// --- RedisClient ------------------------------------------------------------

struct RedisClient::Conn {
  redisContext* ctx = nullptr;
  // hiredis argv arrays, reused for every command on this connection.
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  std::chrono::milliseconds timeout{0};  // currently set on the socket
};

void RedisClient::ConnDeleter::operator()(Conn* conn) const {
  if (conn->ctx != nullptr) redisFree(conn->ctx);
  delete conn;
}

RedisClient::RedisClient(RedisOptions options) : options_(std::move(options)) {
  IgnoreSigpipeOnce();
}

RedisClient::~RedisClient() = default;

int64_t RedisClient::script_reloads() const { return reloads_.load(); }

void RedisClient::MarkUp(bool up) {
  const int value = up ? 1 : 0;
  if (up_.load(std::memory_order_relaxed) == value) return;
  std::lock_guard lock(up_mu_);
  if (up_.load(std::memory_order_relaxed) == value) return;
  up_.store(value, std::memory_order_relaxed);
  UpGauge().Set(value);
}

absl::StatusOr<RedisClient::ConnPtr> RedisClient::Connect() {
  redisContext* ctx =
      redisConnectWithTimeout(options_.host.c_str(), options_.port,
                              ToTimeval(options_.connect_timeout));
  ConnPtr conn(new Conn);
  conn->ctx = ctx;
  const std::string where = absl::StrCat(options_.host, ":", options_.port);
  if (ctx == nullptr || ctx->err != 0) {
    CountError("connect");
    MarkUp(false);
    return Unavailable(absl::StrCat("cannot connect to redis at ", where, ": ",
                                    ctx ? ctx->errstr : "out of memory"));
  }
  redisSetTimeout(ctx, ToTimeval(options_.command_timeout));
  conn->timeout = options_.command_timeout;
  redisEnableKeepAlive(ctx);
  if (!options_.password.empty()) {
    const char* argv[] = {"AUTH", options_.password.c_str()};
    const size_t lens[] = {4, options_.password.size()};
    RedisReplyPtr reply(
        static_cast<redisReply*>(redisCommandArgv(ctx, 2, argv, lens)));
    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
      CountError("connect");
      MarkUp(false);
      return Unavailable(absl::StrCat(
          "redis AUTH at ", where, " failed: ",
          reply ? RedisErrorText(*reply) : absl::string_view(ctx->errstr)));
    }
  }
  return conn;
}

absl::StatusOr<RedisClient::ConnPtr> RedisClient::Acquire(bool* reused) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, options_.acquire_timeout, [&] {
        return !idle_.empty() || open_ < options_.pool_size;
      })) {
    return Error(absl::StatusCode::kUnavailable, kUnavailable,
                 "no redis connection free");
  }
  if (!idle_.empty()) {
    ConnPtr conn = std::move(idle_.back());
    idle_.pop_back();
    *reused = true;
    return conn;
  }
  ++open_;
  lock.unlock();
  *reused = false;
  auto conn = Connect();
  if (!conn.ok()) {
    lock.lock();
    --open_;
    cv_.notify_one();
  }
  return conn;
}

void RedisClient::Release(ConnPtr conn) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(conn));
  cv_.notify_one();
}

void RedisClient::Discard(ConnPtr conn, bool server_gone) {
  std::vector<ConnPtr> dropped;
  {
    std::lock_guard lock(mu_);
    --open_;
    if (server_gone) {
      open_ -= static_cast<int>(idle_.size());
      dropped.swap(idle_);
    }
    cv_.notify_all();
  }
  conn.reset();  // closes the sockets outside the lock
}

RedisReplyPtr RedisClient::Send(Conn& conn, const RedisArgs& args,
                                int* io_errno) {
  errno = 0;
  void* raw = nullptr;
  // Append + read one reply is what redisCommandArgv does on a blocking
  // connection; Append is the one place that builds hiredis' argv.
  if (!Append(conn, args) || redisGetReply(conn.ctx, &raw) != REDIS_OK ||
      raw == nullptr) {
    *io_errno = errno;
    if (raw != nullptr) freeReplyObject(raw);
    return nullptr;
  }
  return RedisReplyPtr(static_cast<redisReply*>(raw));
}

absl::StatusOr<RedisReplyPtr> RedisClient::Execute(
    const RedisArgs& args, const LuaScript* script,
    std::chrono::milliseconds timeout) {
  if (args.size() == 0) return InvalidArgument("empty redis command");
  if (timeout.count() <= 0) timeout = options_.command_timeout;
  for (int attempt = 0;; ++attempt) {
    bool reused = false;
    auto conn = Acquire(&reused);
    if (!conn.ok()) return conn.status();
    Conn& c = **conn;
    if (c.timeout != timeout) {
      redisSetTimeout(c.ctx, ToTimeval(timeout));
      c.timeout = timeout;
    }
    int io_errno = 0;
    RedisReplyPtr reply = Send(c, args, &io_errno);
    if (reply != nullptr && script != nullptr &&
        absl::StartsWith(RedisErrorText(*reply), "NOSCRIPT")) {
      // The script cache was emptied (SCRIPT FLUSH, restart, failover):
      // load this script and send the call once more on this connection.
      reloads_.fetch_add(1);
      ReloadCounter().Increment();
      spdlog::warn("event=redis_script_reload script={}",
                   std::string(script->name));
      RedisArgs load;
      load.Add("SCRIPT").Add("LOAD").Add(script->source);
      reply = Send(c, load, &io_errno);
      if (reply != nullptr && reply->type != REDIS_REPLY_ERROR) {
        reply = Send(c, args, &io_errno);
      }
    }
    if (reply == nullptr) {
      const int err = c.ctx->err;
      const std::string what = c.ctx->errstr;
      const bool dead = IsDeadConnection(err, io_errno);
      CountError("io");
      Discard(std::move(*conn), dead);
      if (attempt == 0 && reused && dead) {
        spdlog::info("event=redis_reconnect reason=\"{}\"", what);
        continue;  // a stale pooled connection: once more on a fresh one
      }
      MarkUp(false);
      return Unavailable(absl::StrCat("redis at ", options_.host, ":",
                                      options_.port, ": ", what));
    }
    if (c.timeout != options_.command_timeout) {
      redisSetTimeout(c.ctx, ToTimeval(options_.command_timeout));
      c.timeout = options_.command_timeout;
    }
    Release(std::move(*conn));
    return Checked(std::move(reply));
  }
}

absl::StatusOr<RedisReplyPtr> RedisClient::Checked(RedisReplyPtr reply) {
  if (reply->type == REDIS_REPLY_ERROR) {
    const absl::string_view text = RedisErrorText(*reply);
    CountError("reply");
    if (IsTransientError(text) || IsAuthError(text)) {
      MarkUp(false);
      return Unavailable(absl::StrCat("redis: ", text));
    }
    MarkUp(true);  // Redis answered; the command itself was wrong
    return Concealed(absl::StatusCode::kInternal, "REDIS_ERROR",
                     "internal error", "redis", text);
  }
  MarkUp(true);
  return reply;
}

bool RedisClient::Append(Conn& conn, const RedisArgs& args) {
  const size_t n = args.size();
  conn.argv.resize(n);
  conn.lens.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const absl::string_view arg = args[i];
    conn.argv[i] = arg.data();
    conn.lens[i] = arg.size();
  }
  return redisAppendCommandArgv(conn.ctx, static_cast<int>(n), conn.argv.data(),
                                conn.lens.data()) == REDIS_OK;
}

std::vector<absl::StatusOr<RedisReplyPtr>> RedisClient::EvalBatch(
    const LuaScript& script, absl::Span<const RedisArgs* const> calls,
    std::chrono::milliseconds timeout) {
  std::vector<absl::StatusOr<RedisReplyPtr>> results;
  results.reserve(calls.size());
  if (calls.empty()) return results;
  if (timeout.count() <= 0) timeout = options_.command_timeout;
  bool reused = false;
  auto conn = Acquire(&reused);
  if (!conn.ok()) {
    for (size_t i = 0; i < calls.size(); ++i) results.push_back(conn.status());
    return results;
  }
  Conn& c = **conn;
  if (c.timeout != timeout) {
    redisSetTimeout(c.ctx, ToTimeval(timeout));
    c.timeout = timeout;
  }
  // Sends `batch` and reads one reply each into `out` (nullptr from the
  // first transport failure on). False on a transport failure.
  auto round = [&](const std::vector<const RedisArgs*>& batch,
                   std::vector<RedisReplyPtr>* out) {
    for (const RedisArgs* args : batch) {
      if (!Append(c, *args)) return false;
    }
    errno = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(c.ctx, &raw) != REDIS_OK || raw == nullptr) {
        return false;
      }
      out->emplace_back(static_cast<redisReply*>(raw));
    }
    return true;
  };
  std::vector<const RedisArgs*> batch(calls.begin(), calls.end());
  std::vector<RedisReplyPtr> replies;
  replies.reserve(calls.size());
  bool ok = round(batch, &replies);
  // NOSCRIPT: the script did not run; load it and send those calls again.
  std::vector<size_t> missing;
  for (size_t i = 0; ok && i < replies.size(); ++i) {
    if (absl::StartsWith(RedisErrorText(*replies[i]), "NOSCRIPT")) {
      missing.push_back(i);
    }
  }
  if (ok && !missing.empty()) {
    reloads_.fetch_add(1);
    ReloadCounter().Increment();
    spdlog::warn("event=redis_script_reload script={}",
                 std::string(script.name));
    RedisArgs load;
    load.Add("SCRIPT").Add("LOAD").Add(script.source);
    std::vector<const RedisArgs*> again = {&load};
    for (size_t i : missing) again.push_back(calls[i]);
    std::vector<RedisReplyPtr> retried;
    ok = round(again, &retried);
    for (size_t k = 0; k + 1 < retried.size(); ++k) {
      replies[missing[k]] = std::move(retried[k + 1]);
    }
    if (!ok) {
      // Those not answered again stay failed below.
      for (size_t k = retried.empty() ? 0 : retried.size() - 1;
           k < missing.size(); ++k) {
        replies[missing[k]].reset();
      }
    }
  }
  if (!ok) {
    const int err = c.ctx->err;
    const std::string what = c.ctx->errstr;
    CountError("io");
    Discard(std::move(*conn), IsDeadConnection(err, errno));
    const absl::Status down = Unavailable(absl::StrCat(
        "redis at ", options_.host, ":", options_.port, ": ", what));
    for (size_t i = 0; i < calls.size(); ++i) {
      if (i < replies.size() && replies[i] != nullptr) {
        results.push_back(Checked(std::move(replies[i])));
      } else {
        results.push_back(down);
      }
    }
    MarkUp(false);  // after Checked: the connection failed last
    return results;
  }
  if (c.timeout != options_.command_timeout) {
    redisSetTimeout(c.ctx, ToTimeval(options_.command_timeout));
    c.timeout = options_.command_timeout;
  }
  Release(std::move(*conn));
  for (auto& reply : replies) results.push_back(Checked(std::move(reply)));
  return results;
}

absl::StatusOr<RedisReplyPtr> RedisClient::Command(
    const RedisArgs& args, std::chrono::milliseconds timeout) {
  return Execute(args, nullptr, timeout);
}

absl::StatusOr<RedisReplyPtr> RedisClient::Command(
    std::initializer_list<absl::string_view> argv) {
  RedisArgs args;
  for (absl::string_view arg : argv) args.Add(arg);
  return Execute(args, nullptr, std::chrono::milliseconds(0));
}

absl::StatusOr<RedisReplyPtr> RedisClient::Eval(
    const LuaScript& script, const RedisArgs& args,
    std::chrono::milliseconds timeout) {
  if (args.size() < 3 || args[0] != "EVALSHA" || args[1] != script.sha1) {
    return InvalidArgument("Eval needs args built with StartEval(script)");
  }
  return Execute(args, &script, timeout);
}

absl::Status RedisClient::LoadScripts(absl::Span<const LuaScript> scripts) {
  for (const LuaScript& script : scripts) {
    auto reply = Command({"SCRIPT", "LOAD", script.source});
    if (!reply.ok()) return reply.status();
    const absl::string_view sha((*reply)->str ? (*reply)->str : "",
                                (*reply)->len);
    if ((*reply)->type != REDIS_REPLY_STRING || sha != script.sha1) {
      return Error(absl::StatusCode::kInternal, "REDIS_ERROR",
                   absl::StrCat("SCRIPT LOAD of ", script.name,
                                " returned an unexpected SHA1 ", sha));
    }
  }
  spdlog::info("event=redis_scripts_loaded count={}", scripts.size());
  return absl::OkStatus();
}

}  // namespace turnstile
