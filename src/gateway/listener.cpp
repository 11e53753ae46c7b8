// gateway/listener.cpp — the accept loop (see the header).
#include "gateway/listener.hpp"

#include <algorithm>

namespace umpire::gateway {

namespace {

// Held by a session's handler factory, which lives exactly as long as the session's coroutine: the connection
// count goes down when the connection is gone, however it ended.
struct ConnectionTicket {
  explicit ConnectionTicket(std::shared_ptr<std::atomic<std::size_t>> count) : count(std::move(count)) { ++*this->count; }
  ~ConnectionTicket() { --*count; }
  ConnectionTicket(const ConnectionTicket&) = delete;
  ConnectionTicket& operator=(const ConnectionTicket&) = delete;
  std::shared_ptr<std::atomic<std::size_t>> count;
};

}  // namespace

Listener::Listener(asio::io_context& io, ListenerOptions options, std::shared_ptr<asio::ssl::context> tls,
                   HandlerFactory make_handler)
    : io_(io), options_(std::move(options)), tls_(std::move(tls)), make_handler_(std::move(make_handler)),
      shared_limits_(std::make_shared<const SessionLimits>(options_.session_limits)),
      acceptor_(asio::make_strand(io)) {
  acceptor_.open(options_.endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(options_.endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Listener::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
  asio::co_spawn(acceptor_.get_executor(), keepalive_loop(), asio::detached);
}

void Listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->keepalive_timer_.cancel();
    for (const auto& session : self->live_sessions()) session->close("server stopping");
  });
}

void Listener::abort_all() {
  for (const auto& session : live_sessions()) session->abort();
}

std::vector<std::shared_ptr<FrameSender>> Listener::live_sessions() {
  std::lock_guard lock(sessions_mutex_);
  std::vector<std::shared_ptr<FrameSender>> live;
  for (const auto& weak : sessions_) {
    if (auto session = weak.lock()) live.push_back(std::move(session));
  }
  return live;
}

void Listener::track(const std::shared_ptr<FrameSender>& session) {
  std::lock_guard lock(sessions_mutex_);
  // Prune finished sessions whenever the list has doubled since the last prune: amortised O(1) per accept.
  if (sessions_.size() >= 2 * std::max<std::size_t>(open_connections_.load(), 64)) {
    std::erase_if(sessions_, [](const auto& weak) { return weak.expired(); });
  }
  sessions_.push_back(session);
}

asio::awaitable<void> Listener::keepalive_loop() {
  auto self = shared_from_this();
  const auto period = std::max<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_limits.idle_timeout) / 3,
      std::chrono::milliseconds(100));
  while (acceptor_.is_open()) {
    keepalive_timer_.expires_after(period);
    auto [error] = co_await keepalive_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (error || !acceptor_.is_open()) co_return;
    for (const auto& session : live_sessions()) {
      if (auto lean = std::dynamic_pointer_cast<LeanWebSocketSession>(session)) lean->keepalive_tick();
    }
  }
}

asio::awaitable<void> Listener::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    asio::ip::tcp::socket socket(asio::make_strand(io_));
    auto [error] = co_await acceptor_.async_accept(socket, asio::as_tuple(asio::use_awaitable));
    if (error == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (error) continue;  // e.g. EMFILE: the next accept may succeed once a descriptor is freed
    if (open_connections_.load() >= options_.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    socket.set_option(asio::ip::tcp::no_delay(true));
    boost::system::error_code endpoint_error;
    const auto remote = socket.remote_endpoint(endpoint_error);
    const std::string remote_text = endpoint_error ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
    // Counted open from here until the session is gone; the session holds the ticket.
    auto ticket = std::make_shared<ConnectionTicket>(open_count_);
    if (tls_) {
      auto session = std::make_shared<TlsSession>(beast::ssl_stream<asio::ip::tcp::socket>(std::move(socket), *tls_),
                                                  options_.session_limits, remote_text);
      track(session);
      session->start(make_handler_, std::move(ticket));
    } else if (!options_.beast_framing && !options_.session_limits.text_frames &&
               !options_.session_limits.keep_open_on_oversized_frame) {
      auto session = std::make_shared<LeanWebSocketSession>(std::move(socket), shared_limits_, remote_text);
      track(session);
      session->start(make_handler_, std::move(ticket));
    } else {
      auto session = std::make_shared<PlainSession>(std::move(socket), options_.session_limits, remote_text);
      track(session);
      session->start(make_handler_, std::move(ticket));
    }
  }
}

}  // namespace umpire::gateway
