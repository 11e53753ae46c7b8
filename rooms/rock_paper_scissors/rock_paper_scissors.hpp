// rooms/rock_paper_scissors — best of three, two seats, simultaneous: each round both seats move ("rock", "paper"
// or "scissors"); a move stays secret until the other seat's is in. The first to win two rounds wins. A drawn round
// is replayed, but at most 9 rounds are played: then the seat with more round wins takes the game, or it is a draw.
#pragma once

#include <memory>

#include "rooms/game.hpp"

namespace umpire::rooms {
std::unique_ptr<Game> make_rock_paper_scissors();
}
