#include "services/common/process.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/histogram.h"
#include "services/common/authz_processor.h"
#include "services/common/cert_expiry.h"
#include "services/common/log_setup.h"
#include "services/common/tls.h"
#include "turnstile/v1/participant.grpc.pb.h"

ABSL_FLAG(std::string, metrics_listen, "",
          "host:port of the Prometheus metrics endpoint (empty = off)");
ABSL_FLAG(std::string, log_level, "info", "trace|debug|info|warn|error");
ABSL_FLAG(std::string, log_format, "text",
          "text (key=value lines) or json (one object per line: ts, level, "
          "svc, the message's key=value pairs, trace_id) for log collectors");
ABSL_FLAG(int, grpc_max_threads, 256,
          "Upper bound of gRPC server threads; calls beyond it are refused "
          "with RESOURCE_EXHAUSTED. Blocking database work is bounded "
          "separately by the connection pool.");
// Redis flags live here (read by redis_flags.cc) so that every process of
// the mesh accepts the same --redis, used or not.
ABSL_FLAG(std::string, redis, "127.0.0.1:6379",
          "Redis (the gate) as host:port");
ABSL_FLAG(int, redis_pool_size, 16, "Redis connections");
ABSL_FLAG(int, redis_timeout_ms, 500, "Per-command Redis timeout");
ABSL_FLAG(int, grpc_max_pollers, 64,
          "Idle gRPC server threads kept waiting for calls. gRPC's default "
          "(2) makes a busy server start and end a thread for almost every "
          "call; threads beyond this many end when idle.");
ABSL_FLAG(std::string, health_listen, "",
          "host:port of a plaintext port serving grpc.health.v1 and nothing "
          "else, for probes that cannot present a client certificate "
          "(Kubernetes gRPC probes); empty = off");
ABSL_FLAG(int, shutdown_grace_ms, 5000,
          "How long in-flight calls may run after SIGTERM");

namespace turnstile {
namespace {

// Applies TURNSTILE_<NAME> environment variables to flags of this project
// before the command line (which wins) is parsed.
void ApplyEnvironment() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string env =
        absl::StrCat("TURNSTILE_", absl::AsciiStrToUpper(name));
    if (const char* value = std::getenv(env.c_str())) {
      std::string error;
      if (!flag->ParseFrom(value, &error)) {
        std::fprintf(stderr, "bad %s: %s\n", env.c_str(), error.c_str());
        std::exit(2);
      }
    }
  }
}

// Counts every RPC by method and status code and times it.
class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(grpc::experimental::ServerRpcInfo* info)
      : method_(info->method()), start_(std::chrono::steady_clock::now()) {}

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      static auto& calls = prometheus::BuildCounter()
                               .Name("turnstile_rpc_total")
                               .Help("RPCs served, by method and status code")
                               .Register(Metrics());
      static auto& latency = prometheus::BuildHistogram()
                                 .Name("turnstile_rpc_duration_seconds")
                                 .Help("RPC latency, by method")
                                 .Register(Metrics());
      const auto status = methods->GetSendStatus();
      calls
          .Add({{"method", method_},
                {"code", std::to_string(status.error_code())}})
          .Increment();
      const double seconds = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - start_)
                                 .count();
      latency
          .Add({{"method", method_}},
               prometheus::Histogram::BucketBoundaries{
                   0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                   0.5, 1, 2.5, 5})
          .Observe(seconds);
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  std::chrono::steady_clock::time_point start_;
};

class MetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(info);  // owned by gRPC
  }
};

// Drops the builder plugins from a server: linking grpc++_reflection
// registers server reflection with every builder, and the health port must
// serve nothing but health.
class WithoutPlugins final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>*
                         plugins) override {
    plugins->clear();
  }
};

}  // namespace

namespace {
// Shared because the exposer holds only a weak reference to it.
const std::shared_ptr<prometheus::Registry>& MetricsRegistry() {
  static auto* registry = new std::shared_ptr<prometheus::Registry>(
      std::make_shared<prometheus::Registry>());
  return *registry;
}
}  // namespace

prometheus::Registry& Metrics() { return *MetricsRegistry(); }

