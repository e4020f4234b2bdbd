// A real child process for integration and chaos tests: started with
// arguments, output to a log file, killed with a real signal.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace turnstile::testing {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILLs a child still running

  // Starts `path` with `args`, stdout+stderr appended to `log_path`.
  void Start(const std::string& path, const std::vector<std::string>& args,
             const std::string& log_path);
  // Sends SIGKILL and reaps the child.
  void Kill();
  // Sends SIGTERM and waits up to timeout_ms (then SIGKILL); returns the exit
  // status (or -1 if killed).
  int Terminate(int timeout_ms = 10000);
  bool running() const { return pid_ > 0; }
  // True if the child has exited (reaps it).
  bool Exited();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

}  // namespace turnstile::testing
