// Runs one Node test file of web/test/gateway/ or web/test/ui/ (node
// --test) against the real thing: a private PostgreSQL, the services with
// their metrics ports open, Redis, and turnstile-gateway in front of them.
// By default the gateway serves a copy of the built test page with a symlink
// out of the directory planted in it (the protocol tests); with a second
// argument it serves a copy of that directory instead (the built web UI,
// web/app/dist, for the UI tests) with generous rate limits only.
// The file learns where everything is from the environment (the contract in
// web/test/gateway/README.md). Exit code = node's.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/gateway_process.h"
#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"

namespace turnstile::testing {
namespace {

int Run(const std::string& test_file, const std::string& app_dir) {
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
    mesh.SetArgs(service, {absl::StrCat("--metrics_listen=127.0.0.1:", port)});
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

  const std::string cmd =
      absl::StrCat("cd '", web, "' && node --test '", test_file, "'");
  std::cerr << "running: " << cmd << "\n";
  const int rc = std::system(cmd.c_str());
  const int code = WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
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
  if (argc != 2 && argc != 3) {
    std::cerr << "usage: web_gateway_runner <web/test/.../x.test.mjs> "
                 "[<static dir to serve, e.g. web/app/dist>]\n";
    return 2;
  }
  return turnstile::testing::Run(argv[1], argc == 3 ? argv[2] : "");
}
