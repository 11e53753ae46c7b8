// ops/admin_server.cpp — see the header. One request per connection keeps it simple; scrapers reconnect cheaply.
#include "ops/admin_server.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace umpire::ops {

namespace beast = boost::beast;
namespace http = beast::http;

AdminServer::AdminServer(asio::io_context& io, asio::ip::tcp::endpoint endpoint, const Registry& registry,
                         ReadinessCheck is_ready)
    : io_(io), acceptor_(asio::make_strand(io)), registry_(registry), is_ready_(std::move(is_ready)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
}

void AdminServer::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }

void AdminServer::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
  });
}

asio::awaitable<void> AdminServer::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    asio::ip::tcp::socket socket(asio::make_strand(io_));
    auto [error] = co_await acceptor_.async_accept(socket, asio::as_tuple(asio::use_awaitable));
    if (!acceptor_.is_open()) co_return;
    if (error) continue;
    asio::co_spawn(socket.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> AdminServer::serve(asio::ip::tcp::socket socket) {
  auto self = shared_from_this();
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(std::chrono::seconds(10));
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(8 * 1024);
  auto [read_error, bytes] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  (void)bytes;
  if (read_error) co_return;
  const auto& request = parser.get();
  http::response<http::string_body> response{http::status::ok, request.version()};
  response.set(http::field::server, "umpire");
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  const std::string_view target = request.target();
  if (request.method() != http::verb::get) {
    response.result(http::status::method_not_allowed);
    response.body() = "only GET\n";
  } else if (target == "/metrics") {
    response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    response.body() = registry_.render();
  } else if (target == "/healthz") {
    response.body() = "ok\n";
  } else if (target == "/readyz") {
    if (const auto reason = is_ready_()) {
      response.result(http::status::service_unavailable);
      response.body() = "not ready: " + *reason + "\n";
    } else {
      response.body() = "ready\n";
    }
  } else {
    response.result(http::status::not_found);
    response.body() = "endpoints: /metrics /healthz /readyz\n";
  }
  response.keep_alive(false);
  response.prepare_payload();
  co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace umpire::ops
