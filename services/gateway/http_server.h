// The gateway's listening socket and I/O threads: accepts connections,
// admits each within the connection bounds (a refused one gets a short 503
// and is closed at once), and hands it to an HttpSession on its own strand.
// Shutdown() closes the listener, waits for requests being answered, then
// stops the threads.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "services/gateway/edge.h"

namespace turnstile::gateway {

class HttpServer {
 public:
  HttpServer(Edge& edge, int threads);
  ~HttpServer();

  // Binds "host:port" and starts the threads.
  absl::Status Start(const std::string& listen);
  int port() const { return port_; }

  // Stops accepting; open connections finish their current request and
  // close (the draining flag turns keep-alive off).
  void StopAccepting();
  // Stops accepting, waits up to `grace` for every request read to be
  // answered (calls in flight included), then stops the threads.
  void Shutdown(std::chrono::milliseconds grace);

 private:
  void Accept();
  void OnAccept(boost::system::error_code ec,
                boost::asio::ip::tcp::socket socket);

  Edge& edge_;
  const int threads_;
  boost::asio::io_context io_;
  // Keeps the threads running while a call waits on the mesh (no asio
  // operation is pending then), until Shutdown.
  std::optional<
      boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      work_;
  boost::asio::ip::tcp::acceptor acceptor_;  // on its own strand
  boost::asio::steady_timer retry_;          // after a failed accept
  std::vector<std::thread> workers_;
  int port_ = 0;
};

}  // namespace turnstile::gateway
