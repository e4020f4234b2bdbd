// Lets a Node test of the web runner stop and start mesh services while it
// runs (e.g. the operator console test stops payment to make a transaction
// stuck). The runner creates a FIFO and exports its path as
// SERVICE_CONTROL_FIFO; a test writes one line per request,
//   "<id> <stop|kill|start> <service>\n"
// and the runner answers by creating <fifo>.<id>.done holding "ok" or
// "error: <why>" once the service is down (stop: SIGTERM, graceful; kill:
// SIGKILL) or up again and accepting connections (start, with the flags of
// its first start). Requests run one at a time on a thread of the runner,
// while the test runs; web/test/ui/lib/control.mjs is the Node side.
#pragma once

#include <string>
#include <thread>

#include "tests/support/mesh.h"

namespace turnstile::testing {

class ServiceControl {
 public:
  // Creates the FIFO in `dir` and starts serving requests on `mesh`.
  ServiceControl(Mesh& mesh, const std::string& dir);
  // Stops the thread (after the request in progress).
  ~ServiceControl();

  const std::string& fifo() const { return fifo_; }
  bool ok() const { return ok_; }

 private:
  void Serve();
  // One request line; returns the answer ("ok" or "error: ...").
  std::string Handle(const std::string& action, const std::string& service);

  Mesh& mesh_;
  std::string fifo_;
  bool ok_ = false;
  std::thread thread_;
};

}  // namespace turnstile::testing
