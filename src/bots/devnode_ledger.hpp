// bots/devnode_ledger.hpp — the load test's view of the money at the ClearNode (a devnode in dev setups): funding
// bots through the devnode's public `devnode_fund`, the asset's decimals, and balances before and after the run.
// Balances are read with the devnode's public `devnode_balance`, not with get_ledger_balances: that needs a
// connection authenticated as each wallet (the devnode allows 1,000 authentications per 5 minutes, and we do not
// hold Umpire's key). A read changes nothing, so one that a dropped link interrupted (a restarting embedded
// devnode, in the crash test) is simply repeated on the client's next connection. The run cross-checks a few bots'
// read balances against their own authenticated get_ledger_balances.
#pragma once

#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "clearnode/clearnode_client.hpp"
#include "crypto/signer.hpp"
#include "wire/decimal.hpp"

namespace umpire::bots {

namespace asio = boost::asio;

class DevnodeLedger {
 public:
  // Connects with a throwaway wallet (every ClearNode connection authenticates); throws on failure.
  static asio::awaitable<std::unique_ptr<DevnodeLedger>> connect(std::string url);
  ~DevnodeLedger();

  // The asset's decimals from get_assets; throws std::runtime_error if the node does not list it.
  asio::awaitable<unsigned> asset_decimals(std::string asset);
  // Credits `amount` to `wallet` from the devnode's mint; returns the wallet's balance after the credit.
  asio::awaitable<wire::Decimal> fund(std::string wallet, std::string asset, wire::Decimal amount);
  // Any wallet's balance (devnode_balance). Retried across dropped links and timeouts for up to `patience`; a
  // node that answers with an error, or stays away longer, throws.
  asio::awaitable<wire::Decimal> balance(std::string wallet, std::string asset,
                                         std::chrono::milliseconds patience = std::chrono::seconds(60));
  // A wallet's own balance over a connection authenticated as `wallet` (a fresh ClearNodeClient, closed after).
  asio::awaitable<wire::Decimal> own_balance(std::shared_ptr<const crypto::Signer> wallet, std::string asset);

  asio::awaitable<void> stop();

 private:
  DevnodeLedger(std::string url, std::shared_ptr<clearnode::ClearNodeClient> client)
      : url_(std::move(url)), client_(std::move(client)) {}

  std::string url_;
  std::shared_ptr<clearnode::ClearNodeClient> client_;  // the funder and reader: public calls only
};

}  // namespace umpire::bots
