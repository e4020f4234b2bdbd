// `turnstilectl token` (tools/ctl_main.cc), run as the built binary with no
// server and no TLS files: what it prints is one line, a token the gateway's
// verifier accepts for that user, role, lifetime, issuer and audience; bad
// input is exit code 2 with a message on stderr and nothing on stdout.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>

#include "services/gateway/jwt/jwt_verifier.h"

namespace turnstile::gateway {
namespace {

const std::string kSecret = "cli-test-secret-0123456789abcdef0123";

struct CtlResult {
  int exit_code = -1;
  std::string out, err;
};

class TokenCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/turnstile-jwt-cli-XXXXXX";
    dir_ = mkdtemp(dir);
    secret_file_ = dir_ + "/secret";
    std::ofstream(secret_file_) << kSecret << "\n";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }

  // turnstilectl with `args`; TURNSTILE_* variables cleared so that only
  // the command line counts.
  CtlResult Ctl(const std::string& args) {
    const std::string err_file = dir_ + "/stderr";
    const std::string cmd =
        "env -u TURNSTILE_USER -u TURNSTILE_ADMIN "
        "-u TURNSTILE_TTL -u TURNSTILE_JWT_ISSUER "
        "-u TURNSTILE_JWT_AUDIENCE "
        "-u TURNSTILE_JWT_HS256_SECRET_FILE "
        "timeout 20 " TURNSTILE_BIN_DIR "/turnstilectl " +
        args + " 2>" + err_file;
    CtlResult run;
    FILE* pipe = popen(cmd.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) {
      run.out.append(buf.data(), n);
    }
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(err_file);
    std::stringstream err;
    err << in.rdbuf();
    run.err = err.str();
    return run;
  }

  std::unique_ptr<JwtVerifier> Verifier(const std::string& issuer,
                                        const std::string& audience) {
    JwtSettings s;
    s.hs256_secret_file = secret_file_;
    s.issuer = issuer;
    s.audience = audience;
    auto v = JwtVerifier::Create(s);
    EXPECT_TRUE(v.ok()) << v.status();
    return *std::move(v);
  }

  std::string dir_, secret_file_;
};

TEST_F(TokenCliTest, PrintsATokenTheVerifierAccepts) {
  const int64_t before = std::time(nullptr);
  CtlResult run = Ctl(
      "token --user=op@example.com --admin --ttl=10m "
      "--jwt_hs256_secret_file=" +
      secret_file_ + " --jwt_issuer=turnstile-test --jwt_audience=turnstile");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_FALSE(run.out.empty());
  EXPECT_EQ(run.out.back(), '\n');
  const std::string token = run.out.substr(0, run.out.size() - 1);
  EXPECT_EQ(token.find('\n'), std::string::npos);
  const auto out =
      Verifier("turnstile-test", "turnstile")->Verify(token, before);
  ASSERT_TRUE(out.ok) << out.message;
  EXPECT_EQ(out.principal.user, "op@example.com");
  EXPECT_TRUE(out.principal.admin);
  EXPECT_GE(out.principal.expires_at_s, before + 600);
  EXPECT_LE(out.principal.expires_at_s, std::time(nullptr) + 600);
}

TEST_F(TokenCliTest, DefaultsAreOneHourNoAdminAndTheFlagDefaults) {
  const int64_t before = std::time(nullptr);
  CtlResult run =
      Ctl("token --user=alice --jwt_hs256_secret_file=" + secret_file_);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string token = run.out.substr(0, run.out.size() - 1);
  const auto out =
      Verifier("turnstile-local", "turnstile")->Verify(token, before);
  ASSERT_TRUE(out.ok) << out.message;
  EXPECT_FALSE(out.principal.admin);
  EXPECT_GE(out.principal.expires_at_s, before + 3600);
  // Another issuer's verifier refuses it.
  EXPECT_EQ(
      Verifier("turnstile-test", "turnstile")->Verify(token, before).reason,
      kTokenBadIssuer);
}

TEST_F(TokenCliTest, BadInputIsExitCode2WithAMessage) {
  const std::string secret = " --jwt_hs256_secret_file=" + secret_file_;
  const std::string short_secret = dir_ + "/short";
  std::ofstream(short_secret) << "too-short\n";
  for (const std::string& args :
       {"token" + secret,                   // no --user
        "token --user='a b'" + secret,      // not a user id
        std::string("token --user=alice"),  // no secret file
        "token --user=alice --jwt_hs256_secret_file=" + dir_ + "/absent",
        "token --user=alice --jwt_hs256_secret_file=" + short_secret,
        "token --user=alice --ttl=0s" + secret,
        "token --user=alice --ttl=-1h" + secret,
        "token --user=alice --ttl=9000h" + secret,
        "token extra --user=alice" + secret}) {
    CtlResult run = Ctl(args);
    EXPECT_EQ(run.exit_code, 2) << args;
    EXPECT_TRUE(run.out.empty()) << args;
    EXPECT_FALSE(run.err.empty()) << args;
    EXPECT_EQ(run.err.find("too-short"), std::string::npos)
        << "the secret must not be printed";
  }
}

}  // namespace
}  // namespace turnstile::gateway
