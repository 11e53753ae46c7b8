// rooms/tictactoe/tictactoe.cpp — cell moves on the shared grid rules.
#include "rooms/tictactoe/tictactoe.hpp"

#include "rooms/grid_game.hpp"

namespace umpire::rooms {
namespace {

class TicTacToeState final : public GridState {
 public:
  TicTacToeState() : GridState({3, 3, 3}) {}
  std::unique_ptr<GameState> clone() const override { return std::make_unique<TicTacToeState>(*this); }

 protected:
  std::optional<unsigned> cell_for(std::string_view move, bool&) const override {
    if (move.size() != 1 || move[0] < '0' || move[0] > '8') return std::nullopt;
    return static_cast<unsigned>(move[0] - '0');
  }
  std::vector<std::string> all_moves() const override { return {"0", "1", "2", "3", "4", "5", "6", "7", "8"}; }
};

class TicTacToe final : public Game {
 public:
  std::string_view name() const override { return "tictactoe"; }
  unsigned seats() const override { return 2; }
  std::unique_ptr<GameState> create(std::uint64_t) const override { return std::make_unique<TicTacToeState>(); }
  std::unique_ptr<GameState> parse(std::string_view serialized) const override {
    auto state = std::make_unique<TicTacToeState>();
    state->restore(serialized);
    return state;
  }
};

}  // namespace

std::unique_ptr<Game> make_tictactoe() { return std::make_unique<TicTacToe>(); }

}  // namespace umpire::rooms
