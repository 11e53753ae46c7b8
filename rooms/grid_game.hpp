// rooms/grid_game.hpp — what tic-tac-toe and connect four share: a two-seat, turn-based board of cells '.', 'X'
// (seat 0) and 'O' (seat 1), won by a line of N, drawn when full. Each game supplies only how a move picks a cell.
// Serialized form: the board row by row, then '|' and the seat to move ("-" when over).
#pragma once

#include "rooms/game.hpp"

namespace umpire::rooms {

struct GridShape {
  unsigned width;
  unsigned height;
  unsigned line;  // stones in a row that win
};

class GridState : public GameState {
 public:
  explicit GridState(GridShape shape);

  MoveResult apply(unsigned seat, std::string_view move) final;
  std::vector<unsigned> to_move() const final;
  Outcome outcome() const final { return outcome_; }
  std::string serialize() const final;
  std::string public_view(std::optional<unsigned>) const final { return serialize(); }
  std::vector<std::string> legal_moves(unsigned seat) const final;

  // Restores a serialized board; throws ParseError (also for impossible boards).
  void restore(std::string_view serialized);

 protected:
  // The cell index a move text names, or nullopt if the text is not a move of this game; sets `illegal` when it is
  // a move but cannot be played (column full).
  virtual std::optional<unsigned> cell_for(std::string_view move, bool& illegal) const = 0;
  virtual std::vector<std::string> all_moves() const = 0;
  // Whether the stones could have been placed by legal moves (connect four: no stone floats over an empty cell).
  virtual bool layout_is_possible() const { return true; }
  char cell(unsigned x, unsigned y) const { return board_[y * shape_.width + x]; }

 private:
  bool wins_through(unsigned index) const;

  GridShape shape_;
  std::string board_;
  unsigned next_seat_ = 0;
  Outcome outcome_;
};

}  // namespace umpire::rooms
