// client/player_client.hpp — the C++ game-client library: connect to Umpire's /play endpoint, log in with a wallet
// (EIP-191 challenge), send ClientMessages and read ServerMessages. Used by the bots and the tests; includes nothing
// server-side. One reader and one writer at a time is the caller's contract.
#pragma once

#include <deque>
#include <stdexcept>

#include "client/websocket_client.hpp"
#include "crypto/signer.hpp"
#include "umpire/v1/umpire.pb.h"

namespace umpire::client {

// A server Error received where a result was expected.
class ServerError : public std::runtime_error {
 public:
  explicit ServerError(const v1::Error& error)
      : std::runtime_error(v1::ErrorCode_Name(error.code()) + ": " + error.message()), code(error.code()) {}
  v1::ErrorCode code;
};

class PlayerClient {
 public:
  static asio::awaitable<std::unique_ptr<PlayerClient>> connect(const std::string& url,
                                                                asio::ssl::context* tls_context = nullptr);

  // Reads Hello, signs the login text with `wallet` and waits for LoginOk. Throws ServerError on refusal.
  asio::awaitable<v1::LoginOk> login(const crypto::Signer& wallet);

  // Sends `message`, giving it the next request id when it has none; returns the id used.
  asio::awaitable<std::uint64_t> send(v1::ClientMessage message);
  // The next message from the server; throws boost::system::system_error when the connection ends.
  asio::awaitable<v1::ServerMessage> next();
  // Sends and reads until the reply with the same request id; an Error reply throws ServerError. Messages that
  // arrive meanwhile are kept for next().
  asio::awaitable<v1::ServerMessage> call(v1::ClientMessage message);

  const v1::Hello& hello() const { return hello_; }
  WebSocketClient& socket() { return *socket_; }

 private:
  explicit PlayerClient(std::unique_ptr<WebSocketClient> socket) : socket_(std::move(socket)) {}

  std::unique_ptr<WebSocketClient> socket_;
  v1::Hello hello_;
  std::uint64_t last_request_id_ = 0;
  std::deque<v1::ServerMessage> held_;  // read while waiting for a call's reply
};

}  // namespace umpire::client
