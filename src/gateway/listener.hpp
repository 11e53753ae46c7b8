// gateway/listener.hpp — accepts TCP connections for the player endpoint, optionally wrapping them in TLS, and
// gives each a session on its own strand: our own framing (LeanWebSocketSession) for plain connections, Beast's
// (WebSocketSession) for TLS and for what only Beast's does (text frames, staying open past an oversized frame: the
// devnode). Owns the acceptor and the connection cap; not the protocol.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

#include "gateway/lean_websocket_session.hpp"
#include "gateway/websocket_session.hpp"

namespace umpire::gateway {

struct ListenerOptions {
  asio::ip::tcp::endpoint endpoint;   // port 0 picks a free port (tests)
  SessionLimits session_limits;
  std::size_t max_connections = 50'000;  // beyond this, new sockets are closed at once
  bool beast_framing = false;  // plain connections through Beast's stream too (tests compare the two)
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  using HandlerFactory = std::function<std::shared_ptr<FrameHandler>(std::shared_ptr<FrameSender>)>;

  // `tls` is null for plain ws://. Binds at construction, so the port is known (and errors surface) at once.
  Listener(asio::io_context& io, ListenerOptions options, std::shared_ptr<asio::ssl::context> tls,
           HandlerFactory make_handler);

  void start();
  // Stops accepting and closes every open connection (each flushes what it has queued first). Connections end
  // asynchronously: open_connections() reaches 0 once they have.
  void stop();
  // Drops every connection still open at once (after stop(), for peers that never finish the closing handshake).
  void abort_all();
  asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  std::size_t open_connections() const { return open_connections_.load(); }

 private:
  asio::awaitable<void> accept_loop();
  // Every third of idle_timeout, a keep-alive tick to each of our own sessions (Beast's have a timer each).
  asio::awaitable<void> keepalive_loop();
  void track(const std::shared_ptr<FrameSender>& session);
  std::vector<std::shared_ptr<FrameSender>> live_sessions();

  asio::io_context& io_;
  ListenerOptions options_;
  std::shared_ptr<asio::ssl::context> tls_;
  HandlerFactory make_handler_;
  std::shared_ptr<const SessionLimits> shared_limits_;  // the lean sessions' one copy
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer keepalive_timer_{acceptor_.get_executor()};  // on the acceptor's strand; cancelled by stop()
  std::shared_ptr<std::atomic<std::size_t>> open_count_ = std::make_shared<std::atomic<std::size_t>>(0);
  std::atomic<std::size_t>& open_connections_ = *open_count_;
  // Every accepted session, so stop() can close them; weak, so a finished session is never kept alive. Sessions
  // run on strands of their own, hence the mutex (taken once per accept and once at stop).
  std::mutex sessions_mutex_;
  std::vector<std::weak_ptr<FrameSender>> sessions_;
};

}  // namespace umpire::gateway
