// cli/server.hpp — `umpire serve` as an object: wires the components from a ServeConfig (the embedded devnode in
// dev mode, the journal, the ClearNode connector, the referee, the player gateway, the admin endpoint) and runs
// their lifecycle: start → ready → drain → stop. `serve_command.cpp` adds only argv, signals and systemd; tests
// run a whole server in-process through this class.
#pragma once

#include <boost/asio.hpp>
#include <memory>
#include <optional>
#include <string>

#include "cli/serve_config.hpp"
#include "crypto/private_key.hpp"
#include "ops/log.hpp"
#include "ops/metrics.hpp"

namespace umpire::referee {
class RoomManager;
struct RefereeCounts;
}  // namespace umpire::referee

namespace umpire::cli {

namespace asio = boost::asio;

class Server {
 public:
  // Binds the listeners (errors surface here) and opens the journal; nothing is served before start().
  Server(asio::io_context& io, ServeConfig config, crypto::PrivateKey wallet, ops::Logger logger);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Connects and authenticates to the ClearNode, reads its assets, builds the catalog, recovers the journal and
  // starts accepting players. Throws with a clear message on failure.
  asio::awaitable<void> start();
  // Stops new games, lets games in progress finish until `timeout`, then checkpoints the rest (journal and
  // ClearNode) so the next start resumes them.
  asio::awaitable<void> drain(std::chrono::milliseconds timeout);
  // Reloads the room catalog (SIGHUP): rooms in progress keep their rules.
  asio::awaitable<void> reload_catalog(std::vector<RoomTypeConfig> rooms);
  // Closes everything; idempotent.
  asio::awaitable<void> stop();

  std::string player_url() const;                    // ws://host:port/play
  std::optional<std::string> devnode_url() const;    // dev mode
  std::optional<asio::ip::tcp::endpoint> admin_endpoint() const;
  std::string umpire_address() const;
  // Dev mode: credits `wallet` from the embedded devnode's mint (tests, bots). Throws outside dev mode.
  asio::awaitable<void> dev_fund(std::string wallet, std::string asset, std::string amount);
  ops::Registry& metrics();
  referee::RoomManager& referee();
  bool ready() const;

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace umpire::cli
