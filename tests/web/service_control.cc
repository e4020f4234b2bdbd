#include "tests/web/service_control.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

namespace turnstile::testing {
namespace {

constexpr char kQuit[] = "quit";

bool SafeId(const std::string& id) {
  return !id.empty() && id.size() <= 64 &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' ||
                  c == '_';
         });
}

}  // namespace

ServiceControl::ServiceControl(Mesh& mesh, const std::string& dir)
    : mesh_(mesh), fifo_(dir + "/service-control") {
  unlink(fifo_.c_str());
  if (mkfifo(fifo_.c_str(), 0600) != 0) {
    std::cerr << "service control: mkfifo " << fifo_ << " failed\n";
    return;
  }
  ok_ = true;
  thread_ = std::thread([this] { Serve(); });
}

ServiceControl::~ServiceControl() {
  if (!ok_) return;
  // Wakes the reader (it may be waiting for a writer to open the FIFO).
  const int fd = open(fifo_.c_str(), O_WRONLY);
  if (fd >= 0) {
    const std::string line = std::string(kQuit) + "\n";
    (void)!write(fd, line.data(), line.size());
    close(fd);
  }
  thread_.join();
  unlink(fifo_.c_str());
}

void ServiceControl::Serve() {
  for (;;) {
    // Blocks until a writer opens it; EOF when the writer closes it.
    std::ifstream in(fifo_);
    std::string line;
    while (std::getline(in, line)) {
      if (line == kQuit) return;
      std::istringstream words(line);
      std::string id, action, service;
      words >> id >> action >> service;
      if (!SafeId(id)) {
        std::cerr << "service control: bad request \"" << line << "\"\n";
        continue;
      }
      const std::string answer = Handle(action, service);
      std::cerr << "service control: " << action << " " << service << ": "
                << answer << "\n";
      const std::string done = fifo_ + "." + id + ".done";
      const std::string tmp = done + ".tmp";
      {
        std::ofstream out(tmp);
        out << answer;
      }
      rename(tmp.c_str(), done.c_str());
    }
  }
}

std::string ServiceControl::Handle(const std::string& action,
                                   const std::string& service) {
  const auto& known = Mesh::Services();
  if (std::find(known.begin(), known.end(), service) == known.end()) {
    return "error: unknown service " + service;
  }
  if (action == "stop") {
    mesh_.Stop(service);
  } else if (action == "kill") {
    mesh_.Kill(service);
  } else if (action == "start") {
    mesh_.Start(service);  // waits until it accepts connections
  } else {
    return "error: unknown action " + action;
  }
  return "ok";
}

}  // namespace turnstile::testing
