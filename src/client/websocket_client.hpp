// client/websocket_client.hpp — the player side of the WebSocket link: connect to ws:// or wss:// (SNI and
// hostname verification), then read and write whole binary frames as coroutines. One reader and one writer at a
// time is the caller's contract. Used by the client library, the bots and the tests; includes nothing server-side.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>

namespace umpire::client {

namespace asio = boost::asio;
namespace beast = boost::beast;

struct WebSocketUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target = "/";

  // Parses ws://host[:port][/path] and wss://…; throws std::invalid_argument with a clear message otherwise.
  static WebSocketUrl parse(std::string_view url);
};

class WebSocketClient {
 public:
  // `tls_context` is required for wss:// (it carries the trust store); ignored for ws://.
  static asio::awaitable<std::unique_ptr<WebSocketClient>> connect(const WebSocketUrl& url,
                                                                   asio::ssl::context* tls_context,
                                                                   std::size_t max_frame_bytes = 1 << 20);

  // The next whole frame; throws boost::system::system_error when the connection ends.
  asio::awaitable<std::string> read();
  asio::awaitable<void> write(std::string_view frame);
  asio::awaitable<void> close();
  // Closes the socket at once without a WebSocket close handshake (tests of abrupt disconnects).
  void abort();

 private:
  using Plain = beast::websocket::stream<beast::tcp_stream>;
  using Tls = beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
  explicit WebSocketClient(std::variant<std::unique_ptr<Plain>, std::unique_ptr<Tls>> stream)
      : stream_(std::move(stream)) {}

  std::variant<std::unique_ptr<Plain>, std::unique_ptr<Tls>> stream_;
  beast::flat_buffer buffer_;
};

}  // namespace umpire::client
