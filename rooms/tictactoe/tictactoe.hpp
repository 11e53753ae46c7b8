// rooms/tictactoe — 3×3, two seats, seat 0 plays X and moves first, three in a row wins, a full board draws.
// A move is the cell index "0".."8", row by row from the top left.
#pragma once

#include <memory>

#include "rooms/game.hpp"

namespace umpire::rooms {
std::unique_ptr<Game> make_tictactoe();
}
