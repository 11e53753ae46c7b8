// bots/devnode_ledger.cpp — see the header.
#include "bots/devnode_ledger.hpp"

#include <chrono>

#include "crypto/private_key.hpp"

namespace umpire::bots {
namespace {

using namespace std::chrono_literals;

clearnode::ClientOptions options_for(const std::string& url, std::shared_ptr<const crypto::Signer> wallet) {
  clearnode::ClientOptions options;
  options.url = url;
  options.wallet = std::move(wallet);
  options.application = "clearnode";
  options.call_timeout = 30s;
  options.reconnect_initial_delay = 100ms;
  options.reconnect_max_delay = 2s;
  return options;
}

wire::Decimal decimal_in(const nlohmann::json& reply, const char* key) {
  const auto it = reply.find(key);
  if (it == reply.end() || !it->is_string()) throw std::runtime_error(std::string("devnode reply has no ") + key);
  const auto value = wire::Decimal::parse(it->get<std::string>());
  if (!value) throw std::runtime_error(std::string("devnode reply has a bad ") + key);
  return *value;
}

nlohmann::json fund_params(const std::string& wallet, const std::string& asset, const wire::Decimal& amount) {
  nlohmann::json params = nlohmann::json::object();
  params["wallet"] = wallet;
  params["asset"] = asset;
  params["amount"] = amount.to_string();
  return params;
}

}  // namespace

asio::awaitable<std::unique_ptr<DevnodeLedger>> DevnodeLedger::connect(std::string url) {
  auto executor = co_await asio::this_coro::executor;
  auto wallet = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate());
  auto client = clearnode::ClearNodeClient::create(executor, options_for(url, wallet));
  client->start();
  std::exception_ptr failure;
  try {
    co_await client->wait_ready(15s);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    co_await client->stop();
    std::rethrow_exception(failure);
  }
  co_return std::unique_ptr<DevnodeLedger>(new DevnodeLedger(std::move(url), std::move(client)));
}

DevnodeLedger::~DevnodeLedger() = default;

asio::awaitable<unsigned> DevnodeLedger::asset_decimals(std::string asset) {
  const auto assets = co_await client_->get_assets();
  for (const auto& info : assets) {
    if (info.symbol == asset) co_return static_cast<unsigned>(info.decimals);
  }
  throw std::runtime_error("the ClearNode does not list the asset \"" + asset + "\"");
}

asio::awaitable<wire::Decimal> DevnodeLedger::fund(std::string wallet, std::string asset, wire::Decimal amount) {
  const auto reply = co_await client_->call("devnode_fund", fund_params(wallet, asset, amount));
  co_return decimal_in(reply, "balance");
}

asio::awaitable<wire::Decimal> DevnodeLedger::balance(std::string wallet, std::string asset,
                                                      std::chrono::milliseconds patience) {
  nlohmann::json params = nlohmann::json::object();
  params["wallet"] = wallet;
  params["asset"] = asset;
  const auto give_up_at = std::chrono::steady_clock::now() + patience;
  asio::steady_timer pause(co_await asio::this_coro::executor);
  for (auto delay = 100ms;; delay = std::min<std::chrono::milliseconds>(delay * 2, 2s)) {
    std::exception_ptr failure;
    try {
      co_return decimal_in(co_await client_->call("devnode_balance", params), "balance");
    } catch (const clearnode::ClearNodeError& error) {
      const bool link_trouble = error.kind() == clearnode::ErrorKind::disconnected ||
                                error.kind() == clearnode::ErrorKind::timeout ||
                                error.kind() == clearnode::ErrorKind::overloaded;
      if (!link_trouble || std::chrono::steady_clock::now() + delay > give_up_at) throw;
    }
    pause.expires_after(delay);
    co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<wire::Decimal> DevnodeLedger::own_balance(std::shared_ptr<const crypto::Signer> wallet,
                                                          std::string asset) {
  auto executor = co_await asio::this_coro::executor;
  auto client = clearnode::ClearNodeClient::create(executor, options_for(url_, std::move(wallet)));
  client->start();
  std::exception_ptr failure;
  wire::Decimal balance;
  try {
    co_await client->wait_ready(30s);
    for (const auto& row : co_await client->get_ledger_balances()) {
      if (row.asset == asset) balance = row.amount;
    }
  } catch (...) {
    failure = std::current_exception();
  }
  co_await client->stop();
  if (failure) std::rethrow_exception(failure);
  co_return balance;
}

asio::awaitable<void> DevnodeLedger::stop() { co_await client_->stop(); }

}  // namespace umpire::bots
