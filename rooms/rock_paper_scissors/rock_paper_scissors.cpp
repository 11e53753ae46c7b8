// rooms/rock_paper_scissors/rock_paper_scissors.cpp — see the header.
// Serialized form: finished rounds as pairs of letters (r/p/s for seat 0 then seat 1), then '|', then the pending
// moves of the current round as two characters ('r', 'p', 's' or '.' for not yet moved). E.g. "rsppr|s.".
#include "rooms/rock_paper_scissors/rock_paper_scissors.hpp"

#include <array>

namespace umpire::rooms {
namespace {

constexpr unsigned kWinsNeeded = 2;
constexpr unsigned kMaxRounds = 9;

std::optional<char> letter_of(std::string_view move) {
  if (move == "rock") return 'r';
  if (move == "paper") return 'p';
  if (move == "scissors") return 's';
  return std::nullopt;
}

// 1 if a beats b, -1 if b beats a, 0 on a tie.
int duel(char a, char b) {
  if (a == b) return 0;
  const bool a_wins = (a == 'r' && b == 's') || (a == 's' && b == 'p') || (a == 'p' && b == 'r');
  return a_wins ? 1 : -1;
}

class RpsState final : public GameState {
 public:
  std::unique_ptr<GameState> clone() const override { return std::make_unique<RpsState>(*this); }

  MoveResult apply(unsigned seat, std::string_view move) override {
    const auto letter = letter_of(move);
    if (!letter) return {MoveRejection::malformed};
    if (outcome().kind != Outcome::Kind::ongoing) return {MoveRejection::game_over};
    if (seat > 1 || pending_[seat] != '.') return {MoveRejection::not_your_turn};
    pending_[seat] = *letter;
    if (pending_[1 - seat] == '.') return {std::nullopt, true};  // secret until the other seat moves
    rounds_ += pending_[0];
    rounds_ += pending_[1];
    pending_ = {'.', '.'};
    return {};
  }

  std::vector<unsigned> to_move() const override {
    if (outcome().kind != Outcome::Kind::ongoing) return {};
    std::vector<unsigned> seats;
    for (unsigned seat = 0; seat < 2; ++seat) {
      if (pending_[seat] == '.') seats.push_back(seat);
    }
    return seats;
  }

  // Decided by the finished rounds alone: two round wins, or the 9-round cap.
  Outcome outcome() const override {
    std::array<unsigned, 2> wins{};
    for (std::size_t i = 0; i + 1 < rounds_.size(); i += 2) {
      const int result = duel(rounds_[i], rounds_[i + 1]);
      if (result != 0) ++wins[result > 0 ? 0 : 1];
    }
    for (unsigned seat = 0; seat < 2; ++seat) {
      if (wins[seat] >= kWinsNeeded) return {Outcome::Kind::win, seat};
    }
    if (rounds_.size() / 2 >= kMaxRounds) {
      if (wins[0] == wins[1]) return {Outcome::Kind::draw, std::nullopt};
      return {Outcome::Kind::win, wins[0] > wins[1] ? 0u : 1u};
    }
    return {};
  }

  std::string serialize() const override { return rounds_ + "|" + pending_[0] + pending_[1]; }

  std::string public_view(std::optional<unsigned> viewer) const override {
    std::string view = serialize();
    for (unsigned seat = 0; seat < 2; ++seat) {
      char& c = view[rounds_.size() + 1 + seat];
      if (c != '.' && viewer != seat) c = '?';  // the other seat only learns that a move is in
    }
    return view;
  }

  std::vector<std::string> legal_moves(unsigned seat) const override {
    if (outcome().kind != Outcome::Kind::ongoing || seat > 1 || pending_[seat] != '.') return {};
    return {"rock", "paper", "scissors"};
  }

  void restore(std::string_view serialized) {
    const auto bar = serialized.find('|');
    if (bar == std::string_view::npos || bar % 2 != 0 || serialized.size() != bar + 3) {
      throw ParseError("rock_paper_scissors state is malformed");
    }
    const std::string_view rounds = serialized.substr(0, bar);
    if (rounds.find_first_not_of("rps") != std::string_view::npos) throw ParseError("unknown move in rounds");
    for (unsigned seat = 0; seat < 2; ++seat) {
      const char c = serialized[bar + 1 + seat];
      if (c != '.' && c != 'r' && c != 'p' && c != 's') throw ParseError("unknown pending move");
      pending_[seat] = c;
    }
    if (pending_[0] != '.' && pending_[1] != '.') throw ParseError("a complete round cannot be pending");
    // Replay the rounds: none may follow a decided game, and a decided game has no pending move.
    rounds_.clear();
    for (std::size_t i = 0; i < rounds.size(); i += 2) {
      if (outcome().kind != Outcome::Kind::ongoing) throw ParseError("rounds recorded after the game was decided");
      rounds_.append(rounds.substr(i, 2));
    }
    if (outcome().kind != Outcome::Kind::ongoing && (pending_[0] != '.' || pending_[1] != '.')) {
      throw ParseError("a pending move in a decided game");
    }
  }

 private:
  std::string rounds_;                     // finished rounds, two letters each
  std::array<char, 2> pending_{'.', '.'};  // this round's moves so far
};

class RockPaperScissors final : public Game {
 public:
  std::string_view name() const override { return "rock_paper_scissors"; }
  unsigned seats() const override { return 2; }
  std::unique_ptr<GameState> create(std::uint64_t) const override { return std::make_unique<RpsState>(); }
  std::unique_ptr<GameState> parse(std::string_view serialized) const override {
    auto state = std::make_unique<RpsState>();
    state->restore(serialized);
    return state;
  }
};

}  // namespace

std::unique_ptr<Game> make_rock_paper_scissors() { return std::make_unique<RockPaperScissors>(); }

}  // namespace umpire::rooms
