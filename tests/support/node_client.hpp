// tests/support/node_client.hpp — one short conversation with a ClearNode (a devnode in tests) through the
// production connector: connect as a wallet, run a coroutine against the authenticated client, stop.
#pragma once

#include <boost/asio.hpp>
#include <memory>
#include <string>

#include "clearnode/clearnode_client.hpp"
#include "crypto/signer.hpp"

namespace umpire::testing {

// Runs `body(client)` on a fresh connector to `url` authenticated as `wallet` (session-key application
// `application`), then stops it. Exceptions from `body` reach the caller.
template <class Body>
void with_node(const std::string& url, std::shared_ptr<crypto::KeySigner> wallet, Body body,
               std::string application = "clearnode") {
  boost::asio::io_context io;
  clearnode::ClientOptions options;
  options.url = url;
  options.wallet = std::move(wallet);
  options.application = std::move(application);
  auto client = clearnode::ClearNodeClient::create(io.get_executor(), options);
  client->start();
  auto done = boost::asio::co_spawn(
      io,
      [client, body]() -> boost::asio::awaitable<void> {
        co_await client->wait_ready(std::chrono::seconds(20));
        co_await body(*client);
        co_await client->stop();
      },
      boost::asio::use_future);
  io.run();
  done.get();
}

}  // namespace umpire::testing
