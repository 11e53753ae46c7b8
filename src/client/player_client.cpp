// client/player_client.cpp — see the header.
#include "client/player_client.hpp"

#include "crypto/eth_messages.hpp"

namespace umpire::client {

namespace {
// The login text; the server's copy is gateway/login.cpp. Both follow the contract in proto/umpire/v1/umpire.proto.
std::string login_text(const std::string& server_address, const std::string& nonce) {
  return "Umpire login\nServer: " + server_address + "\nNonce: " + nonce;
}
}  // namespace

asio::awaitable<std::unique_ptr<PlayerClient>> PlayerClient::connect(const std::string& url,
                                                                     asio::ssl::context* tls_context) {
  auto socket = co_await WebSocketClient::connect(WebSocketUrl::parse(url), tls_context);
  co_return std::unique_ptr<PlayerClient>(new PlayerClient(std::move(socket)));
}

asio::awaitable<v1::ServerMessage> PlayerClient::next() {
  if (!held_.empty()) {
    auto message = std::move(held_.front());
    held_.pop_front();
    co_return message;
  }
  const std::string frame = co_await socket_->read();
  v1::ServerMessage message;
  if (!message.ParseFromString(frame)) throw std::runtime_error("server sent a frame that is not a ServerMessage");
  co_return message;
}

asio::awaitable<std::uint64_t> PlayerClient::send(v1::ClientMessage message) {
  if (message.request_id() == 0) message.set_request_id(++last_request_id_);
  co_await socket_->write(message.SerializeAsString());
  co_return message.request_id();
}

asio::awaitable<v1::ServerMessage> PlayerClient::call(v1::ClientMessage message) {
  const auto id = co_await send(std::move(message));
  std::deque<v1::ServerMessage> others;
  for (;;) {
    v1::ServerMessage reply = co_await next();
    if (reply.request_id() != id) {
      others.push_back(std::move(reply));
      continue;
    }
    for (auto it = others.rbegin(); it != others.rend(); ++it) held_.push_front(std::move(*it));
    if (reply.has_error()) throw ServerError(reply.error());
    co_return reply;
  }
}

asio::awaitable<v1::LoginOk> PlayerClient::login(const crypto::Signer& wallet) {
  v1::ServerMessage first = co_await next();
  if (!first.has_hello()) throw std::runtime_error("server did not start with Hello");
  hello_ = first.hello();
  v1::ClientMessage message;
  auto* login = message.mutable_login();
  login->set_address(wallet.address().checksum());
  login->set_signature(crypto::sign_personal_message(wallet, login_text(hello_.server_address(), hello_.nonce())).to_hex());
  const auto reply = co_await call(std::move(message));
  co_return reply.login_ok();
}

}  // namespace umpire::client
