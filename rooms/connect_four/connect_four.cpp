// rooms/connect_four/connect_four.cpp — column moves with gravity on the shared grid rules. Row 0 is the top.
#include "rooms/connect_four/connect_four.hpp"

#include "rooms/grid_game.hpp"

namespace umpire::rooms {
namespace {

constexpr unsigned kColumns = 7, kRows = 6;

class ConnectFourState final : public GridState {
 public:
  ConnectFourState() : GridState({kColumns, kRows, 4}) {}
  std::unique_ptr<GameState> clone() const override { return std::make_unique<ConnectFourState>(*this); }

 protected:
  std::optional<unsigned> cell_for(std::string_view move, bool& illegal) const override {
    if (move.size() != 1 || move[0] < '0' || move[0] > '6') return std::nullopt;
    const unsigned column = static_cast<unsigned>(move[0] - '0');
    for (unsigned row = kRows; row-- > 0;) {
      if (cell(column, row) == '.') return row * kColumns + column;
    }
    illegal = true;  // the column is full
    return column;
  }
  std::vector<std::string> all_moves() const override { return {"0", "1", "2", "3", "4", "5", "6"}; }
  bool layout_is_possible() const override {
    for (unsigned column = 0; column < kColumns; ++column) {
      for (unsigned row = 0; row + 1 < kRows; ++row) {
        if (cell(column, row) != '.' && cell(column, row + 1) == '.') return false;
      }
    }
    return true;
  }
};

class ConnectFour final : public Game {
 public:
  std::string_view name() const override { return "connect_four"; }
  unsigned seats() const override { return 2; }
  std::unique_ptr<GameState> create(std::uint64_t) const override { return std::make_unique<ConnectFourState>(); }
  std::unique_ptr<GameState> parse(std::string_view serialized) const override {
    auto state = std::make_unique<ConnectFourState>();
    state->restore(serialized);
    return state;
  }
};

}  // namespace

std::unique_ptr<Game> make_connect_four() { return std::make_unique<ConnectFour>(); }

}  // namespace umpire::rooms
