// ops/admin_server.hpp — the operators' HTTP listener, separate from the player port: GET /metrics (Prometheus
// text), /healthz (the process is alive and its event loop answers) and /readyz (ready to take players, with the
// reason when not). Owns only the HTTP plumbing; readiness is decided by whoever passes `is_ready`.
#pragma once

#include <boost/asio.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "ops/metrics.hpp"

namespace umpire::ops {

namespace asio = boost::asio;

class AdminServer : public std::enable_shared_from_this<AdminServer> {
 public:
  // Returns nothing when ready, or the reason it is not (e.g. "clearnode not authenticated").
  using ReadinessCheck = std::function<std::optional<std::string>()>;

  AdminServer(asio::io_context& io, asio::ip::tcp::endpoint endpoint, const Registry& registry,
              ReadinessCheck is_ready);
  void start();
  void stop();
  asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  const Registry& registry_;
  ReadinessCheck is_ready_;
};

}  // namespace umpire::ops
