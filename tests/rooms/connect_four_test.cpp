// Connect four rules: gravity, four in any direction, full columns.
#include "rooms/connect_four/connect_four.hpp"

#include "play.hpp"

using namespace umpire::rooms;
using test_support::play;

namespace {
const auto game = make_connect_four();
}

TEST(ConnectFour, StonesFallAndFourVerticalWins) {
  const auto s = play(*game, {{0, "3"}, {1, "4"}, {0, "3"}, {1, "4"}, {0, "3"}, {1, "4"}, {0, "3"}});
  EXPECT_EQ(s->outcome(), (Outcome{Outcome::Kind::win, 0u}));
}

TEST(ConnectFour, SeatOneWinsHorizontally) {
  const auto s = play(*game, {{0, "0"}, {1, "1"}, {0, "0"}, {1, "2"}, {0, "0"}, {1, "3"}, {0, "6"}, {1, "4"}});
  EXPECT_EQ(s->outcome(), (Outcome{Outcome::Kind::win, 1u}));
}

TEST(ConnectFour, DiagonalWins) {
  // X climbs a diagonal from (0,bottom) to (3,bottom-3).
  const auto s = play(
      *game,
      {{0, "0"}, {1, "1"}, {0, "1"}, {1, "2"}, {0, "2"}, {1, "3"}, {0, "2"}, {1, "3"}, {0, "3"}, {1, "6"}, {0, "3"}});
  EXPECT_EQ(s->outcome(), (Outcome{Outcome::Kind::win, 0u}));
}

TEST(ConnectFour, FullColumnIsIllegal) {
  auto s = play(*game, {{0, "0"}, {1, "0"}, {0, "0"}, {1, "0"}, {0, "0"}, {1, "0"}});
  EXPECT_EQ(s->apply(0, "0").rejection, MoveRejection::illegal);
  EXPECT_EQ(s->legal_moves(0).size(), 6u);
  EXPECT_EQ(s->apply(0, "7").rejection, MoveRejection::malformed);
  EXPECT_EQ(s->apply(1, "1").rejection, MoveRejection::not_your_turn);
}

TEST(ConnectFour, NoMovesAfterTheGameIsOver) {
  auto s = play(*game, {{0, "3"}, {1, "4"}, {0, "3"}, {1, "4"}, {0, "3"}, {1, "4"}, {0, "3"}});
  const std::string before = s->serialize();
  EXPECT_EQ(s->apply(1, "4").rejection, MoveRejection::game_over);
  EXPECT_EQ(s->apply(0, "0").rejection, MoveRejection::game_over);
  EXPECT_TRUE(s->legal_moves(1).empty());
  EXPECT_EQ(s->serialize(), before);
}

TEST(ConnectFour, FullBoardIsADraw) {
  // Columns filled in an order that never makes four: pairs of columns alternate colours by layer.
  auto s = game->create(0);
  unsigned seat = 0;
  // Fill column pairs in an order that alternates colours by layer, so no line of four forms.
  const int columns_order[] = {0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 2, 3, 2, 3, 2, 3, 3, 2, 3,
                               2, 3, 2, 4, 5, 4, 5, 4, 5, 5, 4, 5, 4, 5, 4, 6, 6, 6, 6, 6, 6};
  for (int column : columns_order) {
    if (s->outcome().kind != Outcome::Kind::ongoing) break;
    const auto result = s->apply(seat, std::to_string(column));
    ASSERT_FALSE(result.rejection) << "column " << column;
    seat = 1 - seat;
  }
  EXPECT_EQ(s->outcome().kind, Outcome::Kind::draw) << s->serialize();
}

TEST(ConnectFour, SerializeParseRoundTrip) {
  const auto s = play(*game, {{0, "3"}, {1, "3"}, {0, "4"}});
  const auto restored = game->parse(s->serialize());
  EXPECT_EQ(restored->serialize(), s->serialize());
  EXPECT_EQ(restored->to_move(), std::vector<unsigned>{1});
  EXPECT_THROW(game->parse("X|0"), ParseError);
}

TEST(ConnectFour, ParseRejectsFloatingStones) {
  std::string board(42, '.');
  board[0] = 'X';  // top-left cell with nothing under it
  EXPECT_THROW(game->parse(board + "|1"), ParseError);
  board[0] = '.';
  board[35] = 'X';  // bottom-left
  EXPECT_NO_THROW(game->parse(board + "|1"));
}
