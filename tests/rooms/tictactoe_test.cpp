// Tic-tac-toe rules.
#include "rooms/tictactoe/tictactoe.hpp"

#include "play.hpp"

using namespace umpire::rooms;
using test_support::play;

namespace {
const auto game = make_tictactoe();
}

TEST(TicTacToe, SeatZeroWinsARow) {
  const auto s = play(*game, {{0, "0"}, {1, "3"}, {0, "1"}, {1, "4"}, {0, "2"}});
  EXPECT_EQ(s->outcome(), (Outcome{Outcome::Kind::win, 0u}));
  EXPECT_TRUE(s->to_move().empty());
}

TEST(TicTacToe, SeatOneWinsADiagonal) {
  const auto s = play(*game, {{0, "1"}, {1, "0"}, {0, "2"}, {1, "4"}, {0, "3"}, {1, "8"}});
  EXPECT_EQ(s->outcome(), (Outcome{Outcome::Kind::win, 1u}));
}

TEST(TicTacToe, FullBoardWithoutLineIsADraw) {
  const auto s =
      play(*game, {{0, "0"}, {1, "1"}, {0, "2"}, {1, "4"}, {0, "3"}, {1, "5"}, {0, "7"}, {1, "6"}, {0, "8"}});
  EXPECT_EQ(s->outcome().kind, Outcome::Kind::draw);
}

TEST(TicTacToe, RejectionsLeaveTheStateUnchanged) {
  auto s = play(*game, {{0, "4"}});
  const std::string before = s->serialize();
  EXPECT_EQ(s->apply(0, "0").rejection, MoveRejection::not_your_turn);
  EXPECT_EQ(s->apply(1, "4").rejection, MoveRejection::illegal) << "occupied cell (a replayed move)";
  EXPECT_EQ(s->apply(1, "9").rejection, MoveRejection::malformed);
  EXPECT_EQ(s->apply(1, "").rejection, MoveRejection::malformed);
  EXPECT_EQ(s->apply(1, "44").rejection, MoveRejection::malformed);
  EXPECT_EQ(s->apply(7, "0").rejection, MoveRejection::not_your_turn);
  EXPECT_EQ(s->serialize(), before);
}

TEST(TicTacToe, NoMovesAfterTheGameIsOver) {
  auto s = play(*game, {{0, "0"}, {1, "3"}, {0, "1"}, {1, "4"}, {0, "2"}});
  EXPECT_EQ(s->apply(1, "5").rejection, MoveRejection::game_over);
  EXPECT_TRUE(s->legal_moves(1).empty());
}

TEST(TicTacToe, SerializeParseRoundTrip) {
  const auto s = play(*game, {{0, "4"}, {1, "0"}});
  EXPECT_EQ(s->serialize(), "O...X....|0");
  const auto restored = game->parse(s->serialize());
  EXPECT_EQ(restored->serialize(), s->serialize());
  EXPECT_EQ(restored->to_move(), std::vector<unsigned>{0});
  const auto over = play(*game, {{0, "0"}, {1, "3"}, {0, "1"}, {1, "4"}, {0, "2"}});
  EXPECT_EQ(game->parse(over->serialize())->outcome(), over->outcome());
}

TEST(TicTacToe, ParseRejectsImpossibleStates) {
  for (const char* bad :
       {"", "XX.......|1", ".........|1", "X........|0", "XXX.OO...|1", "Z........|0", "........|0"}) {
    EXPECT_THROW(game->parse(bad), ParseError) << bad;
  }
}

TEST(TicTacToe, ParseRejectsBoardsNoGameCouldReach) {
  EXPECT_THROW(game->parse("XXXOOO...|-"), ParseError) << "both seats have a line";
  EXPECT_THROW(game->parse("XXXOO.O..|-"), ParseError) << "X has a line but O moved last";
  EXPECT_NO_THROW(game->parse("XXXOO....|-"));
}

// The example game of docs/player-protocol.md, message by message: keep the two in step.
TEST(TicTacToe, DocumentedExampleGame) {
  auto s = play(*game, {{0, "4"}, {1, "0"}, {0, "2"}, {1, "6"}});
  EXPECT_EQ(s->apply(0, "6").rejection, MoveRejection::illegal) << "line 20: cell 6 is taken";
  ASSERT_FALSE(s->apply(0, "3").rejection);
  // Line 24 (the resent move) never reaches the game: the referee refuses it by sequence number.
  for (const auto& [seat, move] :
       std::vector<std::pair<unsigned, std::string>>{{1, "5"}, {0, "1"}, {1, "8"}, {0, "7"}}) {
    ASSERT_FALSE(s->apply(seat, move).rejection) << move;
  }
  EXPECT_EQ(s->serialize(), "OXXXXOOXO|-");
  EXPECT_EQ(s->outcome(), (Outcome{Outcome::Kind::win, 0u}));
}
