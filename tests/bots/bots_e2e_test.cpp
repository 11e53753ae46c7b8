// tests/bots/bots_e2e_test.cpp — `umpire bots` against `umpire serve` in dev mode (embedded devnode), as separate
// processes on free ports: every game of the default catalog, the series table and a timed run complete with no
// errors, every payout checked and right, and money conserved at the devnode. Skipped while the binary has no serve.
#include "bots_against_serve.hpp"

namespace {

using namespace umpire::testing;

TEST_F(BotsAgainstServe, TicTacToeFortyGames) {
  const auto summary = bots({"--game", "tictactoe", "--bots", "20", "--games", "40"});
  expect_clean(summary);
  EXPECT_EQ(summary["games_completed"], 40);
  EXPECT_EQ(summary["sessions_closed"], 40);
}

TEST_F(BotsAgainstServe, ConnectFourFortyGames) {
  const auto summary = bots({"--game", "connect_four", "--bots", "20", "--games", "40"});
  expect_clean(summary);
  EXPECT_EQ(summary["games_completed"], 40);
  EXPECT_EQ(summary["sessions_closed"], 40);
}

TEST_F(BotsAgainstServe, RockPaperScissorsFortyGames) {
  const auto summary = bots({"--game", "rock_paper_scissors", "--bots", "20", "--games", "40"});
  expect_clean(summary);
  EXPECT_EQ(summary["games_completed"], 40);
  EXPECT_EQ(summary["sessions_closed"], 40);
}

TEST_F(BotsAgainstServe, SeriesTableFortyGamesInFewerSessions) {
  const auto summary = bots({"--game", "tictactoe", "--series", "--bots", "20", "--games", "40"});
  expect_clean(summary);
  EXPECT_EQ(summary["series"], true);
  EXPECT_EQ(summary["games_completed"], 40);
  EXPECT_LT(summary["sessions_closed"].get<int>(), 40);  // pairs played game after game in one session
}

TEST_F(BotsAgainstServe, TimedRunFinishesItsGames) {
  const auto summary = bots({"--game", "tictactoe", "--bots", "10", "--seconds", "2"});
  expect_clean(summary);
  EXPECT_GT(summary["games_completed"].get<int>(), 0);
  EXPECT_EQ(summary["sessions_closed"], summary["games_completed"]);
}

}  // namespace
