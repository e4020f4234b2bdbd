#include "tests/support/redis_server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "tests/support/pg_cluster.h"

namespace turnstile::testing {
namespace {

using ReplyPtr = std::unique_ptr<redisReply, RedisReplyDeleter>;

std::string FindRedisServer() {
  for (const char* path :
       {"/usr/bin/redis-server", "/usr/local/bin/redis-server"}) {
    if (access(path, X_OK) == 0) return path;
  }
  std::fprintf(stderr, "redis-server is not installed\n");
  std::abort();
}

std::string ReplyText(const redisReply* reply) {
  if (reply == nullptr) return "error: no reply";
  switch (reply->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(reply->str, reply->len);
    case REDIS_REPLY_ERROR:
      return "error: " + std::string(reply->str, reply->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(reply->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < reply->elements; ++i) {
        if (i > 0) out += ",";
        out += ReplyText(reply->element[i]);
      }
      return out;
    }
  }
  return "error: unknown reply type";
}

}  // namespace

std::unique_ptr<RedisServer> RedisServer::Start() {
  std::unique_ptr<RedisServer> server(new RedisServer());
  char tmpl[] = "/tmp/turnstile-redis-XXXXXX";
  server->dir_ = mkdtemp(tmpl);
  server->binary_ = FindRedisServer();
  server->port_ = FreePort();
  std::random_device random;
  char hex[3];
  for (int i = 0; i < 24; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", random() & 0xff);
    server->password_ += hex;
  }
  // The password reaches redis-server in a config file, not on its command
  // line (which ps shows), as in ./run.
  for (const auto& [path, content] :
       {std::pair{server->password_file(), server->password_},
        std::pair{server->dir_ + "/redis.conf",
                  "requirepass " + server->password_}}) {
    std::ofstream(path) << content << "\n";
    chmod(path.c_str(), 0600);
  }
  server->Launch();
  return server;
}

RedisServer::~RedisServer() {
  if (process_.running()) process_.Terminate(5000);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

RedisOptions RedisServer::Options(int pool_size) const {
  RedisOptions options;
  options.host = "127.0.0.1";
  options.port = port_;
  options.password = password_;
  options.pool_size = pool_size;
  options.connect_timeout = std::chrono::milliseconds(500);
  options.command_timeout = std::chrono::milliseconds(2000);
  options.acquire_timeout = std::chrono::milliseconds(5000);
  return options;
}

std::vector<std::string> RedisServer::ServiceFlags() const {
  return {"--redis=127.0.0.1:" + std::to_string(port_),
          "--redis_password_file=" + password_file()};
}

void RedisServer::Launch() {
  process_.Start(
      binary_,
      {dir_ + "/redis.conf", "--port", std::to_string(port_), "--bind",
       "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir_,
       "--protected-mode", "no", "--daemonize", "no", "--logfile", ""},
      dir_ + "/server.log");
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    if (process_.Exited()) break;
    if (Run({"PING"}) == "PONG") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "redis-server did not start, see %s/server.log\n",
               dir_.c_str());
  std::abort();
}

void RedisServer::Stop() { process_.Terminate(10000); }

void RedisServer::Kill() { process_.Kill(); }

void RedisServer::StartAgain() {
  if (!process_.running()) Launch();
}

void RedisServer::Restart() {
  Stop();
  StartAgain();
}

void RedisServer::FlushAll() {
  const std::string reply = Run({"FLUSHALL"});
  if (reply != "OK") throw std::runtime_error("FLUSHALL: " + reply);
}

redisReply* RedisServer::Raw(const std::vector<std::string>& argv) {
  timeval tv{5, 0};
  redisContext* ctx = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (ctx == nullptr || ctx->err) {
    if (ctx) redisFree(ctx);
    return nullptr;
  }
  redisSetTimeout(ctx, tv);
  ReplyPtr auth(static_cast<redisReply*>(
      redisCommand(ctx, "AUTH %b", password_.data(), password_.size())));
  if (auth == nullptr || auth->type == REDIS_REPLY_ERROR) {
    redisFree(ctx);
    return nullptr;
  }
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* reply = static_cast<redisReply*>(redisCommandArgv(
      ctx, static_cast<int>(args.size()), args.data(), lens.data()));
  redisFree(ctx);
  return reply;
}

std::string RedisServer::Run(const std::vector<std::string>& argv) {
  ReplyPtr reply(Raw(argv));
  return ReplyText(reply.get());
}

std::vector<std::string> RedisServer::RunList(
    const std::vector<std::string>& argv) {
  ReplyPtr reply(Raw(argv));
  std::vector<std::string> out;
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) {
    throw std::runtime_error("not an array reply: " + ReplyText(reply.get()));
  }
  for (size_t i = 0; i < reply->elements; ++i) {
    out.push_back(ReplyText(reply->element[i]));
  }
  return out;
}

std::map<std::string, std::string> RedisServer::HGetAll(
    const std::string& key) {
  const auto flat = RunList({"HGETALL", key});
  std::map<std::string, std::string> out;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) out[flat[i]] = flat[i + 1];
  return out;
}

std::map<std::string, std::string> RedisServer::Snapshot() {
  std::map<std::string, std::string> out;
  for (const std::string& key : RunList({"KEYS", "*"})) {
    const bool expires = Run({"PTTL", key}) != "-1";
    out[key] = Run({"DUMP", key}) + (expires ? "|ttl" : "|persist");
  }
  return out;
}

RedisServer& SharedRedis() {
  static std::unique_ptr<RedisServer> redis = RedisServer::Start();
  return *redis;
}

}  // namespace turnstile::testing
