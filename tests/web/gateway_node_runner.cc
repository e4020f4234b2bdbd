// Runs one Node test file of web/test/gateway/ or web/test/ui/ (node
// --test) against the real thing: a private PostgreSQL, the services with
// their metrics ports open, Redis, and turnstile-gateway in front of them.
// By default the gateway serves a copy of the built test page with a symlink
// out of the directory planted in it (the protocol tests); with a second
// argument it serves a copy of that directory instead (the built web UI,
// web/app/dist, for the UI tests) with generous rate limits only.
// The file learns where everything is from the environment (the contract in
// web/test/gateway/README.md). Exit code = node's.
//
// Options after the file (and the directory): --service_arg=<service>:<flag>
// (repeatable) adds a flag to every start of that mesh service, e.g.
// --service_arg=coordinator:--backoff_initial_ms=600000. The test can stop
// and start services through the FIFO named by SERVICE_CONTROL_FIFO
// (service_control.h).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/gateway_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/web/service_control.h"

namespace turnstile::testing {
namespace {

// The command line: the test file, the directory to serve (optional) and
// the --service_arg options.
struct RunnerArgs {
  std::string test_file;
  std::string app_dir;
  std::map<std::string, std::vector<std::string>> service_args;
};

bool ParseArgs(int argc, char** argv, RunnerArgs* out) {
  std::vector<std::string> positional;
  constexpr absl::string_view kServiceArg = "--service_arg=";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, kServiceArg)) {
      const std::string value = arg.substr(kServiceArg.size());
      const auto colon = value.find(':');
      if (colon == std::string::npos || colon == 0) return false;
      out->service_args[value.substr(0, colon)].push_back(
          value.substr(colon + 1));
    } else if (absl::StartsWith(arg, "--")) {
      return false;
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.empty() || positional.size() > 2) return false;
  out->test_file = positional[0];
  if (positional.size() == 2) out->app_dir = positional[1];
  return true;
}

int Run(const std::string& test_file, const std::string& app_dir,
        const std::map<std::string, std::vector<std::string>>& service_args) {
  const std::string web = std::string(TURNSTILE_SOURCE_DIR) + "/web";
  const bool app = !app_dir.empty();
  const std::string page = app ? app_dir : web + "/test/gateway/static";
  if (access((web + "/node_modules").c_str(), F_OK) != 0 ||
      access((page + "/index.html").c_str(), F_OK) != 0) {
    std::cerr << "web/node_modules or the built " << page
              << "/index.html is missing: run `npm ci --prefix web` and "
                 "rebuild (./run test does both)\n";
    return 1;
  }
  Mesh mesh(SharedPg(), "gw");
  std::string metrics_urls = "{";
  for (const auto& service : Mesh::Services()) {
    const int port = FreePort();
    std::vector<std::string> args = {
        absl::StrCat("--metrics_listen=127.0.0.1:", port)};
    if (auto it = service_args.find(service); it != service_args.end()) {
      args.insert(args.end(), it->second.begin(), it->second.end());
    }
    mesh.SetArgs(service, args);
    absl::StrAppend(&metrics_urls, metrics_urls.size() > 1 ? "," : "", "\"",
                    service, "\":\"http://127.0.0.1:", port, "/metrics\"");
  }
  metrics_urls += "}";
  mesh.StartAll();

  GatewayProcess gateway(mesh);
  const std::string static_dir = gateway.dir() + "/static";
  std::string copy = absl::StrCat("cp -r '", page, "' '", static_dir, "'");
  if (!app)
    absl::StrAppend(&copy, " && ln -s /etc/passwd '", static_dir, "/escape'");
  if (std::system(copy.c_str()) != 0) return 1;
  // The UI polls its pages; only the protocol tests need the tight bucket.
  const std::string rate_limits =
      app ? "*=user:1000:2000,ip:10000:20000"
          : "/turnstile.v1.Payment/GetWallet=user:2:5,ip:1000:"
            "2000;*=user:1000:2000,ip:10000:20000";
  constexpr char kAllowedOrigin[] = "http://allowed.example";
  if (!gateway.Start({
          "--static_dir=" + static_dir,
          absl::StrCat("--allowed_origins=", gateway.url(), ",",
                       kAllowedOrigin),
          "--max_request_bytes=65536",
          "--header_timeout_ms=1500",
          "--max_connections_per_ip=1024",
          // One tight bucket for the limit tests; the rest generous so the
          // other tests are never limited by accident.
          "--rate_limits=" + rate_limits,
          // The dev sign-in (the UI's form, the waiting-room tests) and a
          // short waiting-room place TTL (a buyer who stops asking loses
          // the place after QUEUE_PLACE_TTL_S).
          "--dev_token_endpoint",
          "--queue_place_ttl_s=5",
      })) {
    return 1;
  }

  setenv("GATEWAY_URL", gateway.url().c_str(), 1);
  setenv("GATEWAY_METRICS_URL", gateway.metrics_url().c_str(), 1);
  setenv("METRICS_URLS", metrics_urls.c_str(), 1);
  setenv("JWT_HS256_SECRET_FILE", gateway.secret_file().c_str(), 1);
  setenv("JWT_ISSUER", GatewayProcess::kIssuer, 1);
  setenv("JWT_AUDIENCE", GatewayProcess::kAudience, 1);
  setenv("JWKS_FILE", gateway.jwks_file().c_str(), 1);
  setenv("ALLOWED_ORIGIN", kAllowedOrigin, 1);
  setenv("MAX_REQUEST_BYTES", "65536", 1);
  setenv("HEADER_TIMEOUT_MS", "1500", 1);
  setenv("RATE_LIMITED_METHOD", "/turnstile.v1.Payment/GetWallet", 1);
  setenv("RATE_LIMIT_RATE", "2", 1);
  setenv("RATE_LIMIT_BURST", "5", 1);
  setenv("STATIC_SYMLINK_NAME", "escape", 1);
  setenv("DEV_TOKEN_URL", (gateway.url() + "/dev/token").c_str(), 1);
  setenv("QUEUE_PLACE_TTL_S", "5", 1);
  if (getenv("CHROMIUM") == nullptr) setenv("CHROMIUM", "/usr/bin/chromium", 1);
  auto control = std::make_unique<ServiceControl>(mesh, gateway.dir());
  if (!control->ok()) return 1;
  setenv("SERVICE_CONTROL_FIFO", control->fifo().c_str(), 1);

  const std::string cmd =
      absl::StrCat("cd '", web, "' && node --test '", test_file, "'");
  std::cerr << "running: " << cmd << "\n";
  const int rc = std::system(cmd.c_str());
  const int code = WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
  control.reset();
  if (code != 0) {
    std::cerr << "--- gateway log (tail) ---\n";
    gateway.DumpLog(60);
  }
  if (gateway.Stop() != 0) {
    std::cerr << "turnstile-gateway did not stop cleanly on SIGTERM\n";
    gateway.DumpLog(20);
    return code != 0 ? code : 1;
  }
  return code;
}

}  // namespace
}  // namespace turnstile::testing

int main(int argc, char** argv) {
  turnstile::testing::RunnerArgs args;
  if (!turnstile::testing::ParseArgs(argc, argv, &args)) {
    std::cerr << "usage: web_gateway_runner <web/test/.../x.test.mjs> "
                 "[<static dir to serve, e.g. web/app/dist>] "
                 "[--service_arg=<service>:<flag>]...\n";
    return 2;
  }
  return turnstile::testing::Run(args.test_file, args.app_dir,
                                 args.service_args);
}
