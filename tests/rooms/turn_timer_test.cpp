// The turn timer: who forfeits when a deadline passes, for turn-based and simultaneous games.
#include "play.hpp"
#include "rooms/rock_paper_scissors/rock_paper_scissors.hpp"
#include "rooms/tictactoe/tictactoe.hpp"

using namespace umpire::rooms;
using test_support::play;

TEST(TurnTimer, DeadlineIsTurnStartPlusTurnTime) {
  const TurnTimer timer{30'000};
  EXPECT_EQ(timer.deadline_ms(1'700'000'000'000), 1'700'000'030'000u);
}

TEST(TurnTimer, NothingHappensBeforeTheDeadline) {
  const auto s = make_tictactoe()->create(0);
  EXPECT_FALSE(timeout_at(*s, 2, 1000, 999));
}

TEST(TurnTimer, TheSeatToMoveForfeitsAndTheOtherWins) {
  const auto game = make_tictactoe();
  const auto s = play(*game, {{0, "4"}});
  const auto timeout = timeout_at(*s, 2, 1000, 1000);  // exactly at the deadline counts as passed
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->forfeiting, std::vector<unsigned>{1});
  EXPECT_EQ(timeout->outcome, (Outcome{Outcome::Kind::win, 0u}));
}

TEST(TurnTimer, SimultaneousRoundWhereOnlyOneMovedGoesToTheMover) {
  const auto game = make_rock_paper_scissors();
  const auto s = play(*game, {{1, "rock"}});
  const auto timeout = timeout_at(*s, 2, 1000, 5000);
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->forfeiting, std::vector<unsigned>{0});
  EXPECT_EQ(timeout->outcome, (Outcome{Outcome::Kind::win, 1u}));
}

TEST(TurnTimer, SimultaneousRoundWhereNobodyMovedIsADraw) {
  const auto s = make_rock_paper_scissors()->create(0);
  const auto timeout = timeout_at(*s, 2, 1000, 5000);
  ASSERT_TRUE(timeout);
  EXPECT_EQ(timeout->forfeiting, (std::vector<unsigned>{0, 1}));
  EXPECT_EQ(timeout->outcome.kind, Outcome::Kind::draw);
}

TEST(TurnTimer, AFinishedGameHasNoTimeout) {
  const auto game = make_tictactoe();
  const auto s = play(*game, {{0, "0"}, {1, "3"}, {0, "1"}, {1, "4"}, {0, "2"}});
  EXPECT_FALSE(timeout_at(*s, 2, 1000, 5000));
}
