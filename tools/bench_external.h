// The outside programs turnstile-bench drives: the baselines it compares
// against in the same run (pgbench tpcb-like on the same PostgreSQL server,
// redis-benchmark EVALSHA of the reserve script on the same Redis) and
// gnuplot for the latency plot. Each runs as a child process through the
// shell with its output captured; a missing program is reported, not fatal.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace turnstile::bench {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh, output captured.
CommandResult RunShell(const std::string& command);
// `text` single-quoted for the shell.
std::string ShellQuote(const std::string& text);
// True if `program` is on PATH.
bool HaveProgram(const std::string& program);

struct PgbenchOptions {
  std::string pg_base;   // libpq conninfo without dbname or password
  std::string password;  // of the user in pg_base ("" = none)
  std::string db;        // scratch database, created and initialized once
  int clients = 32;      // capped by the server's free connections
  int seconds = 10;
  int scale = 10;
};

struct PgbenchResult {
  double tps = 0;
  int clients = 0;  // actually used
  int seconds = 0;
  std::string command;  // as run, without the password
};

// Creates and initializes (pgbench -i, once) the scratch database, then
// runs the default tpcb-like script. pgbench reads the password from a
// private pgpass file (PGPASSFILE), so it is in no command line.
absl::StatusOr<PgbenchResult> RunPgbench(const PgbenchOptions& options);

struct RedisBenchmarkResult {
  double rps = 0;
  std::string command;  // as run, the password replaced by "***"
};

// redis-benchmark -q -n requests -c clients <args...> against host:port,
// with -a `password` unless it is empty. redis-benchmark takes a password
// only on its command line: it is visible there (to `ps`) while the
// baseline runs, and is kept out of `command`.
absl::StatusOr<RedisBenchmarkResult> RunRedisBenchmark(
    const std::string& host, int port, const std::string& password,
    int requests, int clients, const std::vector<std::string>& args);

struct PlotSeries {
  std::string title;
  const std::vector<double>* sorted_ms;  // ascending
};

// Writes `png` (latency CDF, log x) with gnuplot; the data files and the
// script are kept next to it (<png>.<n>.dat, <png>.gp).
absl::Status PlotLatencyCdf(const std::string& png, const std::string& title,
                            const std::vector<PlotSeries>& series);

}  // namespace turnstile::bench
