// rooms/grid_game.cpp — see the header.
#include "rooms/grid_game.hpp"

#include <algorithm>

namespace umpire::rooms {

GridState::GridState(GridShape shape) : shape_(shape), board_(shape.width * shape.height, '.') {}

MoveResult GridState::apply(unsigned seat, std::string_view move) {
  bool illegal = false;
  const auto index = cell_for(move, illegal);
  if (!index && !illegal) return {MoveRejection::malformed};
  if (outcome_.kind != Outcome::Kind::ongoing) return {MoveRejection::game_over};
  if (seat != next_seat_) return {MoveRejection::not_your_turn};
  if (illegal || board_[*index] != '.') return {MoveRejection::illegal};
  board_[*index] = seat == 0 ? 'X' : 'O';
  if (wins_through(*index)) {
    outcome_ = {Outcome::Kind::win, seat};
  } else if (board_.find('.') == std::string::npos) {
    outcome_ = {Outcome::Kind::draw, std::nullopt};
  }
  next_seat_ = 1 - seat;
  return {};
}

std::vector<unsigned> GridState::to_move() const {
  if (outcome_.kind != Outcome::Kind::ongoing) return {};
  return {next_seat_};
}

std::string GridState::serialize() const {
  return board_ + "|" + (outcome_.kind == Outcome::Kind::ongoing ? std::to_string(next_seat_) : std::string("-"));
}

std::vector<std::string> GridState::legal_moves(unsigned seat) const {
  if (outcome_.kind != Outcome::Kind::ongoing || seat != next_seat_) return {};
  std::vector<std::string> moves;
  for (const auto& move : all_moves()) {
    bool illegal = false;
    const auto index = cell_for(move, illegal);
    if (index && !illegal && board_[*index] == '.') moves.push_back(move);
  }
  return moves;
}

bool GridState::wins_through(unsigned index) const {
  const int x0 = static_cast<int>(index % shape_.width), y0 = static_cast<int>(index / shape_.width);
  const char stone = board_[index];
  const int directions[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};
  for (const auto& d : directions) {
    unsigned run = 1;
    for (int sign : {1, -1}) {
      for (int step = 1;; ++step) {
        const int x = x0 + sign * step * d[0], y = y0 + sign * step * d[1];
        if (x < 0 || y < 0 || x >= static_cast<int>(shape_.width) || y >= static_cast<int>(shape_.height)) break;
        if (cell(static_cast<unsigned>(x), static_cast<unsigned>(y)) != stone) break;
        ++run;
      }
    }
    if (run >= shape_.line) return true;
  }
  return false;
}

void GridState::restore(std::string_view serialized) {
  const std::size_t cells = shape_.width * shape_.height;
  if (serialized.size() != cells + 2 || serialized[cells] != '|') throw ParseError("board has the wrong size");
  const std::string_view board = serialized.substr(0, cells);
  if (board.find_first_not_of(".XO") != std::string_view::npos) throw ParseError("board has an unknown cell");
  const auto xs = std::count(board.begin(), board.end(), 'X'), os = std::count(board.begin(), board.end(), 'O');
  if (xs != os && xs != os + 1) throw ParseError("board has an impossible stone count");
  board_ = std::string(board);
  next_seat_ = xs == os ? 0 : 1;
  if (!layout_is_possible()) throw ParseError("board has stones that could not be there");
  // Who has a line: at most one colour, and it must be the colour that moved last.
  std::optional<unsigned> winner;
  for (unsigned i = 0; i < cells; ++i) {
    if (board_[i] == '.' || !wins_through(i)) continue;
    const unsigned seat = board_[i] == 'X' ? 0u : 1u;
    if (winner && *winner != seat) throw ParseError("board has lines for both seats");
    winner = seat;
  }
  if (winner && *winner != 1 - next_seat_) throw ParseError("the winner did not make the last move");
  outcome_ = {};
  if (winner) {
    outcome_ = {Outcome::Kind::win, winner};
  } else if (board_.find('.') == std::string::npos) {
    outcome_.kind = Outcome::Kind::draw;
  }
  const char turn = serialized[cells + 1];
  const bool over = outcome_.kind != Outcome::Kind::ongoing;
  if (over != (turn == '-') || (!over && turn != static_cast<char>('0' + next_seat_))) {
    throw ParseError("turn marker does not match the board");
  }
}

}  // namespace umpire::rooms
