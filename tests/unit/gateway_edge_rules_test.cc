// The edge's pure rules: which methods are routed (and that Try, second
// phases and coordinator writes are not), CORS origins and headers, and
// static paths that cannot leave the directory (files and symlinks on a
// real temporary directory).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "services/common/authz_table.h"
#include "services/gateway/cors.h"
#include "services/gateway/request_kind.h"
#include "services/gateway/routes.h"
#include "services/gateway/static_files.h"

namespace turnstile::gateway {
namespace {

TEST(Routes, PublicApiOnly) {
  for (const char* routed :
       {"/turnstile.v1.Order/PlaceOrder", "/turnstile.v1.Order/PayOrder",
        "/turnstile.v1.Order/CancelOrder", "/turnstile.v1.Order/GetOrder",
        "/turnstile.v1.Order/ListOrders", "/turnstile.v1.Payment/GetWallet",
        "/turnstile.v1.Inventory/GetSku", "/turnstile.v1.Seat/GetSeatMap",
        "/turnstile.v1.Booking/GetVenue", "/turnstile.v1.Booking/FreeMachines",
        "/turnstile.v1.Booking/FreeWindows", "/turnstile.v1.Booking/GetRun",
        "/turnstile.v1.Booking/RemainingSeats",
        "/turnstile.v1.Booking/GetStopMatrix",
        "/turnstile.v1.WaitingRoom/ConfigureQueue",
        "/turnstile.v1.WaitingRoom/GetQueue",
        "/turnstile.v1.WaitingRoom/JoinQueue",
        "/turnstile.v1.WaitingRoom/GetTicket"}) {
    EXPECT_NE(FindRoute(routed), nullptr) << routed;
  }
  for (const char* hidden :
       {"/turnstile.v1.Inventory/ReserveStock", "/turnstile.v1.Seat/HoldSeats",
        "/turnstile.v1.Booking/HoldBookings",
        "/turnstile.v1.Payment/AuthorizePayment",
        "/turnstile.v1.Participant/Confirm", "/turnstile.v1.Participant/Cancel",
        "/turnstile.v1.Coordinator/Begin", "/turnstile.v1.Coordinator/Commit",
        "/turnstile.v1.Coordinator/Abort",
        "/turnstile.v1.Coordinator/RegisterBranch",
        "/grpc.health.v1.Health/Check",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        "/turnstile.v1.Order/PlaceOrder/", "/x.Y/Z", ""}) {
    EXPECT_EQ(FindRoute(hidden), nullptr) << hidden;
  }
  EXPECT_EQ(FindRoute("/turnstile.v1.Inventory/GetSku")->access,
            Access::kAnyone);
  EXPECT_EQ(FindRoute("/turnstile.v1.Order/PlaceOrder")->access,
            Access::kBuyer);
  EXPECT_EQ(FindRoute("/turnstile.v1.Payment/Deposit")->access,
            Access::kOperator);
  // The operator console's coordinator calls.
  for (const char* console : {"GetTransaction", "ListTransactions",
                              "RetryTransaction", "GetSummary"}) {
    const Route* route =
        FindRoute(std::string("/turnstile.v1.Coordinator/") + console);
    ASSERT_NE(route, nullptr) << console;
    EXPECT_EQ(route->access, Access::kOperator) << console;
    EXPECT_EQ(route->backend, Backend::kCoordinator) << console;
  }
  // The booking service's reads are public, its writes for operators, and
  // every Booking route goes to the booking backend.
  for (const char* read : {"GetVenue", "FreeMachines", "FreeWindows", "GetRun",
                           "RemainingSeats", "GetStopMatrix"}) {
    const Route* route =
        FindRoute(std::string("/turnstile.v1.Booking/") + read);
    ASSERT_NE(route, nullptr) << read;
    EXPECT_EQ(route->access, Access::kAnyone) << read;
  }
  for (const char* write : {"CreateVenue", "CreateRun", "Reconcile"}) {
    const Route* route =
        FindRoute(std::string("/turnstile.v1.Booking/") + write);
    ASSERT_NE(route, nullptr) << write;
    EXPECT_EQ(route->access, Access::kOperator) << write;
  }
  int booking_routes = 0;
  for (const Route& r : Routes()) {
    const bool booking =
        absl::string_view(r.method).rfind("/turnstile.v1.Booking/", 0) == 0;
    EXPECT_EQ(booking, r.backend == Backend::kBooking) << r.method;
    booking_routes += booking;
  }
  EXPECT_EQ(booking_routes, 9);
  // The waiting room is served by the gateway itself, nothing else is.
  int local_routes = 0;
  for (const Route& r : Routes()) {
    const bool waiting_room =
        absl::string_view(r.method).rfind("/turnstile.v1.WaitingRoom/", 0) == 0;
    EXPECT_EQ(waiting_room, r.backend == Backend::kGateway) << r.method;
    local_routes += waiting_room;
  }
  EXPECT_EQ(local_routes, 4);
  EXPECT_EQ(FindRoute("/turnstile.v1.WaitingRoom/ConfigureQueue")->access,
            Access::kOperator);
  EXPECT_EQ(FindRoute("/turnstile.v1.WaitingRoom/GetQueue")->access,
            Access::kAnyone);
  EXPECT_EQ(FindRoute("/turnstile.v1.WaitingRoom/JoinQueue")->access,
            Access::kBuyer);
  EXPECT_EQ(FindRoute("/turnstile.v1.WaitingRoom/GetTicket")->access,
            Access::kBuyer);
  EXPECT_EQ(BackendName(Backend::kBooking), "booking");
  EXPECT_EQ(static_cast<int>(Backend::kBooking), kBackendCount - 1);
  int i = 0;
  for (const Route& r : Routes()) EXPECT_EQ(r.index, i++) << r.method;
}

// The edge never routes what the mesh's table keeps for services, and each
// route's access class matches who the table lets call it.
TEST(Routes, AgreeWithTheAuthorizationTable) {
  for (const Route& route : Routes()) {
    const authz::Rule* rule = authz::Find(route.method);
    ASSERT_NE(rule, nullptr) << route.method;
    switch (route.access) {
      case Access::kAnyone:
        EXPECT_TRUE(rule->parties & authz::kAnyPeer) << route.method;
        break;
      case Access::kBuyer:
        EXPECT_TRUE(rule->parties & authz::kBuyer) << route.method;
        break;
      case Access::kOperator:
        EXPECT_TRUE(rule->parties & authz::kOperator) << route.method;
        EXPECT_FALSE(rule->parties & authz::kBuyer) << route.method;
        break;
    }
  }
  constexpr uint32_t kEndUsers =
      authz::kBuyer | authz::kOperator | authz::kAnyPeer;
  for (const authz::Rule& rule : authz::Table()) {
    if ((rule.parties & kEndUsers) == 0) {
      EXPECT_EQ(FindRoute(rule.method), nullptr)
          << rule.method << " is for services only";
    }
  }
}

TEST(RequestKind, Classification) {
  RequestFacts call{.post = true,
                    .target = "/turnstile.v1.Order/PlaceOrder",
                    .content_type = "application/grpc-web+proto"};
  EXPECT_EQ(ClassifyRequest(call).kind, RequestKind::kGrpcWeb);
  EXPECT_EQ(ClassifyRequest(call).format, WebFormat::kBinary);
  // Unrouted methods are still gRPC-web calls: the handler answers
  // UNIMPLEMENTED in gRPC terms.
  call.target = "/turnstile.v1.Participant/Confirm";
  EXPECT_EQ(ClassifyRequest(call).kind, RequestKind::kGrpcWeb);
  call.content_type = "application/json";
  EXPECT_EQ(ClassifyRequest(call).kind, RequestKind::kWrongContentType);
  call.content_type = "application/grpc-web-text";
  call.origin = "http://evil.example";
  EXPECT_EQ(ClassifyRequest(call).kind, RequestKind::kForbiddenOrigin);
  call.origin_allowed = true;
  EXPECT_EQ(ClassifyRequest(call).kind, RequestKind::kGrpcWeb);
  EXPECT_EQ(ClassifyRequest(call).format, WebFormat::kText);

  RequestFacts get{.get_or_head = true,
                   .target = "/turnstile.v1.Order/GetOrder"};
  EXPECT_EQ(ClassifyRequest(get).kind, RequestKind::kMethodNotAllowed);
  get.target = "/index.html";
  EXPECT_EQ(ClassifyRequest(get).kind, RequestKind::kNotFound);
  get.serves_static = true;
  EXPECT_EQ(ClassifyRequest(get).kind, RequestKind::kStatic);
  RequestFacts post_page{
      .post = true, .target = "/index.html", .serves_static = true};
  EXPECT_EQ(ClassifyRequest(post_page).kind, RequestKind::kNotFound);
  RequestFacts options{.options = true, .target = "/turnstile.v1.Order/X"};
  EXPECT_EQ(ClassifyRequest(options).kind, RequestKind::kPreflight);
}

TEST(RequestKind, BodyLimits) {
  EXPECT_EQ(MaxBodyBytes(WebFormat::kBinary, 100), 105u);
  EXPECT_EQ(MaxBodyBytes(std::nullopt, 100), 105u);
  // 105 bytes = 35 groups of 3 = 140 characters, + padding allowance.
  EXPECT_EQ(MaxBodyBytes(WebFormat::kText, 100), 140u + 64);
  EXPECT_EQ(MaxBodyBytes(WebFormat::kText, 101), 144u + 64);
}

TEST(Cors, ExactOriginsOnly) {
  auto policy =
      CorsPolicy::Parse("http://localhost:8080, https://shop.example");
  ASSERT_TRUE(policy.ok());
  EXPECT_TRUE(policy->Allowed("http://localhost:8080"));
  EXPECT_TRUE(policy->Allowed("HTTPS://SHOP.EXAMPLE"));
  EXPECT_FALSE(policy->Allowed("http://localhost:8081"));
  EXPECT_FALSE(policy->Allowed("http://evil.example"));
  EXPECT_FALSE(policy->Allowed(""));
  EXPECT_FALSE(policy->Allowed("null"));
  for (const char* bad : {"*", "http://*.example", "localhost:8080",
                          "http://a.example/path", "ftp://a.example"}) {
    EXPECT_FALSE(CorsPolicy::Parse(bad).ok()) << bad;
  }
  const auto headers = policy->PreflightHeaders("http://localhost:8080");
  auto find = [&](const std::string& key) {
    for (const auto& [k, v] : headers) {
      if (k == key) return v;
    }
    return std::string();
  };
  EXPECT_EQ(find("Access-Control-Allow-Origin"), "http://localhost:8080");
  EXPECT_EQ(find("Access-Control-Allow-Credentials"), "true");
  EXPECT_NE(find("Access-Control-Allow-Headers").find("grpc-timeout"),
            std::string::npos);
  EXPECT_NE(find("Access-Control-Allow-Headers").find("x-grpc-web"),
            std::string::npos);
}

TEST(StaticFiles, PathsStayInside) {
  EXPECT_EQ(*StaticRelativePath("/"), "index.html");
  EXPECT_EQ(*StaticRelativePath("/a/b.js?v=1"), "a/b.js");
  EXPECT_EQ(*StaticRelativePath("/dir/"), "dir/index.html");
  EXPECT_EQ(*StaticRelativePath("/a%20b.txt"), "a b.txt");
  for (const char* bad :
       {"/../etc/passwd", "/a/../../x", "/%2e%2e/etc/passwd", "/a%2f..%2fb",
        "/a%5cb", "/a\\b", "/.env", "/.git/config", "/a%00b", "/%zz", "/%2",
        "relative", ""}) {
    EXPECT_FALSE(StaticRelativePath(bad).ok()) << bad;
  }
  EXPECT_EQ(ContentTypeOf("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("assets/app-1234.js"),
            "text/javascript; charset=utf-8");
  EXPECT_EQ(CacheControlOf("index.html"), "no-cache");
  EXPECT_EQ(CacheControlOf("assets/app-1234.js"),
            "public, max-age=31536000, immutable");
}

TEST(StaticFiles, SymlinksOutAreNotFollowed) {
  char tmpl[] = "/tmp/turnstile-static-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string root = dir + "/www";
  ASSERT_EQ(system(("mkdir -p '" + root + "/assets'").c_str()), 0);
  std::ofstream(root + "/index.html") << "<p>hi</p>";
  std::ofstream(root + "/assets/app.js") << "console.log(1)";
  std::ofstream(dir + "/secret.txt") << "secret";
  ASSERT_EQ(symlink((dir + "/secret.txt").c_str(), (root + "/leak").c_str()),
            0);
  ASSERT_EQ(symlink(dir.c_str(), (root + "/up").c_str()), 0);
  ASSERT_EQ(symlink("assets/app.js", (root + "/inside.js").c_str()), 0);

  auto files = StaticFiles::Open(root, 1 << 20);
  ASSERT_TRUE(files.ok());
  auto index = files->Load("/");
  ASSERT_TRUE(index.ok());
  EXPECT_EQ(index->body, "<p>hi</p>");
  EXPECT_EQ(index->cache_control, "no-cache");
  EXPECT_FALSE(index->etag.empty());
  EXPECT_TRUE(files->Load("/assets/app.js").ok());
  EXPECT_TRUE(files->Load("/inside.js").ok());  // a symlink within is fine
  EXPECT_FALSE(files->Load("/leak").ok());
  EXPECT_FALSE(files->Load("/up/secret.txt").ok());
  EXPECT_FALSE(files->Load("/assets").ok());  // a directory
  EXPECT_FALSE(files->Load("/missing.js").ok());
  EXPECT_FALSE(StaticFiles::Open(dir + "/nope", 1).ok());
  ASSERT_EQ(system(("rm -rf '" + dir + "'").c_str()), 0);
}

}  // namespace
}  // namespace turnstile::gateway
