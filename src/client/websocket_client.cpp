// client/websocket_client.cpp — see the header.
#include "client/websocket_client.hpp"

#include <openssl/ssl.h>

namespace umpire::client {

using asio::use_awaitable;
namespace websocket = beast::websocket;

WebSocketUrl WebSocketUrl::parse(std::string_view url) {
  WebSocketUrl parsed;
  if (url.starts_with("ws://")) {
    url.remove_prefix(5);
  } else if (url.starts_with("wss://")) {
    parsed.tls = true;
    url.remove_prefix(6);
  } else {
    throw std::invalid_argument("URL must start with ws:// or wss://: " + std::string(url));
  }
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) parsed.target = std::string(url.substr(slash));
  if (authority.starts_with('[')) {  // [::1]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("URL has an unterminated IPv6 address");
    parsed.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (authority.starts_with(':')) parsed.port = std::string(authority.substr(1));
  } else {
    const auto colon = authority.rfind(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) parsed.port = std::string(authority.substr(colon + 1));
  }
  if (parsed.host.empty()) throw std::invalid_argument("URL has no host");
  if (parsed.port.empty()) parsed.port = parsed.tls ? "443" : "80";
  if (parsed.port.find_first_not_of("0123456789") != std::string::npos) {
    throw std::invalid_argument("URL has a bad port: " + parsed.port);
  }
  return parsed;
}

asio::awaitable<std::unique_ptr<WebSocketClient>> WebSocketClient::connect(const WebSocketUrl& url,
                                                                           asio::ssl::context* tls_context,
                                                                           std::size_t max_frame_bytes) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  const auto endpoints = co_await resolver.async_resolve(url.host, url.port, use_awaitable);
  const std::string host_header = url.host + ":" + url.port;
  auto configure = [max_frame_bytes](auto& ws) {
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws.read_message_max(max_frame_bytes);
    ws.binary(true);
  };
  if (!url.tls) {
    auto ws = std::make_unique<Plain>(executor);
    beast::get_lowest_layer(*ws).expires_after(std::chrono::seconds(15));
    co_await beast::get_lowest_layer(*ws).async_connect(endpoints, use_awaitable);
    beast::get_lowest_layer(*ws).socket().set_option(asio::ip::tcp::no_delay(true));
    beast::get_lowest_layer(*ws).expires_never();
    configure(*ws);
    co_await ws->async_handshake(host_header, url.target, use_awaitable);
    co_return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(ws)));
  }
  if (!tls_context) throw std::invalid_argument("wss:// needs a TLS context");
  auto ws = std::make_unique<Tls>(executor, *tls_context);
  auto& ssl = ws->next_layer();
  if (!SSL_set_tlsext_host_name(ssl.native_handle(), url.host.c_str())) {
    throw boost::system::system_error(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
  }
  ssl.set_verify_callback(asio::ssl::host_name_verification(url.host));
  beast::get_lowest_layer(*ws).expires_after(std::chrono::seconds(15));
  co_await beast::get_lowest_layer(*ws).async_connect(endpoints, use_awaitable);
  beast::get_lowest_layer(*ws).socket().set_option(asio::ip::tcp::no_delay(true));
  co_await ssl.async_handshake(asio::ssl::stream_base::client, use_awaitable);
  beast::get_lowest_layer(*ws).expires_never();
  configure(*ws);
  co_await ws->async_handshake(host_header, url.target, use_awaitable);
  co_return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(ws)));
}

asio::awaitable<std::string> WebSocketClient::read() {
  buffer_.clear();
  co_await std::visit([this](auto& ws) { return ws->async_read(buffer_, use_awaitable); }, stream_);
  co_return beast::buffers_to_string(buffer_.cdata());
}

asio::awaitable<void> WebSocketClient::write(std::string_view frame) {
  co_await std::visit([frame](auto& ws) { return ws->async_write(asio::buffer(frame), use_awaitable); }, stream_);
}

asio::awaitable<void> WebSocketClient::close() {
  co_await std::visit(
      [](auto& ws) { return ws->async_close(websocket::close_code::normal, asio::as_tuple(use_awaitable)); }, stream_);
}

void WebSocketClient::abort() {
  std::visit([](auto& ws) { beast::get_lowest_layer(*ws).close(); }, stream_);
}

}  // namespace umpire::client
