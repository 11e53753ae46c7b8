// The bot player: legal, deterministic for a seed, takes a win on the spot, and finishes every game.
#include "rooms/bot.hpp"

#include "play.hpp"
#include "rooms/connect_four/connect_four.hpp"
#include "rooms/tictactoe/tictactoe.hpp"

using namespace umpire::rooms;
using test_support::play;

TEST(Bot, SameSeedSameMove) {
  const auto s = make_connect_four()->create(0);
  for (std::uint64_t seed = 0; seed < 20; ++seed) EXPECT_EQ(pick_bot_move(*s, 0, seed), pick_bot_move(*s, 0, seed));
}

TEST(Bot, TakesAWinningMove) {
  const auto game = make_tictactoe();
  const auto s = play(*game, {{0, "0"}, {1, "3"}, {0, "1"}, {1, "4"}});
  for (std::uint64_t seed = 0; seed < 20; ++seed) EXPECT_EQ(pick_bot_move(*s, 0, seed), "2");
}

TEST(Bot, HasNoMoveWhenItIsNotItsTurnOrTheGameIsOver) {
  const auto game = make_tictactoe();
  const auto s = play(*game, {{0, "4"}});
  EXPECT_FALSE(pick_bot_move(*s, 0, 1));
  const auto over = play(*game, {{0, "0"}, {1, "3"}, {0, "1"}, {1, "4"}, {0, "2"}});
  EXPECT_FALSE(pick_bot_move(*over, 1, 1));
}

TEST(Bot, TwoBotsFinishEveryGameAndReplayIdentically) {
  const auto registry = make_default_registry();
  for (const auto& name : registry.names()) {
    const Game& game = *registry.find(name);
    for (std::uint64_t seed = 1; seed <= 50; ++seed) {
      std::string finals[2];
      for (auto& final_state : finals) {  // the same seeds twice: the same game
        auto state = game.create(seed);
        for (std::uint64_t turn = 0; state->outcome().kind == Outcome::Kind::ongoing; ++turn) {
          ASSERT_LT(turn, 100u) << name << " does not end";
          const unsigned seat = state->to_move().front();
          const auto move = pick_bot_move(*state, seat, seed * 1000 + turn);
          ASSERT_TRUE(move) << name;
          ASSERT_FALSE(state->apply(seat, *move).rejection) << name << " bot move " << *move;
        }
        final_state = state->serialize();
      }
      EXPECT_EQ(finals[0], finals[1]) << name << " seed " << seed;
    }
  }
}
