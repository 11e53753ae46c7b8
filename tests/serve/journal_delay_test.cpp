// tests/serve/journal_delay_test.cpp — `[journal] commit_delay_us` end to end: `umpire serve --config FILE` with the
// delay on (and commit_siblings = 1, so that any waiting record starts it) referees 20 tic-tac-toe games played by
// `umpire bots`; every game finishes and pays with money conserved, the delay did wait (its counter on /metrics),
// and the journal's counters tell the same story as the bots: every relayed move is a record, commits carry them.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/metrics_page.hpp"
#include "support/umpire_process.hpp"

namespace umpire::testing {
namespace {

using namespace std::chrono_literals;

TEST(ServeJournalDelay, GamesPlayedWithTheCommitDelayAllPayAndTheDelayIsCounted) {
  if (!fs::exists(umpire_binary())) GTEST_SKIP() << "no umpire binary";
  const auto dir = fresh_test_dir("umpire-journal-delay");
  const auto config = dir / "umpire.toml";
  std::ofstream(config) << "[journal]\ncommit_delay_us = 20000\ncommit_siblings = 1\n\n"
                        << "[[room]]\nid = \"ttt\"\ngame = \"tictactoe\"\nasset = \"usdc\"\nstake = \"1\"\n";
  const auto players = free_port();
  const auto devnode = free_port();
  const auto admin = free_port();
  UmpireProcess serve({"serve", "--config", config.string(), "--state-dir", (dir / "state").string(), "--listen",
                       "127.0.0.1:" + std::to_string(players), "--devnode-listen",
                       "127.0.0.1:" + std::to_string(devnode), "--admin-listen", "127.0.0.1:" + std::to_string(admin)},
                      dir / "serve.log");
  ASSERT_TRUE(serve.wait_listening({players, devnode, admin})) << read_text(dir / "serve.log");

  UmpireProcess bots({"bots", "--url", "ws://127.0.0.1:" + std::to_string(players) + "/play", "--devnode",
                      "ws://127.0.0.1:" + std::to_string(devnode) + "/ws", "--game", "ttt", "--bots", "20", "--games",
                      "20", "--think-ms", "0", "--seed", "3", "--json"},
                     dir / "bots.log", dir / "bots.json");
  ASSERT_TRUE(bots.wait_exit(180s)) << read_text(dir / "bots.log");
  EXPECT_EQ(bots.status(), 0) << read_text(dir / "bots.log");
  const auto summary = nlohmann::json::parse(read_text(dir / "bots.json"), nullptr, false);
  ASSERT_TRUE(summary.is_object()) << read_text(dir / "bots.log");
  EXPECT_EQ(summary["games_completed"], 20) << summary.dump();
  EXPECT_EQ(summary["games_aborted"], 0) << summary.dump();
  EXPECT_EQ(summary["wrong_payouts"], 0) << summary.dump();
  EXPECT_EQ(summary["conservation_ok"], true) << summary.dump();

  const auto page = metrics_page(admin);
  const auto commits = sample(page, "umpire_journal_commits_total");
  const auto records = sample(page, "umpire_journal_records_committed_total");
  const auto delayed = sample(page, "umpire_journal_delayed_commits_total");
  EXPECT_GT(delayed, 0) << "the delay never waited:\n" << page;
  EXPECT_LE(delayed, commits);
  EXPECT_LE(commits, records);
  EXPECT_GE(records, summary["moves"].get<double>()) << "every relayed move is a journal record";
  EXPECT_EQ(sample(page, "umpire_journal_failed_commits_total"), 0);

  EXPECT_TRUE(stops_cleanly_on_sigterm(serve, dir / "serve.log"));
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace umpire::testing
