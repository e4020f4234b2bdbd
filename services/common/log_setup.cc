#include "services/common/log_setup.h"

#include <grpc/support/log.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <time.h>

#include <chrono>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "services/common/trace_scope.h"

namespace turnstile {
namespace {

std::string_view Payload(const spdlog::details::log_msg& msg) {
  return std::string_view(msg.payload.data(), msg.payload.size());
}

std::string_view CurrentTraceId() {
  const TraceContext* trace = CurrentTrace();
  return trace != nullptr ? trace->trace_id_view() : std::string_view();
}

// The %* of the text pattern: " gid=... trace_id=..." for what is current
// and not already in the message; nothing (and no allocation) otherwise.
class TraceFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const std::string_view trace_id = CurrentTraceId();
    const std::string_view gid = CurrentGid();
    if (trace_id.empty() && gid.empty()) return;
    const std::string suffix = TextSuffix(Payload(msg), trace_id, gid);
    dest.append(suffix.data(), suffix.data() + suffix.size());
  }
  std::unique_ptr<spdlog::custom_flag_formatter> clone() const override {
    return std::make_unique<TraceFlag>();
  }
};

// RFC 3339 in UTC with milliseconds: 2024-05-01T12:00:00.123Z.
std::string Rfc3339(spdlog::log_clock::time_point t) {
  using namespace std::chrono;
  const auto since = t.time_since_epoch();
  const time_t seconds = duration_cast<std::chrono::seconds>(since).count();
  const int ms =
      static_cast<int>(duration_cast<milliseconds>(since).count() % 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[32];
  std::snprintf(out, sizeof(out), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, ms < 0 ? 0 : ms);
  return out;
}

class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string service) : service_(std::move(service)) {}

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    const std::string time = Rfc3339(msg.time);
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string line =
        JsonLine({time, std::string_view(level.data(), level.size()), service_,
                  Payload(msg), CurrentTraceId(), CurrentGid()});
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(service_);
  }

 private:
  const std::string service_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> MakeLogFormatter(const std::string& service,
                                                    LogFormat format) {
  if (format == LogFormat::kJson) {
    return std::make_unique<JsonFormatter>(service);
  }
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<TraceFlag>('*').set_pattern(
      absl::StrCat("%Y-%m-%dT%H:%M:%S.%e%z level=%l svc=", service, " %v%*"));
  return formatter;
}

// The logger gRPC's messages go to: kept alive for good, since gRPC's
// threads may still log while static destructors run at exit.
static std::shared_ptr<spdlog::logger>* grpc_logger = nullptr;

void RouteGrpcLogs() {
  if (grpc_logger == nullptr) {
    grpc_logger = new std::shared_ptr<spdlog::logger>();
  }
  *grpc_logger = spdlog::default_logger();
  gpr_set_log_function([](gpr_log_func_args* args) {
    const auto level =
        args->severity == GPR_LOG_SEVERITY_ERROR  ? spdlog::level::err
        : args->severity == GPR_LOG_SEVERITY_INFO ? spdlog::level::info
                                                  : spdlog::level::debug;
    (*grpc_logger)
        ->log(level, "event=grpc_log file={}:{} text=\"{}\"",
              args->file != nullptr ? args->file : "", args->line,
              args->message != nullptr ? args->message : "");
  });
}

std::shared_ptr<spdlog::logger> MakeProcessLogger(const std::string& service,
                                                  LogFormat format) {
  auto logger = spdlog::stderr_logger_mt(service);
  logger->set_formatter(MakeLogFormatter(service, format));
  logger->flush_on(spdlog::level::info);
  return logger;
}

}  // namespace turnstile
