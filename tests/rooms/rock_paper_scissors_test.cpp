// Rock-paper-scissors, best of three, simultaneous with secret moves.
#include "rooms/rock_paper_scissors/rock_paper_scissors.hpp"

#include "play.hpp"

using namespace umpire::rooms;
using test_support::play;

namespace {
const auto game = make_rock_paper_scissors();
}

TEST(RockPaperScissors, FirstMoveIsHiddenUntilTheSecondArrives) {
  auto s = game->create(0);
  EXPECT_EQ(s->to_move(), (std::vector<unsigned>{0, 1}));
  const auto first = s->apply(1, "rock");
  EXPECT_FALSE(first.rejection);
  EXPECT_TRUE(first.hidden);
  EXPECT_EQ(s->public_view(0u), "|.?") << "seat 0 sees that a move is in, not which";
  EXPECT_EQ(s->public_view(std::nullopt), "|.?");
  EXPECT_EQ(s->public_view(1u), "|.r");
  EXPECT_EQ(s->to_move(), std::vector<unsigned>{0});
  EXPECT_EQ(s->apply(1, "paper").rejection, MoveRejection::not_your_turn) << "no second move in a round";
  const auto second = s->apply(0, "paper");
  EXPECT_FALSE(second.hidden);
  EXPECT_EQ(s->public_view(1u), "pr|..") << "both revealed once the round is complete";
}

TEST(RockPaperScissors, TwoRoundWinsTakeTheGame) {
  const auto s = play(*game, {{0, "rock"}, {1, "scissors"}, {0, "paper"}, {1, "paper"}, {1, "rock"}, {0, "paper"}});
  EXPECT_EQ(s->outcome(), (Outcome{Outcome::Kind::win, 0u}));
  const auto t = play(*game, {{0, "rock"}, {1, "paper"}, {0, "scissors"}, {1, "rock"}});
  EXPECT_EQ(t->outcome(), (Outcome{Outcome::Kind::win, 1u}));
}

TEST(RockPaperScissors, NineTiedRoundsAreADraw) {
  auto s = game->create(0);
  for (int round = 0; round < 9; ++round) {
    ASSERT_FALSE(s->apply(0, "rock").rejection);
    ASSERT_FALSE(s->apply(1, "rock").rejection);
  }
  EXPECT_EQ(s->outcome().kind, Outcome::Kind::draw);
  EXPECT_EQ(s->apply(0, "rock").rejection, MoveRejection::game_over);
}

TEST(RockPaperScissors, AfterNineRoundsTheLeaderWins) {
  auto s = game->create(0);
  ASSERT_FALSE(s->apply(0, "rock").rejection);
  ASSERT_FALSE(s->apply(1, "scissors").rejection);
  for (int round = 0; round < 8; ++round) {
    ASSERT_FALSE(s->apply(0, "paper").rejection);
    ASSERT_FALSE(s->apply(1, "paper").rejection);
  }
  EXPECT_EQ(s->outcome(), (Outcome{Outcome::Kind::win, 0u}));
}

TEST(RockPaperScissors, MalformedMovesAndRoundTrip) {
  auto s = game->create(0);
  EXPECT_EQ(s->apply(0, "lizard").rejection, MoveRejection::malformed);
  EXPECT_EQ(s->apply(0, "Rock").rejection, MoveRejection::malformed);
  ASSERT_FALSE(s->apply(0, "rock").rejection);
  const auto restored = game->parse(s->serialize());
  EXPECT_EQ(restored->serialize(), "|r.");
  EXPECT_EQ(restored->to_move(), std::vector<unsigned>{1});
  for (const char* bad : {"", "r|..", "x.|..", "|rr", "|r"}) EXPECT_THROW(game->parse(bad), ParseError) << bad;
}

TEST(RockPaperScissors, ParseRejectsPlayAfterTheGameWasDecided) {
  EXPECT_THROW(game->parse("rsrsrs|.."), ParseError) << "a third round after two wins";
  EXPECT_THROW(game->parse("rsrs|r."), ParseError) << "a pending move in a decided game";
  EXPECT_NO_THROW(game->parse("rsrs|.."));
}
