// The invariant checker of DESIGN.md §4: reads every service's database and
// verifies that nothing was oversold, double-sold, double-charged or left
// half-done. Used by `turnstilectl check`, the demo, the benchmarks and the
// tests, so that every claim about correctness is checked the same way.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace turnstile::tools {

// Connection strings by service name: coordinator, inventory, seat,
// booking, payment, order.
using Databases = std::map<std::string, std::string>;

// Builds Databases from a base conninfo (host, port, user) and a database
// name prefix: dbname=<prefix>_<service>.
Databases DatabasesFor(const std::string& base, const std::string& prefix);

struct CheckResult {
  std::string name;  // e.g. "stock: available + locked + sold = total"
  bool ok = true;
  std::string detail;  // counts on success, first violations on failure
};

struct CheckOptions {
  // A non-terminal transaction whose deadline passed more than this long ago
  // is a violation (the retry horizon of invariant 4).
  int horizon_seconds = 60;
};

// Runs every check. An error status means a database could not be read.
absl::StatusOr<std::vector<CheckResult>> CheckInvariants(
    const Databases& dbs, const CheckOptions& options = {});

// True if every result is ok.
bool AllOk(const std::vector<CheckResult>& results);

// One line per result: "ok   name (detail)" / "FAIL name: detail".
std::string FormatResults(const std::vector<CheckResult>& results);

}  // namespace turnstile::tools
