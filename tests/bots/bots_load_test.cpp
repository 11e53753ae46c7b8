// tests/bots/bots_load_test.cpp — the bots' big run (a HEAVY suite; see tests/CMakeLists.txt): 1,000 bots play 1,000
// tic-tac-toe games against `umpire serve` in dev mode, 500 of them at once (issue 5), through `umpire bots`
// (issue 7). Every game completes with its payout checked, every session closes, money is conserved at the
// devnode and its audit balances. The peak of rooms in play is read from the server's /metrics while it runs, and
// afterwards its counters must match the bots' own counts (issue 8), on a page promtool accepts.
#include <boost/asio.hpp>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "bots_against_serve.hpp"
#include "clearnode/clearnode_client.hpp"
#include "crypto/private_key.hpp"
#include "support/metrics_page.hpp"

namespace {

using namespace umpire;
using namespace umpire::testing;

bool devnode_audit_balanced(const std::string& url) {
  boost::asio::io_context io;
  clearnode::ClientOptions options;
  options.url = url;
  options.wallet = std::make_shared<crypto::KeySigner>(crypto::PrivateKey::generate());
  auto client = clearnode::ClearNodeClient::create(io.get_executor(), options);
  client->start();
  auto balanced = boost::asio::co_spawn(
      io,
      [client]() -> boost::asio::awaitable<bool> {
        co_await client->wait_ready(std::chrono::seconds(20));
        const auto reply = co_await client->call("devnode_audit", nlohmann::json::object());
        co_await client->stop();
        co_return reply.at("balanced").get<bool>();
      },
      boost::asio::use_future);
  io.run();
  return balanced.get();
}

TEST_F(BotsAgainstServe, AThousandGamesFiveHundredAtOnce) {
  // Three seconds of thinking per move make a game last 15+ s, longer than it takes the last of the 1,000 bots to
  // log in and open its session in a sanitized build on a busy machine, so all 500 overlap; the thinking also keeps
  // the first games' moves from crowding out the later logins. CI peaked at 449 of 500 with 250 ms of thinking,
  // and a clean-clone run at 465 with 1 s.
  // In the background, so that the server's rooms can be watched while the bots play.
  const auto out = dir_ / "load.json";
  UmpireProcess run({"bots", "--url", "ws://127.0.0.1:" + std::to_string(players_port_) + "/play", "--devnode",
                     "ws://127.0.0.1:" + std::to_string(devnode_port_) + "/ws", "--game", "tictactoe", "--bots",
                     "1000", "--games", "1000", "--think-ms", "3000", "--seed", "5", "--json"},
                    dir_ / "load.log", out);
  double peak = 0;
  const auto give_up = std::chrono::steady_clock::now() + 240s;
  while (run.running() && !run.wait_exit(50ms) && std::chrono::steady_clock::now() < give_up) {
    const auto page = metrics_page(admin_port_);
    peak = std::max(peak, rooms_in(page, "proposing") + rooms_in(page, "opening") + rooms_in(page, "playing"));
  }
  ASSERT_TRUE(run.wait_exit(10s)) << "the bots did not finish";
  EXPECT_EQ(run.status(), 0) << read_text(dir_ / "load.log");
  const auto summary = nlohmann::json::parse(read_text(out), nullptr, false);
  ASSERT_TRUE(summary.is_object()) << read_text(dir_ / "load.log");
  std::cout << "peak rooms in play: " << peak << "\nbots: " << summary.dump() << "\n";
  expect_clean(summary);
  EXPECT_EQ(summary["games_completed"], 1000);
  EXPECT_EQ(summary["sessions_closed"], 1000);
  EXPECT_GE(peak, 450) << "the 1,000 bots never had (nearly) 500 games going at once";
  EXPECT_TRUE(devnode_audit_balanced("ws://127.0.0.1:" + std::to_string(devnode_port_) + "/ws"));

  // This suite's server served only this run: its counters must tell the same story as the bots. The bots have
  // exited, but the server may still be reading the last of their closing frames, so wait for it to see them go.
  auto page = metrics_page(admin_port_);
  for (const auto settle = std::chrono::steady_clock::now() + 30s;
       sample(page, "umpire_players_connected") != 0 && std::chrono::steady_clock::now() < settle;) {
    std::this_thread::sleep_for(100ms);
    page = metrics_page(admin_port_);
  }
  const auto games = sample(page, "umpire_games_finished_total{outcome=\"win\"}") +
                     sample(page, "umpire_games_finished_total{outcome=\"draw\"}") +
                     sample(page, "umpire_games_finished_total{outcome=\"forfeit\"}");
  EXPECT_EQ(games, 1000);
  EXPECT_EQ(sample(page, "umpire_games_finished_total{outcome=\"draw\"}"), summary["outcomes"]["draws"].get<double>());
  EXPECT_EQ(sample(page, "umpire_sessions_opened_total"), 1000);
  EXPECT_EQ(sample(page, "umpire_sessions_closed_total"), 1000);
  EXPECT_EQ(sample(page, "umpire_moves_relayed_total"), summary["moves"].get<double>());
  EXPECT_EQ(sample(page, "umpire_players_connected"), 0);
  // The journal's counters: every relayed move is a record, and group commit shares transactions between them
  // (500 games at once).
  EXPECT_GE(sample(page, "umpire_journal_records_committed_total"), summary["moves"].get<double>());
  EXPECT_GT(sample(page, "umpire_journal_commits_total"), 0);
  EXPECT_LT(sample(page, "umpire_journal_commits_total"), sample(page, "umpire_journal_records_committed_total"));
  EXPECT_LE(sample(page, "umpire_journal_delayed_commits_total"), sample(page, "umpire_journal_commits_total"));
  // Both loops were sampled for lag while the games ran (every 10 ms by default).
  EXPECT_GT(sample(page, "umpire_event_loop_lag_seconds_count{loop=\"players\"}"), 0);
  EXPECT_GT(sample(page, "umpire_event_loop_lag_seconds_count{loop=\"clearnode\"}"), 0);
  // And the live page passes promtool's lint (Debian's prometheus package; scripts/deps.sh --test installs it).
  const auto body = page.substr(std::min(page.size(), page.find("\r\n\r\n") + 4));
  std::ofstream(dir_ / "metrics.txt") << body;
  const auto promtool = std::system(("promtool check metrics < '" + (dir_ / "metrics.txt").string() + "' > '" +
                                     (dir_ / "promtool.log").string() + "' 2>&1")
                                        .c_str());
  EXPECT_EQ(promtool, 0) << read_text(dir_ / "promtool.log");
}

}  // namespace
