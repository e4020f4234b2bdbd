#include "services/gateway/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/log_budget.h"
#include "services/gateway/http_session.h"

namespace turnstile::gateway {
namespace net = boost::asio;
using tcp = net::ip::tcp;

HttpServer::HttpServer(Edge& edge, int threads)
    : edge_(edge),
      threads_(threads),
      io_(threads),
      acceptor_(net::make_strand(io_)),
      retry_(acceptor_.get_executor()) {}

HttpServer::~HttpServer() { Shutdown(std::chrono::milliseconds(0)); }

absl::Status HttpServer::Start(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen must be host:port, not ", listen));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[')
    host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen: bad address ", host));
  }
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen, ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  work_.emplace(io_.get_executor());
  for (int i = 0; i < threads_; ++i) {
    workers_.emplace_back([this] { io_.run(); });
  }
  return absl::OkStatus();
}

void HttpServer::Accept() {
  acceptor_.async_accept(
      net::make_strand(io_),
      [this](boost::system::error_code ec, tcp::socket socket) {
        OnAccept(ec, std::move(socket));
      });
}

// Runs on the acceptor's strand.
void HttpServer::OnAccept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors or buffers: retry shortly instead of spinning.
    static LogBudget budget(1);
    if (budget.Allow()) {
      spdlog::error("event=accept_failed error=\"{}\"", ec.message());
    }
    retry_.expires_after(std::chrono::milliseconds(100));
    retry_.async_wait([this](boost::system::error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open()) Accept();
    });
    return;
  }
  boost::system::error_code ep_ec;
  const auto remote = socket.remote_endpoint(ep_ec);
  std::string ip = ep_ec ? "unknown" : remote.address().to_string();
  const auto refusal = edge_.limits.TryOpen(ip);
  if (refusal == ConnectionLimits::Refusal::kNone) {
    edge_.metrics->ConnectionOpened();
    std::make_shared<HttpSession>(std::move(socket), edge_, std::move(ip))
        ->Start();
  } else {
    edge_.metrics->CountConnectionRefused(
        refusal == ConnectionLimits::Refusal::kTotal
            ? "max_connections"
            : "max_connections_per_ip");
    // Refused before reading anything: a short answer, best effort (the
    // socket is non-blocking; a full buffer just drops it).
    static constexpr char kBusy[] =
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
        "Retry-After: 1\r\nContent-Length: 0\r\n\r\n";
    socket.non_blocking(true, ep_ec);
    socket.write_some(net::buffer(kBusy, sizeof(kBusy) - 1), ep_ec);
    socket.shutdown(tcp::socket::shutdown_send, ep_ec);
    socket.close(ep_ec);
  }
  Accept();
}

void HttpServer::StopAccepting() {
  edge_.draining = true;
  net::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
    retry_.cancel();
  });
}

void HttpServer::Shutdown(std::chrono::milliseconds grace) {
  if (workers_.empty()) return;
  StopAccepting();
  const auto until = std::chrono::steady_clock::now() + grace;
  // Calls in flight finish and their answers are written.
  while (edge_.active_requests.load() > 0 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (edge_.active_requests.load() > 0) {
    // Past the grace: calls still waiting on the mesh are cancelled (their
    // clients get CANCELLED) and answered before the threads stop, so no
    // completion outlives the server.
    spdlog::warn("event=shutdown_cancelling active={} inflight={}",
                 edge_.active_requests.load(), edge_.limits.inflight());
    edge_.forwarder->CancelAll();
    const auto cancel_until =
        std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while ((edge_.limits.inflight() > 0 || edge_.active_requests.load() > 0) &&
           std::chrono::steady_clock::now() < cancel_until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  work_.reset();
  io_.stop();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

}  // namespace turnstile::gateway
