// rooms/connect_four — 7 columns × 6 rows with gravity, two seats, seat 0 moves first, four in a row (any
// direction) wins, a full board draws. A move is the column "0".."6"; the stone falls to the lowest free cell.
#pragma once

#include <memory>

#include "rooms/game.hpp"

namespace umpire::rooms {
std::unique_ptr<Game> make_connect_four();
}
