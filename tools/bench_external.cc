#include "tools/bench_external.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/pg_password.h"
#include "services/common/pg_pool.h"
#include "tools/bench_stats.h"

namespace turnstile::bench {

CommandResult RunShell(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0)
    result.output.append(buf, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string ShellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool HaveProgram(const std::string& program) {
  return RunShell("command -v " + ShellQuote(program)).exit_code == 0;
}

namespace {

// A pgpass file (https://www.postgresql.org/docs/current/libpq-pgpass.html)
// holding one password for every server and user, mode 0600, deleted on
// destruction: how pgbench gets the password without a command line that
// shows it.
class TempPgpass {
 public:
  explicit TempPgpass(const std::string& password) {
    if (password.empty()) return;
    char path[] = "/tmp/turnstile-bench-pgpass-XXXXXX";
    const int fd = mkstemp(path);  // 0600
    if (fd < 0) return;
    std::string line = "*:*:*:*:";
    for (char c : password) {
      if (c == ':' || c == '\\') line += '\\';
      line += c;
    }
    line += '\n';
    const bool written = write(fd, line.data(), line.size()) ==
                         static_cast<ssize_t>(line.size());
    close(fd);
    if (written)
      path_ = path;
    else
      unlink(path);
  }
  TempPgpass(const TempPgpass&) = delete;
  TempPgpass& operator=(const TempPgpass&) = delete;
  ~TempPgpass() {
    if (!path_.empty()) unlink(path_.c_str());
  }

  // "PGPASSFILE=<path> " to put before the command ("" without a password).
  std::string EnvPrefix() const {
    return path_.empty() ? "" : absl::StrCat("PGPASSFILE=", path_, " ");
  }

 private:
  std::string path_;
};

}  // namespace

absl::StatusOr<PgbenchResult> RunPgbench(const PgbenchOptions& options) {
  if (!HaveProgram("pgbench")) {
    return absl::NotFoundError("pgbench is not installed");
  }
  PgbenchResult result;
  result.seconds = options.seconds;
  const std::string conninfo =
      absl::StrCat(options.pg_base, " dbname=", options.db);
  // The connections of this process get the password in memory.
  auto with_password = [&](const std::string& info) {
    return options.password.empty()
               ? absl::StatusOr<std::string>(info)
               : ConninfoWithPassword(info, options.password);
  };
  auto admin_info = with_password(options.pg_base + " dbname=postgres");
  auto db_info = with_password(conninfo);
  if (!admin_info.ok()) return admin_info.status();
  if (!db_info.ok()) return db_info.status();
  const TempPgpass pgpass(options.password);
  try {
    pqxx::connection admin(*admin_info);
    pqxx::nontransaction tx(admin);
    if (tx.exec_params("SELECT 1 FROM pg_database WHERE datname = $1",
                       options.db)
            .empty()) {
      tx.exec("CREATE DATABASE " + tx.quote_name(options.db));
    }
    // Leave room for the services' pools (and this process).
    const int max_conn = tx.exec("SHOW max_connections")[0][0].as<int>();
    const int used =
        tx.exec("SELECT count(*) FROM pg_stat_activity")[0][0].as<int>();
    result.clients =
        std::max(1, std::min(options.clients, max_conn - used - 10));
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
  bool initialized = false;
  try {
    pqxx::connection db(*db_info);
    pqxx::nontransaction tx(db);
    initialized = !tx.exec(
                         "SELECT 1 FROM pg_tables WHERE tablename = "
                         "'pgbench_branches'")
                       .empty();
  } catch (const std::exception& e) {
    return StatusFromException(e);
  }
  if (!initialized) {
    const auto init =
        RunShell(absl::StrCat(pgpass.EnvPrefix(), "pgbench -i -q -s ",
                              options.scale, " ", ShellQuote(conninfo)));
    if (init.exit_code != 0) {
      return absl::InternalError("pgbench -i failed: " + init.output);
    }
  }
  result.command = absl::StrCat("pgbench -c ", result.clients, " -j 2 -T ",
                                options.seconds, " ", ShellQuote(conninfo));
  const auto run = RunShell(pgpass.EnvPrefix() + result.command);
  auto tps = ParsePgbenchTps(run.output);
  if (run.exit_code != 0 || !tps) {
    return absl::InternalError("pgbench failed: " + run.output);
  }
  result.tps = *tps;
  return result;
}

absl::StatusOr<RedisBenchmarkResult> RunRedisBenchmark(
    const std::string& host, int port, const std::string& password,
    int requests, int clients, const std::vector<std::string>& args) {
  if (!HaveProgram("redis-benchmark")) {
    return absl::NotFoundError("redis-benchmark is not installed");
  }
  RedisBenchmarkResult result;
  std::string rest = absl::StrCat(" -q -n ", requests, " -c ", clients);
  for (const auto& a : args) absl::StrAppend(&rest, " ", ShellQuote(a));
  const std::string start =
      absl::StrCat("redis-benchmark -h ", ShellQuote(host), " -p ", port);
  const std::string auth = password.empty() ? "" : " -a ";
  result.command =
      absl::StrCat(start, auth, password.empty() ? "" : "***", rest);
  const auto run = RunShell(absl::StrCat(
      start, auth, password.empty() ? "" : ShellQuote(password), rest));
  auto rps = ParseRedisBenchmarkRps(run.output);
  if (run.exit_code != 0 || !rps) {
    return absl::InternalError("redis-benchmark failed: " + run.output);
  }
  result.rps = *rps;
  return result;
}

absl::Status PlotLatencyCdf(const std::string& png, const std::string& title,
                            const std::vector<PlotSeries>& series) {
  if (!HaveProgram("gnuplot")) {
    return absl::NotFoundError("gnuplot is not installed");
  }
  std::string plot;
  int n = 0;
  for (const auto& s : series) {
    if (s.sorted_ms == nullptr || s.sorted_ms->empty()) continue;
    const std::string data = absl::StrCat(png, ".", n++, ".dat");
    std::ofstream out(data);
    for (const auto& [x, y] : CdfPoints(*s.sorted_ms, 2000)) {
      // log x: keep strictly positive
      out << absl::StrFormat("%.6f %.6f\n", std::max(x, 1e-3), y);
    }
    if (!out) return absl::InternalError("cannot write " + data);
    absl::StrAppend(
        &plot, plot.empty() ? "plot " : ", ", ShellQuote(data),
        " using 1:2 with lines lw 2 title ",
        JsonQuote(absl::StrCat(s.title, " (n=", s.sorted_ms->size(), ")")));
  }
  if (plot.empty()) return absl::FailedPreconditionError("nothing to plot");
  const std::string script = png + ".gp";
  {
    std::ofstream out(script);
    out << "set terminal pngcairo size 1000,600\n"
        << "set output " << JsonQuote(png) << "\n"
        << "set title " << JsonQuote(title) << " noenhanced\n"
        << "set logscale x\n"
        << "set xlabel 'latency (ms, log scale)'\n"
        << "set ylabel 'fraction of requests at or below'\n"
        << "set yrange [0:1.02]\n"
        << "set key bottom right noenhanced\n"
        << "set grid\n"
        << plot << "\n";
    if (!out) return absl::InternalError("cannot write " + script);
  }
  const auto run = RunShell("gnuplot " + ShellQuote(script));
  if (run.exit_code != 0) {
    return absl::InternalError("gnuplot failed: " + run.output);
  }
  return absl::OkStatus();
}

}  // namespace turnstile::bench
