// clearnode/node_link.cpp — see the header. The TCP-level timer covers connect and TLS; Beast's own handshake
// timeout covers the upgrade; after that the client's app-level pings decide when a silent link is dead.
#include "clearnode/node_link.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "clearnode/clearnode_error.hpp"

namespace umpire::clearnode {

using asio::use_awaitable;
namespace websocket = beast::websocket;

NodeEndpoint NodeEndpoint::parse(std::string_view url) {
  NodeEndpoint parsed;
  const auto bad = [&](const std::string& why) {
    return ClearNodeError(ErrorKind::invalid_argument, "bad ClearNode URL '" + std::string(url) + "': " + why);
  };
  std::string_view rest = url;
  if (rest.starts_with("ws://")) {
    rest.remove_prefix(5);
  } else if (rest.starts_with("wss://")) {
    parsed.tls = true;
    rest.remove_prefix(6);
  } else {
    throw bad("must start with ws:// or wss://");
  }
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) parsed.target = std::string(rest.substr(slash));
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw bad("unterminated IPv6 address");
    parsed.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':')) parsed.port = std::string(authority.substr(1));
  } else {
    const auto colon = authority.rfind(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) parsed.port = std::string(authority.substr(colon + 1));
  }
  if (parsed.host.empty()) throw bad("no host");
  if (parsed.port.empty()) parsed.port = parsed.tls ? "443" : "80";
  if (parsed.port.find_first_not_of("0123456789") != std::string::npos) throw bad("bad port");
  return parsed;
}

std::string NodeEndpoint::to_string() const {
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(tls ? "wss://" : "ws://") + (v6 ? "[" + host + "]" : host) + ":" + port + target;
}

std::shared_ptr<asio::ssl::context> make_tls_client_context(const std::optional<std::filesystem::path>& extra_ca_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  ctx->set_default_verify_paths();
  if (extra_ca_file) {
    boost::system::error_code ec;
    ctx->load_verify_file(extra_ca_file->string(), ec);
    if (ec) {
      throw ClearNodeError(ErrorKind::invalid_argument,
                           "cannot load CA file " + extra_ca_file->string() + ": " + ec.message());
    }
  }
  ctx->set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

asio::awaitable<std::shared_ptr<NodeLink>> NodeLink::connect(const NodeEndpoint& endpoint,
                                                             asio::ssl::context* tls_context,
                                                             std::size_t max_frame_bytes,
                                                             std::chrono::milliseconds handshake_timeout) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  // The resolver has no deadline of its own; a cancellation timer bounds it.
  asio::steady_timer resolve_deadline(executor, handshake_timeout);
  resolve_deadline.async_wait([&resolver](boost::system::error_code ec) {
    if (!ec) resolver.cancel();
  });
  const auto endpoints = co_await resolver.async_resolve(endpoint.host, endpoint.port, use_awaitable);
  resolve_deadline.cancel();
  const std::string host_header = endpoint.host + ":" + endpoint.port;
  auto configure = [&](auto& ws) {
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = handshake_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();  // app-level pings decide liveness
    timeouts.keep_alive_pings = false;
    ws.set_option(timeouts);
    ws.read_message_max(max_frame_bytes);
    ws.text(true);
  };
  if (!endpoint.tls) {
    auto ws = std::make_unique<Plain>(executor);
    beast::get_lowest_layer(*ws).expires_after(handshake_timeout);
    co_await beast::get_lowest_layer(*ws).async_connect(endpoints, use_awaitable);
    beast::get_lowest_layer(*ws).socket().set_option(asio::ip::tcp::no_delay(true));
    beast::get_lowest_layer(*ws).expires_never();
    configure(*ws);
    co_await ws->async_handshake(host_header, endpoint.target, use_awaitable);
    co_return std::shared_ptr<NodeLink>(new NodeLink(std::move(ws)));
  }
  if (!tls_context) throw ClearNodeError(ErrorKind::invalid_argument, "wss:// needs a TLS context");
  auto ws = std::make_unique<Tls>(executor, *tls_context);
  auto& ssl = ws->next_layer();
  if (!SSL_set_tlsext_host_name(ssl.native_handle(), endpoint.host.c_str())) {  // SNI
    throw boost::system::system_error(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
  }
  ssl.set_verify_callback(asio::ssl::host_name_verification(endpoint.host));
  beast::get_lowest_layer(*ws).expires_after(handshake_timeout);
  co_await beast::get_lowest_layer(*ws).async_connect(endpoints, use_awaitable);
  beast::get_lowest_layer(*ws).socket().set_option(asio::ip::tcp::no_delay(true));
  co_await ssl.async_handshake(asio::ssl::stream_base::client, use_awaitable);
  beast::get_lowest_layer(*ws).expires_never();
  configure(*ws);
  co_await ws->async_handshake(host_header, endpoint.target, use_awaitable);
  co_return std::shared_ptr<NodeLink>(new NodeLink(std::move(ws)));
}

asio::awaitable<std::string> NodeLink::read() {
  read_buffer_.clear();
  co_await std::visit([this](auto& ws) { return ws->async_read(read_buffer_, use_awaitable); }, stream_);
  co_return beast::buffers_to_string(read_buffer_.cdata());
}

asio::awaitable<void> NodeLink::write(std::string_view frame) {
  co_await std::visit([frame](auto& ws) { return ws->async_write(asio::buffer(frame), use_awaitable); }, stream_);
}

void NodeLink::close_now() noexcept {
  std::visit(
      [](auto& ws) {
        boost::system::error_code ignored;
        beast::get_lowest_layer(*ws).socket().close(ignored);
      },
      stream_);
}

}  // namespace umpire::clearnode
