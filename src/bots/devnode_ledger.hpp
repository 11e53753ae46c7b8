// bots/devnode_ledger.hpp — the load test's view of the money at the ClearNode (a devnode in dev setups): funding
// bots through the devnode's public `devnode_fund`, the asset's decimals, and balances before and after the run.
// A wallet reads its own balance with get_ledger_balances on a connection authenticated as itself; the devnode
// allows only 1,000 authentications per 5 minutes, and we do not hold Umpire's key, so balances are read by a
// credit probe instead: `devnode_fund` answers with the wallet's balance after crediting it, so crediting the
// asset's smallest unit and subtracting every unit this object has credited that wallet gives its balance at the
// node, over one pipelined connection, for any number of wallets. The run cross-checks a few bots' probed balances
// against their own authenticated reads. Probe credits come from the devnode's mint and are always subtracted, so
// they never enter the conservation sum.
#pragma once

#include <boost/asio.hpp>
#include <map>
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
  // A wallet's balance without its key: fund(one smallest unit), minus every probe credit made to it so far.
  asio::awaitable<wire::Decimal> balance_by_credit_probe(std::string wallet, std::string asset, unsigned decimals);
  // What the probes have credited `wallet` so far (an authenticated read includes it).
  wire::Decimal probe_credits(const std::string& wallet, unsigned decimals) const;
  // A wallet's own balance over a connection authenticated as `wallet` (a fresh ClearNodeClient, closed after).
  asio::awaitable<wire::Decimal> own_balance(std::shared_ptr<const crypto::Signer> wallet, std::string asset);

  asio::awaitable<void> stop();

 private:
  DevnodeLedger(std::string url, std::shared_ptr<clearnode::ClearNodeClient> client)
      : url_(std::move(url)), client_(std::move(client)) {}

  std::string url_;
  std::shared_ptr<clearnode::ClearNodeClient> client_;  // the funder: public calls only
  std::map<std::string, unsigned> probes_;               // wallet → probe credits made (callers share one strand)
};

}  // namespace umpire::bots