void DisableMutexDeadlockDetection() {
  // Debian builds Abseil with the Mutex deadlock detector on; gRPC locks
  // absl::Mutex on every call, and the detector's graph bookkeeping showed
  // up as several per cent of a busy service's CPU in perf.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

std::vector<char*> InitProcess(int argc, char** argv, const char* service,
                               const char* identity) {
  DisableMutexDeadlockDetection();
  SetDefaultTlsIdentity(identity != nullptr ? identity : service);
  ApplyEnvironment();
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  const auto format = ParseLogFormat(absl::GetFlag(FLAGS_log_format));
  if (!format) {
    std::fprintf(stderr, "bad --log_format=%s: text or json\n",
                 absl::GetFlag(FLAGS_log_format).c_str());
    std::exit(2);
  }
  auto logger = MakeProcessLogger(service, *format);
  logger->set_level(spdlog::level::from_str(absl::GetFlag(FLAGS_log_level)));
  spdlog::set_default_logger(logger);
  if (*format == LogFormat::kJson) RouteGrpcLogs();
  if (auto s = CheckTransportSecurity(); !s.ok()) {
    spdlog::critical("event=tls_config_error error=\"{}\"",
                     std::string(s.message()));
    std::exit(2);
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return rest;
}

bool InitTool(int argc, char** argv, const char* identity,
              std::vector<char*>* rest) {
  DisableMutexDeadlockDetection();
  SetDefaultTlsIdentity(identity);
  ApplyEnvironment();
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (rest != nullptr) *rest = std::move(args);
  // TLS files are checked when the first channel is made (tls.h): commands
  // that only read the databases (turnstilectl check, migrate) need none.
  return true;
}

SideServers::SideServers() = default;
SideServers::~SideServers() { Shutdown(); }

bool SideServers::Start() {
  cert_expiry_ = WatchOwnCertificateExpiry();
  if (const auto where = absl::GetFlag(FLAGS_metrics_listen); !where.empty()) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(where);
    } catch (const std::exception& e) {
      spdlog::critical("event=listen_failed metrics_listen={} error=\"{}\"",
                       where, e.what());
      return false;
    }
    exposer_->RegisterCollectable(MetricsRegistry());
  }
  grpc::EnableDefaultHealthCheckService(true);
  if (const auto where = absl::GetFlag(FLAGS_health_listen); !where.empty()) {
    grpc::ServerBuilder health_builder;
    health_builder.SetOption(std::make_unique<WithoutPlugins>());
    // gRPC adds its default health service only to a server with sync
    // methods; the generated base class answers each of its methods
    // UNIMPLEMENTED, so this adds nothing callable.
    static auto* unimplemented = new v1::Participant::Service();
    health_builder.RegisterService(unimplemented);
    int health_port = 0;
    health_builder.AddListeningPort(where, grpc::InsecureServerCredentials(),
                                    &health_port);
    health_ = health_builder.BuildAndStart();
    if (!health_ || health_port == 0) {
      spdlog::critical("event=listen_failed health_listen={}", where);
      return false;
    }
    spdlog::info("event=serving_health listen={} (plaintext, health only)",
                 where);
  }
  return true;
}

void SideServers::SetServing(bool serving) {
  if (health_) health_->GetHealthCheckService()->SetServingStatus(serving);
}

void SideServers::Shutdown() {
  if (health_) {
    health_->GetHealthCheckService()->Shutdown();
    health_->Shutdown(std::chrono::system_clock::now());
    health_->Wait();
    health_.reset();
  }
  exposer_.reset();
  cert_expiry_.reset();
}

int WaitForShutdownSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

std::chrono::milliseconds ShutdownGrace() {
  return std::chrono::milliseconds(absl::GetFlag(FLAGS_shutdown_grace_ms));
}

int ServeGrpc(const ServerConfig& config,
              const std::vector<grpc::Service*>& services,
              const std::function<void()>& on_stop) {
  SideServers side;
  if (!side.Start()) return 1;
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  auto credentials = MeshServerCredentials();
  if (!InsecurePlaintext()) {
    credentials->SetAuthMetadataProcessor(
        std::make_shared<authz::Processor>(authz::PolicyFromFlags()));
  }
  builder.AddListeningPort(config.listen, credentials, &port);
  grpc::ResourceQuota quota(config.service);
  // gRPC's sync server refuses calls with RESOURCE_EXHAUSTED as soon as its
  // thread quota is reached (and somewhat before: grpc/grpc#32680), so the
  // quota is the overload bound, not the pool size; the pool queues the
  // database work behind it.
  const int threads =
      std::max(config.max_threads, absl::GetFlag(FLAGS_grpc_max_threads));
  quota.SetMaxThreads(threads);
  builder.SetResourceQuota(quota);
  builder.SetSyncServerOption(
      grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
      std::min(threads, std::max(2, absl::GetFlag(FLAGS_grpc_max_pollers))));
  for (auto* service : services) builder.RegisterService(service);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<MetricsInterceptorFactory>());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  auto server = builder.BuildAndStart();
  if (!server || port == 0) {
    spdlog::critical("event=listen_failed listen={}", config.listen);
    return 1;
  }
  spdlog::info("event=serving listen={} threads={} tls={}", config.listen,
               threads, InsecurePlaintext() ? "off (INSECURE)" : "mtls");

  const int sig = WaitForShutdownSignal();
  spdlog::info("event=shutdown_begin signal={}", sig);
  server->GetHealthCheckService()->Shutdown();
  side.SetServing(false);
  server->Shutdown(std::chrono::system_clock::now() + ShutdownGrace());
  server->Wait();
  side.Shutdown();
  if (on_stop) on_stop();
  spdlog::info("event=shutdown_done");
  spdlog::default_logger()->flush();
  return 0;
}

}  // namespace turnstile
