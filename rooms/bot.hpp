// rooms/bot.hpp — a simple player for any game, for the load-test bots and tests: it takes a move that wins on the
// spot if there is one, and otherwise picks uniformly among legal_moves() with a generator seeded by the caller. The
// same state, seat and seed always give the same move, so a bot's game is replayable like any other.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "rooms/game.hpp"

namespace umpire::rooms {

// The bot's move for `seat`, or nullopt when the seat has nothing to play (not its turn, or the game is over).
std::optional<std::string> pick_bot_move(const GameState& state, unsigned seat, std::uint64_t seed);

}  // namespace umpire::rooms
