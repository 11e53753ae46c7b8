// tests/referee/server_harness.hpp — a whole `umpire serve` in-process (dev mode: embedded devnode, journal in a
// temporary state folder) plus players built on the C++ client library, and the devnode's view of balances read
// through the real connector. Shared by the game-flow tests.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <future>
#include <thread>

#include "clearnode/clearnode_client.hpp"
#include "cli/server.hpp"
#include "client/player_client.hpp"
#include "crypto/eth_messages.hpp"

namespace umpire::testing {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline wire::Decimal dec(const std::string& text) { return wire::Decimal::parse(text).value(); }

// One player: a wallet and a connection.
struct Player {
  explicit Player(crypto::PrivateKey key) : wallet(std::make_shared<crypto::KeySigner>(std::move(key))) {}
  std::shared_ptr<crypto::KeySigner> wallet;
  std::unique_ptr<client::PlayerClient> link;
  std::string address() const { return wallet->address().checksum(); }

  asio::awaitable<v1::LoginOk> connect(const std::string& url) {
    link = co_await client::PlayerClient::connect(url);
    co_return co_await link->login(*wallet);
  }
  // The next message of the given body case; others are skipped (and kept in `skipped` for inspection).
  asio::awaitable<v1::ServerMessage> expect(v1::ServerMessage::BodyCase wanted) {
    for (;;) {
      auto message = co_await link->next();
      if (message.body_case() == wanted) co_return message;
      if (message.has_error() && wanted != v1::ServerMessage::kError) {
        throw std::runtime_error("unexpected error: " + message.error().message() + " (" +
                                 v1::ErrorCode_Name(message.error().code()) + ")");
      }
      skipped.push_back(std::move(message));
    }
  }
  asio::awaitable<std::uint64_t> send(v1::ClientMessage message) { co_return co_await link->send(std::move(message)); }
  std::vector<v1::ServerMessage> skipped;
};

class ServerHarness : public ::testing::Test {
 protected:
  // Room types used by the tests: short timers so forfeits take a second or two.
  static cli::RoomTypeConfig room(std::string id, std::string game, unsigned games_per_session = 1) {
    cli::RoomTypeConfig r;
    r.id = std::move(id);
    r.game = std::move(game);
    r.asset = "usdc";
    r.stake = "1";
    r.rake_bps = 100;
    r.games_per_session = games_per_session;
    r.turn_time = std::chrono::seconds(30);
    r.reconnect_window = std::chrono::seconds(30);
    r.proposal_deadline = std::chrono::seconds(30);
    return r;
  }

  virtual void configure(cli::ServeConfig&) {}

  void SetUp() override {
    state_dir = fs::temp_directory_path() /
                ("umpire-referee-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(state_dir);
    cli::ServeConfig config;
    config.listen = {"127.0.0.1", 0};
    config.admin_listen.reset();
    config.state_dir = state_dir;
    config.rooms = {room("ttt", "tictactoe"), room("c4", "connect_four"), room("rps", "rock_paper_scissors")};
    configure(config);
    serve_config = config;
    auto key = crypto::PrivateKey::generate();
    umpire_key_hex = key.to_secret_hex();  // a test key, kept to start the same server again
    umpire_wallet = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::from_hex(umpire_key_hex));
    server = std::make_unique<cli::Server>(io, config, std::move(key), ops::Logger(ops::LogLevel::warning, ops::make_stderr_sink()));
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
    run(server->start());
  }

  // Stops the server without closing anything (the journal and the devnode's database stay in the state folder)
  // and starts a new one on them, as a restart does: the new one recovers. Its ports are new.
  void restart() {
    run(stop_all());
    server.reset();
    auto key = crypto::PrivateKey::from_hex(umpire_key_hex);
    server = std::make_unique<cli::Server>(io, serve_config, std::move(key),
                                           ops::Logger(ops::LogLevel::warning, ops::make_stderr_sink()));
    run(server->start());
  }

  void TearDown() override {
    if (server) run(stop_all());
    work.reset();
    io.stop();
    for (auto& t : threads) t.join();
    server.reset();
    fs::remove_all(state_dir);
  }

  asio::awaitable<void> stop_all() {
    for (auto& [address, client] : ledger_clients) co_await client->stop();
    ledger_clients.clear();
    co_await server->stop();
  }

  // Runs a test coroutine on the server's io_context and waits for it (60 s at most).
  template <class T>
  T run(asio::awaitable<T> body, std::chrono::seconds limit = 60s) {
    auto future = asio::co_spawn(io, std::move(body), asio::use_future);
    if (future.wait_for(limit) != std::future_status::ready) {
      ADD_FAILURE() << "test coroutine did not finish within " << limit.count() << " s";
      std::abort();  // a hung coroutine holds references into this fixture
    }
    return future.get();
  }

  asio::awaitable<std::unique_ptr<Player>> new_player(std::string funds = "10") {
    auto player = std::make_unique<Player>(crypto::PrivateKey::generate());
    if (!funds.empty()) co_await server->dev_fund(player->address(), "usdc", funds);
    co_await player->connect(server->player_url());
    co_return player;
  }

  // The unified balance of `wallet` at the devnode, read through the production connector as that wallet.
  asio::awaitable<wire::Decimal> balance(const std::shared_ptr<crypto::KeySigner>& wallet) {
    auto& client = ledger_clients[wallet->address().checksum()];
    if (!client) {
      clearnode::ClientOptions options;
      options.url = *server->devnode_url();
      options.wallet = wallet;
      client = clearnode::ClearNodeClient::create(io.get_executor(), options);
      client->start();
    }
    for (const auto& item : co_await client->get_ledger_balances()) {
      if (item.asset == "usdc") co_return item.amount;
    }
    co_return wire::Decimal{};
  }

  // A connector to the devnode as a wallet of its own, for reads that need no particular account.
  clearnode::ClearNodeClient& observer() {
    auto& client = ledger_clients["audit"];
    if (!client) {
      clearnode::ClientOptions options;
      options.url = *server->devnode_url();
      options.wallet = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate());
      client = clearnode::ClearNodeClient::create(io.get_executor(), options);
      client->start();
    }
    return *client;
  }

  asio::awaitable<bool> audit_balanced() {
    const auto reply = co_await observer().call("devnode_audit", nlohmann::json::object());
    co_return reply.at("balanced").get<bool>();
  }

  // The app session as the devnode has it (status, version, ...); nullopt if it does not know it.
  asio::awaitable<std::optional<clearnode::AppSessionInfo>> app_session(std::string app_session_id) {
    co_return co_await observer().find_app_session(std::move(app_session_id));
  }

  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  std::vector<std::thread> threads;
  fs::path state_dir;
  cli::ServeConfig serve_config;
  std::string umpire_key_hex;
  std::shared_ptr<crypto::KeySigner> umpire_wallet;  // the same key as the server's: to read its balance
  std::unique_ptr<cli::Server> server;
  std::map<std::string, std::shared_ptr<clearnode::ClearNodeClient>> ledger_clients;
};

}  // namespace umpire::testing
