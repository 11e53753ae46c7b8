// tests/serve/reload_test.cpp — SIGHUP reloads the room catalog of a running `umpire serve --config FILE`, as
// `systemctl reload` does: players asking for the catalog see the new room types, systemd gets a STATUS line, and
// games being played across the reload (20 bots through `umpire bots`) all finish and pay; a config that no longer
// parses is refused with an error in the log and the catalog stays as it was; the server goes on serving and still
// stops cleanly on SIGTERM.
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/player_client.hpp"
#include "crypto/private_key.hpp"
#include "support/notify_socket.hpp"
#include "support/umpire_process.hpp"

namespace umpire::testing {
namespace {

using namespace std::chrono_literals;
namespace v1 = umpire::v1;

std::string room_entry(const std::string& id, const std::string& game) {
  return "[[room]]\nid = \"" + id + "\"\ngame = \"" + game + "\"\nasset = \"usdc\"\nstake = \"1\"\n\n";
}

// The room type ids a logged-in player is offered now.
std::vector<std::string> catalog(const std::string& url) {
  boost::asio::io_context io;
  auto ids = boost::asio::co_spawn(
      io,
      [url]() -> boost::asio::awaitable<std::vector<std::string>> {
        crypto::KeySigner wallet(crypto::PrivateKey::generate());
        auto link = co_await client::PlayerClient::connect(url);
        co_await link->login(wallet);
        v1::ClientMessage list;
        list.mutable_list_rooms();
        const auto answer = co_await link->call(list);
        std::vector<std::string> out;
        for (const auto& type : answer.room_catalog().room_types()) out.push_back(type.id());
        co_return out;
      },
      boost::asio::use_future);
  io.run();
  return ids.get();
}

// Datagrams until one names `line` or `timeout` passes.
bool wait_for(NotifySocket& systemd, const std::string& line, std::chrono::milliseconds timeout) {
  for (const auto until = Clock::now() + timeout; Clock::now() < until;) {
    if (const auto datagram = systemd.receive(100ms); datagram && has(datagram->text, line)) return true;
  }
  return false;
}

TEST(ServeReload, SighupReloadsTheCatalogAndABrokenConfigChangesNothing) {
  if (!fs::exists(umpire_binary())) GTEST_SKIP() << "no umpire binary";
  const auto dir = fresh_test_dir("umpire-reload");
  const auto config = dir / "umpire.toml";
  std::ofstream(config) << room_entry("ttt", "tictactoe");
  NotifySocket systemd(dir / "notify.sock");
  const auto players = free_port();
  const auto devnode = free_port();
  UmpireProcess serve({"serve", "--config", config.string(), "--state-dir", (dir / "state").string(), "--listen",
                       "127.0.0.1:" + std::to_string(players), "--devnode-listen",
                       "127.0.0.1:" + std::to_string(devnode), "--admin-listen", "", "--log-level", "info"},
                      dir / "serve.log", std::nullopt, {"NOTIFY_SOCKET=" + (dir / "notify.sock").string()});
  ASSERT_TRUE(wait_for(systemd, "READY=1", 60s)) << read_text(dir / "serve.log");
  const auto url = "ws://127.0.0.1:" + std::to_string(players) + "/play";
  EXPECT_EQ(catalog(url), (std::vector<std::string>{"ttt"}));

  // A reload while games are being played: a room type added, none of the games dropped.
  UmpireProcess bots({"bots", "--url", url, "--devnode", "ws://127.0.0.1:" + std::to_string(devnode) + "/ws",
                      "--game", "ttt", "--bots", "20", "--games", "20", "--think-ms", "150", "--json"},
                     dir / "bots.log", dir / "bots.json");
  std::this_thread::sleep_for(1500ms);
  std::ofstream(config) << room_entry("ttt", "tictactoe") << room_entry("c4", "connect_four");
  serve.signal(SIGHUP);
  ASSERT_TRUE(wait_for(systemd, "STATUS=room catalog reloaded", 10s)) << read_text(dir / "serve.log");
  auto ids = catalog(url);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"c4", "ttt"}));
  ASSERT_TRUE(bots.wait_exit(120s)) << read_text(dir / "bots.log");
  EXPECT_EQ(bots.status(), 0) << read_text(dir / "bots.log");
  const auto summary = nlohmann::json::parse(read_text(dir / "bots.json"), nullptr, false);
  ASSERT_TRUE(summary.is_object()) << read_text(dir / "bots.log");
  EXPECT_EQ(summary["games_completed"], 20) << summary.dump();
  EXPECT_EQ(summary["games_aborted"], 0) << summary.dump();
  EXPECT_EQ(summary["conservation_ok"], true) << summary.dump();

  // The old type gone: the catalog is replaced, not merged.
  std::ofstream(config) << room_entry("c4", "connect_four") << room_entry("rps", "rock_paper_scissors");
  serve.signal(SIGHUP);
  ASSERT_TRUE(wait_for(systemd, "STATUS=room catalog reloaded", 10s)) << read_text(dir / "serve.log");
  ids = catalog(url);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"c4", "rps"}));

  // A config that does not parse, then one naming a game that does not exist: refused, nothing changes.
  for (const std::string& broken : std::vector<std::string>{"[[room]\nid = ", room_entry("x", "chess")}) {
    std::ofstream(config) << broken;
    serve.signal(SIGHUP);
    EXPECT_FALSE(wait_for(systemd, "STATUS=room catalog reloaded", 2s)) << "a broken config was taken: " << broken;
    ids = catalog(url);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, (std::vector<std::string>{"c4", "rps"})) << broken;
  }
  EXPECT_NE(read_text(dir / "serve.log").find("reload_failed"), std::string::npos) << read_text(dir / "serve.log");
  ASSERT_TRUE(serve.running());

  EXPECT_TRUE(stops_cleanly_on_sigterm(serve, dir / "serve.log"));
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace umpire::testing
