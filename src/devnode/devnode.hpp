// devnode/devnode.hpp — the devnode as a server: the Engine on one strand behind the gateway's WebSocket listener
// (path /ws, text frames, optional TLS), with a per-connection cap on requests in flight and a maximum frame size
// (an oversized frame is discarded and answered with an error, as the node would answer rather than close).
// Embeddable in-process (tests, `umpire serve` dev mode) and run standalone by `umpire devnode`.
#pragma once

#include <boost/asio.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/private_key.hpp"
#include "devnode/engine.hpp"

namespace umpire::devnode {

struct FundingGrant {
  std::string wallet;  // any case; credited to the EIP-55 form
  std::string asset;
  wire::Decimal amount;
};

// Parses "0xADDR=ASSET:AMOUNT". Throws std::invalid_argument.
FundingGrant parse_funding_grant(std::string_view text);

struct DevnodeOptions {
  boost::asio::ip::tcp::endpoint listen{boost::asio::ip::make_address("127.0.0.1"), 0};  // port 0: pick a free one
  std::optional<crypto::PrivateKey> broker_key;        // empty: kept in the database (made on first start), else fresh
  std::vector<AssetConfig> assets{AssetConfig{"usdc", 6, "", 31337}};
  std::optional<std::filesystem::path> db_path;        // SQLite state file; in memory when empty
  std::vector<FundingGrant> fund;                      // applied at start (only to a fresh database)
  std::optional<std::filesystem::path> tls_cert;       // PEM chain; with tls_key, serve wss://
  std::optional<std::filesystem::path> tls_key;
  // The node reads frames of any size; the devnode discards larger ones and answers an error (socket kept open).
  std::size_t max_frame_bytes = 1 << 20;
  // Unanswered requests per socket before it is closed. The real ClearNode has no such limit; this one only stops
  // a runaway client, so it sits well above what Umpire's connector pipelines (`max_requests_in_flight`, 1,024).
  std::size_t max_in_flight = 4096;
  std::int64_t message_expiry_ms = 60'000;
};

class Devnode {
 public:
  // Binds at once (errors surface here); nothing is served until start().
  Devnode(boost::asio::io_context& io, DevnodeOptions options);
  ~Devnode();
  Devnode(const Devnode&) = delete;
  Devnode& operator=(const Devnode&) = delete;

  void start();
  void stop();  // stops accepting and closes every connection
  std::size_t open_connections() const;  // 0 once every connection has ended after stop()
  void abort_connections();              // drops the connections still open at once

  boost::asio::ip::tcp::endpoint local_endpoint() const;
  std::string url() const;  // ws://host:port/ws or wss://…
  const crypto::Address& broker_address() const;

  // Credits a wallet from the mint on the engine strand (same as devnode_fund); `done` gets an error text or "".
  void fund(FundingGrant grant, std::function<void(std::string)> done = {});

 private:
  struct Core;
  class Connection;
  std::shared_ptr<Core> core_;
};

}  // namespace umpire::devnode
