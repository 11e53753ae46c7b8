// Test helper: plays a list of (seat, move) and expects each to be accepted.
#pragma once

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "rooms/registry.hpp"

namespace umpire::rooms::test_support {

inline std::unique_ptr<GameState> play(const Game& game, const std::vector<std::pair<unsigned, std::string>>& moves) {
  auto state = game.create(0);
  for (const auto& [seat, move] : moves) {
    const auto result = state->apply(seat, move);
    EXPECT_FALSE(result.rejection) << "seat " << seat << " move " << move << " rejected";
  }
  return state;
}

}  // namespace umpire::rooms::test_support
