// clearnode/node_link.hpp — one WebSocket connection to a ClearNode, ws:// or wss:// (system CA store or a given
// CA file, SNI, hostname verification), with connect/handshake timeouts and a read size cap. Whole text frames in
// and out; one reader and one writer at a time. Knows nothing of NitroRPC; the client owns reconnection.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace umpire::clearnode {

namespace asio = boost::asio;
namespace beast = boost::beast;

struct NodeEndpoint {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target = "/ws";

  // ws://host[:port][/path] or wss://…; throws ClearNodeError(invalid_argument) otherwise.
  static NodeEndpoint parse(std::string_view url);
  std::string to_string() const;
};

// A TLS client context that verifies peers against the system CA store, plus `extra_ca_file` if given (for
// private deployments and tests). Throws ClearNodeError(invalid_argument) if the file cannot be loaded.
std::shared_ptr<asio::ssl::context> make_tls_client_context(const std::optional<std::filesystem::path>& extra_ca_file);

class NodeLink {
 public:
  // Resolves, connects, does TLS (for wss) and the WebSocket upgrade, all within `handshake_timeout`.
  static asio::awaitable<std::shared_ptr<NodeLink>> connect(const NodeEndpoint& endpoint,
                                                            asio::ssl::context* tls_context,
                                                            std::size_t max_frame_bytes,
                                                            std::chrono::milliseconds handshake_timeout);

  // The next whole frame; throws boost::system::system_error when the connection ends or a frame is too big.
  asio::awaitable<std::string> read();
  asio::awaitable<void> write(std::string_view frame);
  // Closes the TCP socket at once (no close handshake): pending reads and writes complete with an error.
  void close_now() noexcept;

 private:
  using Plain = beast::websocket::stream<beast::tcp_stream>;
  using Tls = beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
  explicit NodeLink(std::variant<std::unique_ptr<Plain>, std::unique_ptr<Tls>> stream) : stream_(std::move(stream)) {}

  std::variant<std::unique_ptr<Plain>, std::unique_ptr<Tls>> stream_;
  beast::flat_buffer read_buffer_;
};

}  // namespace umpire::clearnode
