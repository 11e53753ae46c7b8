// rooms/game.cpp — the turn timer's verdict, the same for every game: who was awaited when the deadline passed.
// The clock itself is the referee's; this only compares the two times it is given.
#include "rooms/game.hpp"

#include <algorithm>

namespace umpire::rooms {

std::optional<Timeout> timeout_at(const GameState& state, unsigned seats, std::uint64_t deadline_ms,
                                  std::uint64_t now_ms) {
  if (now_ms < deadline_ms) return std::nullopt;
  Timeout timeout{state.to_move(), {}};
  if (timeout.forfeiting.empty()) return std::nullopt;  // the game is over: nobody is awaited
  std::sort(timeout.forfeiting.begin(), timeout.forfeiting.end());
  if (timeout.forfeiting.size() >= seats) {
    timeout.outcome = {Outcome::Kind::draw, std::nullopt};
  } else if (timeout.forfeiting.size() + 1 == seats) {
    for (unsigned seat = 0; seat < seats; ++seat) {
      if (!std::binary_search(timeout.forfeiting.begin(), timeout.forfeiting.end(), seat)) {
        timeout.outcome = {Outcome::Kind::win, seat};
      }
    }
  }
  return timeout;
}

}  // namespace umpire::rooms
