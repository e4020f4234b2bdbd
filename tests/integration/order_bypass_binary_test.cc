// The coordinator bypass exists only in the bench-only binary
// turnstile-order-bypass: the production turnstile-order refuses the old
// --unsafe_bypass_coordinator flag as unknown, ignores the environment
// variable of that name (no such flag to set), mentions no bypass in its
// flags, and does not contain the bypass code at all. The bench binary
// warns loudly before anything else.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/mesh.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/test_pki.h"

namespace turnstile {
namespace {

struct CommandRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `command` through the shell, bounded by `timeout 20` so that a binary
// that unexpectedly starts serving cannot hang the test.
CommandRun RunBounded(const std::string& command) {
  CommandRun run;
  FILE* pipe = popen(("timeout 20 " + command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.output.append(buf, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// Flags that make the order process give up at once if it does start: no
// database on port 1, no waiting for one.
std::string Harmless() {
  return " --listen=127.0.0.1:" + std::to_string(testing::FreePort()) +
         " --metrics_listen= --migrate_wait_ms=0"
         " --pg='host=127.0.0.1 port=1 dbname=x user=x connect_timeout=1'"
         " --tls_dir=" +
         testing::TestPkiDir();
}

TEST(OrderBypassBinaryTest, ProductionBinaryRejectsTheBypassFlag) {
  for (const char* flag :
       {"--unsafe_bypass_coordinator", "--unsafe_bypass_coordinator=true"}) {
    const CommandRun run = RunBounded(testing::Binary("turnstile-order") + " " +
                                      flag + Harmless());
    EXPECT_NE(run.exit_code, 0) << flag << "\n" << run.output;
    EXPECT_NE(run.output.find(
                  "Unknown command line flag 'unsafe_bypass_coordinator'"),
              std::string::npos)
        << flag << "\n"
        << run.output;
  }
}

TEST(OrderBypassBinaryTest, ProductionBinaryHasNoBypassAnywhere) {
  // No flag mentions it.
  const CommandRun help =
      RunBounded(testing::Binary("turnstile-order") + " --helpfull");
  EXPECT_NE(help.output.find("--pg_password_file"), std::string::npos)
      << help.output;
  EXPECT_EQ(help.output.find("bypass"), std::string::npos) << help.output;
  // The environment cannot turn it on: it fails on the database like any
  // start without one, and never says it bypasses.
  const CommandRun env =
      RunBounded("env TURNSTILE_UNSAFE_BYPASS_COORDINATOR=true " +
                 testing::Binary("turnstile-order") + Harmless());
  EXPECT_NE(env.exit_code, 0) << env.output;
  EXPECT_NE(env.output.find("event=migrate_failed"), std::string::npos)
      << env.output;
  EXPECT_EQ(env.output.find("BYPASS"), std::string::npos) << env.output;
  // The bypass flow is not linked in: neither its symbols nor its warning
  // are in the binary's bytes.
  std::ifstream in(testing::Binary("turnstile-order"), std::ios::binary);
  ASSERT_TRUE(in.good());
  std::stringstream bytes;
  bytes << in.rdbuf();
  EXPECT_EQ(bytes.str().find("BypassFlow"), std::string::npos);
  EXPECT_EQ(bytes.str().find("UNSAFE_COORDINATOR_BYPASS"), std::string::npos);
}

TEST(OrderBypassBinaryTest, BenchBinaryWarnsBeforeAnythingElse) {
  const CommandRun run =
      RunBounded(testing::Binary("turnstile-order-bypass") + Harmless());
  EXPECT_NE(run.exit_code, 0) << run.output;  // no database
  EXPECT_EQ(
      run.output.rfind("turnstile-order-bypass: UNSAFE, BENCHMARK ONLY", 0), 0u)
      << run.output;
  // It has no switch to turn the bypass off either: the binary is the mode.
  const CommandRun help =
      RunBounded(testing::Binary("turnstile-order-bypass") + " --helpfull");
  EXPECT_EQ(help.output.find("unsafe_bypass_coordinator"), std::string::npos);
}

}  // namespace
}  // namespace turnstile
