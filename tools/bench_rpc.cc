#include "tools/bench_rpc.h"

#include <cstdlib>
#include <ctime>
#include <iostream>
#include <random>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "tools/bench_flags.h"

namespace turnstile::bench {

using std::chrono::milliseconds;

milliseconds Timeout() {
  return milliseconds(absl::GetFlag(FLAGS_rpc_timeout_ms));
}

std::string User(int64_t n) {
  return absl::StrCat(absl::GetFlag(FLAGS_user_prefix), n);
}

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "turnstile-bench: " << what << "\n";
  std::exit(2);
}

std::string Tag() {
  std::mt19937_64 rng(std::random_device{}());
  return absl::StrCat(std::time(nullptr), "-", rng() % 100000);
}

}  // namespace turnstile::bench
