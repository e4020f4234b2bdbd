// POST /dev/token on the real gateway (issue 11 item 2, the local stack's
// sign-in): 404 like any unknown path unless --dev_token_endpoint (the
// default is off); when on, the token it answers works at once as that
// buyer -- and as an operator only when {"admin": true} was asked, which
// the gateway's start-up log warns about -- while a foreign page's origin
// and bad bodies get no token.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "tests/support/gateway_process.h"
#include "tests/support/mesh_test.h"
#include "tests/support/waiting_room_client.h"
#include "turnstile/v1/payment.pb.h"

namespace turnstile::testing {
namespace {

class DevTokenTest : public MeshTest {
 protected:
  void StartGateway(const std::vector<std::string>& args = {}) {
    gateway_ = std::make_unique<GatewayProcess>(mesh());
    ASSERT_TRUE(gateway_->Start(args));
  }
  void TearDown() override {
    if (HasFailure() && gateway_) gateway_->DumpLog(40);
    gateway_.reset();
    MeshTest::TearDown();
  }
  HttpResult Mint(
      const std::string& body,
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return HttpCall(gateway_->port(), "POST", "/dev/token", headers, body);
  }
  std::string TokenFrom(const HttpResult& r) {
    auto body = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_TRUE(body.is_object()) << r.body;
    if (!body.is_object() || !body.contains("token")) return "";
    return body["token"].get<std::string>();
  }
  int Wallet(const std::string& token, std::string* user = nullptr) {
    v1::GetWalletRequest req;
    req.set_currency("EUR");
    const WebReply r =
        WebRpc(gateway_->port(), "/turnstile.v1.Payment/GetWallet", req, token);
    v1::Wallet w;
    if (user && w.ParseFromString(r.message)) *user = w.user_id();
    return r.code;
  }
  int Deposit(const std::string& token) {
    v1::DepositRequest d;
    d.set_user_id("someone");
    d.mutable_amount()->set_minor_units(5);
    d.mutable_amount()->set_currency("EUR");
    d.set_request_id("dev-token-deposit");
    return WebRpc(gateway_->port(), "/turnstile.v1.Payment/Deposit", d, token)
        .code;
  }
  std::string Log() {
    std::ifstream in(gateway_->log_path());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(DevTokenTest, OffByDefault404) {
  StartGateway();
  const HttpResult r = Mint(R"({"user":"alice"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body.find("token"), std::string::npos);
  EXPECT_EQ(Mint(R"({"user":"ops","admin":true})").status, 404);
  EXPECT_EQ(Log().find("dev_token_endpoint_on"), std::string::npos);
  ASSERT_EQ(gateway_->Stop(), 0);
  ASSERT_TRUE(gateway_->Start({"--dev_token_endpoint=false"}));
  EXPECT_EQ(Mint(R"({"user":"alice"})").status, 404);
}

TEST_F(DevTokenTest, WhenOnItsTokensWorkAndOperatorOnlyWhenAsked) {
  shop().Deposit("dev-alice", 1234);
  StartGateway({"--dev_token_endpoint"});
  EXPECT_NE(Log().find("event=dev_token_endpoint_on"), std::string::npos);
  const HttpResult r = Mint(R"({"user":"dev-alice"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("cache-control"), "no-store");
  auto body = nlohmann::json::parse(r.body);
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  EXPECT_NEAR(body["expires_at"].get<int64_t>(), now + 3600, 5);
  const std::string buyer = TokenFrom(r);
  std::string user;
  EXPECT_EQ(Wallet(buyer, &user), 0);
  EXPECT_EQ(user, "dev-alice");
  EXPECT_EQ(Deposit(buyer), 7);  // a buyer, not an operator
  // The waiting room takes it as that buyer too.
  ASSERT_EQ(WaitingRoomClient(gateway_->port())
                .Configure(gateway_->Token("ops", true), Sku("dev-tee"), 1)
                .code,
            0);
  EXPECT_EQ(
      WaitingRoomClient(gateway_->port()).Join(buyer, Sku("dev-tee")).code, 0);
  // Operators only on request (documented: local stacks only).
  const std::string ops = TokenFrom(Mint(R"({"user":"dev-ops","admin":true})"));
  EXPECT_EQ(Deposit(ops), 0);
  // Bad bodies and a foreign page's origin get no token.
  EXPECT_EQ(Mint(R"({"user":"a b"})").status, 400);
  EXPECT_EQ(Mint(R"({"user":"x","role":"admin"})").status, 400);
  EXPECT_EQ(Mint("not json").status, 400);
  const HttpResult foreign =
      Mint(R"({"user":"dev-alice"})", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(foreign.body.find("token"), std::string::npos);
  // Only POST.
  EXPECT_EQ(HttpCall(gateway_->port(), "GET", "/dev/token", {}).status, 404);
}

}  // namespace
}  // namespace turnstile::testing
