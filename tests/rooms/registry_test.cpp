// The registry, and random legal playouts of every game: they always end with a valid outcome.
#include "rooms/registry.hpp"

#include <gtest/gtest.h>

#include <random>

#include "rooms/tictactoe/tictactoe.hpp"

using namespace umpire::rooms;

TEST(GameRegistry, HasTheDefaultGamesAndRefusesDuplicates) {
  auto registry = make_default_registry();
  EXPECT_EQ(registry.names(), (std::vector<std::string>{"connect_four", "rock_paper_scissors", "tictactoe"}));
  EXPECT_EQ(registry.find("chess"), nullptr);
  ASSERT_NE(registry.find("tictactoe"), nullptr);
  GameRegistry other;
  other.add(make_tictactoe());
  EXPECT_THROW(other.add(make_tictactoe()), std::invalid_argument);
}

TEST(GameRegistry, RandomLegalPlayoutsAlwaysEnd) {
  const auto registry = make_default_registry();
  std::mt19937_64 rng(2024);
  for (const auto& name : registry.names()) {
    const Game& game = *registry.find(name);
    for (int playout = 0; playout < 300; ++playout) {
      auto state = game.create(rng());
      int moves = 0;
      while (state->outcome().kind == Outcome::Kind::ongoing) {
        const auto seats = state->to_move();
        ASSERT_FALSE(seats.empty()) << name << ": ongoing game with no seat to move";
        const unsigned seat = seats[rng() % seats.size()];
        const auto legal = state->legal_moves(seat);
        ASSERT_FALSE(legal.empty()) << name << ": seat to move has no legal move";
        ASSERT_FALSE(state->apply(seat, legal[rng() % legal.size()]).rejection);
        ASSERT_LT(++moves, 100) << name << " does not end";
        // Every intermediate state survives the journal round trip.
        ASSERT_EQ(game.parse(state->serialize())->serialize(), state->serialize());
      }
      const auto outcome = state->outcome();
      if (outcome.kind == Outcome::Kind::win) {
        EXPECT_LT(*outcome.winner, game.seats());
      }
      EXPECT_TRUE(state->to_move().empty());
    }
  }
}
