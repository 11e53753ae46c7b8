// rooms/bot.cpp — see the header. The random pick uses std::mt19937_64 and a plain modulo rather than a
// std::uniform_int_distribution, whose output differs between standard libraries: a seed must mean the same move
// on every build.
#include "rooms/bot.hpp"

#include <random>

namespace umpire::rooms {

std::optional<std::string> pick_bot_move(const GameState& state, unsigned seat, std::uint64_t seed) {
  const auto moves = state.legal_moves(seat);
  if (moves.empty()) return std::nullopt;
  for (const auto& move : moves) {
    auto trial = state.clone();
    if (!trial->apply(seat, move).rejection && trial->outcome() == Outcome{Outcome::Kind::win, seat}) return move;
  }
  std::mt19937_64 generator(seed);
  return moves[generator() % moves.size()];
}

}  // namespace umpire::rooms
